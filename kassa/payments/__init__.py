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
