"""Payment processors: how money is collected and returned.

Billing talks to a processor only through ``PaymentProcessor``, so a real provider is one more
implementation of this protocol, chosen per environment in the composition root.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol


@dataclass(frozen=True)
class ProcessorResult:
    succeeded: bool
    reference: str | None = None
    failure_reason: str | None = None


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
        """Collect ``amount`` from ``method``."""
        ...

    def refund(
        self, payment: Mapping[str, Any], amount: Decimal, *, idempotency_key: str
    ) -> ProcessorResult:
        """Return ``amount`` of ``payment`` to where it came from."""
        ...
