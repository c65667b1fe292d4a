"""The sandbox's simulated processor: the test payment method decides the outcome.

``test_behavior`` on a payment method: ``succeed`` (default), ``decline`` (always declined),
``decline_once`` (the first attempt with the method is declined, later ones succeed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from kassa.payments import ProcessorResult

BEHAVIORS = ("succeed", "decline", "decline_once")


class SandboxProcessor:
    name = "sandbox"

    def charge(
        self,
        method: Mapping[str, Any],
        amount: Decimal,
        currency: str,
        *,
        idempotency_key: str,
        previous_failures: int,
    ) -> ProcessorResult:
        behavior = method.get("test_behavior") or "succeed"
        reference = "sim_ch_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]
        if behavior == "decline" or (behavior == "decline_once" and previous_failures == 0):
            return ProcessorResult("failed", reference, "card_declined: the test card was declined")
        return ProcessorResult("succeeded", reference)

    def refund(
        self, payment: Mapping[str, Any], amount: Decimal, *, idempotency_key: str
    ) -> ProcessorResult:
        reference = "sim_re_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]
        return ProcessorResult("succeeded", reference)
