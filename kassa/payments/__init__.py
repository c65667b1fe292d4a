"""Payment processors: how money is collected and returned.

Billing talks to a processor only through ``PaymentProcessor``, so a real provider is one more
implementation of this protocol, chosen per environment in the composition root. Billing calls
it outside any database transaction (see ``kassa.services.billing.collection``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

# ``processing``: accepted, the outcome comes later (bank debits: ACH, SEPA); the payment is then
# concluded through ``collection.settle_payment`` (a provider's webhook).
Status = Literal["succeeded", "failed", "processing"]


@dataclass(frozen=True)
class ProcessorResult:
    status: Status
    reference: str | None = None
    failure_reason: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


class PaymentProcessor(Protocol):
    name: str

    def charge(
        self,
        method: Mapping[str, Any],
        amount: Decimal,
        currency: str,
        *,
        idempotency_key: str,
        previous_failures: int,
    ) -> ProcessorResult:
        """Collect ``amount`` from ``method``; asked again with the same ``idempotency_key``
        (a retried job), answer with the first charge instead of charging again."""
        ...

    def refund(
        self, payment: Mapping[str, Any], amount: Decimal, *, idempotency_key: str
    ) -> ProcessorResult:
        """Return ``amount`` of ``payment`` to where it came from."""
        ...


# ------------------------------------------------------------------ hosted setup and notices

# Stripe's payment method types Kassa can collect and charge, and what Kassa calls each (Apple
# Pay and Google Pay are cards to Stripe and to Kassa: a card shown with its wallet).
STRIPE_METHOD_TYPES = ("card", "us_bank_account", "sepa_debit")
KASSA_TYPE = {"card": "card", "us_bank_account": "ach", "sepa_debit": "sepa"}


@dataclass(frozen=True)
class CollectedMethod:
    """A payment method the processor's hosted page collected: what Kassa keeps of it (display
    details only; the numbers stay with the processor)."""

    reference: str  # the processor's id (Stripe: pm_...)
    customer_reference: str  # the processor's customer it is attached to (Stripe: cus_...)
    type: str  # card | ach | sepa
    details: dict[str, str]


class HostedSetup(Protocol):
    """A processor that keeps customers of its own and collects payment methods on a page of
    its own (Stripe Checkout in setup mode); Kassa never sees a card or account number."""

    method_types: tuple[str, ...]

    def create_customer(self, customer: Mapping[str, Any], *, idempotency_key: str) -> str:
        """The processor's customer for a Kassa customer (``id``, ``name``, ``email``)."""
        ...

    def setup_session(self, customer_reference: str, *, kassa_customer_id: str,
                      success_url: str, cancel_url: str) -> str:
        """The address of a hosted page where the customer adds a payment method."""
        ...


@dataclass(frozen=True)
class PaymentNotice:
    """The processor says how a payment (its reference) ended; ``ours``: it carries Kassa's
    marks, so a payment not recorded yet is waited for, not ignored."""

    reference: str
    result: ProcessorResult
    ours: bool = True


@dataclass(frozen=True)
class MethodNotice:
    """The processor collected a payment method for one of its customers."""

    method: CollectedMethod


@dataclass(frozen=True)
class RefundNotice:
    """The processor's refunds of a payment (its reference) as they stand now: {refund
    reference: result}."""

    payment_reference: str
    refunds: dict[str, ProcessorResult]


Notice = PaymentNotice | MethodNotice | RefundNotice
