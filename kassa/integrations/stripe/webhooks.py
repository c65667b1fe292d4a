"""Stripe's webhooks: the signature verified with ``stripe.Webhook.construct_event`` against each
environment's signing secret, and an event read as a ``kassa.payments`` notice.

An event is read for what it means now, not replayed blindly: a refund's outcome is what
Stripe's Refund API says of the payment's refunds when the event arrives, a collected payment
method is retrieved from its SetupIntent. Applying a notice is
``kassa.services.billing.processor_events.apply``: once per event id, and only as a transition
from ``processing`` (so a late or repeated event changes nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import stripe

from kassa.integrations.stripe.processor import StripeProcessor, field, intent_result
from kassa.payments import MethodNotice, Notice, PaymentNotice, ProcessorResult, RefundNotice

HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded",
           "setup_intent.succeeded", "checkout.session.completed")


class BadSignature(Exception):
    """The body is not an event signed by a configured Stripe webhook secret."""


def verify(payload: bytes, header: str | None, secrets: Sequence[tuple[str, str]],
           ) -> tuple[str, stripe.Event]:
    """The environment whose signing secret verifies ``payload``, and its event."""
    if not header:
        raise BadSignature("The Stripe-Signature header is missing.")
    for environment, secret in secrets:
        try:
            return environment, stripe.Webhook.construct_event(payload, header, secret)
        except stripe.SignatureVerificationError:
            continue
        except ValueError:  # signed, but not an event
            raise BadSignature("The body is not a Stripe event.") from None
    raise BadSignature("The Stripe-Signature header does not verify with this environment's "
                       "webhook signing secret (or is older than five minutes).")


def _marks(obj: Any) -> dict[str, str]:
    metadata = field(obj, "metadata")
    return dict(metadata.to_dict()) if metadata is not None else {}


def _elsewhere(obj: Any, processor: StripeProcessor) -> bool:
    """Kassa made it for another environment (one Stripe account serving both)."""
    return _marks(obj).get("kassa_environment", processor.environment) != processor.environment


def notice_of(event: stripe.Event, processor: StripeProcessor) -> Notice | None:
    """What ``event`` tells Kassa (None: an event Kassa does not act on). May ask Stripe."""
    obj = event.data.object
    kind = event.type
    if kind in HANDLED and _elsewhere(obj, processor):
        return None
    ours = "kassa_invoice_id" in _marks(obj)
    if kind == "payment_intent.succeeded":
        return PaymentNotice(obj.id, ProcessorResult("succeeded", obj.id), ours)
    if kind == "payment_intent.payment_failed":
        result = intent_result(obj)
        if result.status != "failed":
            result = ProcessorResult("failed", obj.id, "payment_failed: the payment failed")
        return PaymentNotice(obj.id, result, ours)
    if kind == "charge.refunded":
        intent = field(obj, "payment_intent")
        if isinstance(intent, stripe.PaymentIntent):
            intent = intent.id
        if not intent:
            return None
        return RefundNotice(str(intent), processor.refunds_of(str(intent)))
    if kind == "setup_intent.succeeded":
        found = processor.collected(setup_intent=obj.id)
        return MethodNotice(found) if found is not None else None
    if kind == "checkout.session.completed" and field(obj, "mode") == "setup":
        intent = field(obj, "setup_intent")
        if isinstance(intent, stripe.SetupIntent):
            intent = intent.id
        found = processor.collected(setup_intent=str(intent)) if intent else None
        return MethodNotice(found) if found is not None else None
    return None
