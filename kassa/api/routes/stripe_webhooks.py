"""Stripe's webhooks: ``POST /integrations/stripe/webhooks`` (the environment is the one whose
signing secret verifies the event) or ``POST /integrations/stripe/webhooks/{environment}``
(only that environment's secret). No API key: the ``Stripe-Signature`` header is the proof. A
signature that does not verify is a 400; an event is applied once however often Stripe
delivers it (``kassa.services.billing.processor_events``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from kassa.api.errors import ApiError
from kassa.domain.errors import NotFound, Unavailable
from kassa.resources.fields import ResponseSchema
from kassa.store.tables import ENVIRONMENTS

router = APIRouter(prefix="/integrations/stripe", tags=["integrations"])
BODY_LIMIT = 1_048_576  # Stripe's events are a few kilobytes


class StripeWebhookReceipt(ResponseSchema):
    received: bool
    environment: str
    event_id: str
    outcome: str  # applied | unchanged | ignored | refused | duplicate


@router.post("/webhooks", response_model=StripeWebhookReceipt)
async def stripe_webhook(request: Request) -> dict[str, Any]:
    """A Stripe event for whichever environment's webhook signing secret verifies it."""
    return await _receive(request, None)


@router.post("/webhooks/{environment}", response_model=StripeWebhookReceipt)
async def stripe_environment_webhook(request: Request, environment: str) -> dict[str, Any]:
    """A Stripe event for ``environment`` (``sandbox`` or ``production``)."""
    if environment not in ENVIRONMENTS:
        raise NotFound(f"There is no environment {environment!r}.")
    return await _receive(request, environment)


async def _receive(request: Request, environment: str | None) -> dict[str, Any]:
    body = await request.body()
    if len(body) > BODY_LIMIT:
        raise ApiError(413, "A Stripe event is at most 1 MB.", "body")
    return await run_in_threadpool(_apply, request, environment, body)


def _apply(request: Request, environment: str | None, body: bytes) -> dict[str, Any]:
    import stripe

    from kassa.integrations.stripe.webhooks import BadSignature, notice_of, verify
    from kassa.services.billing import processor_events

    kassa = request.app.state.kassa
    secrets = [(env, secret.get_secret_value()) for env in ENVIRONMENTS
               if (environment is None or env == environment)
               and (secret := getattr(kassa.settings, f"stripe_webhook_secret_{env}")) is not None
               and getattr(kassa.processors.get(env), "name", None) == "stripe"]
    if not secrets:
        raise NotFound("Stripe is not configured for " + (
            f"the {environment} environment." if environment else "any environment."))
    try:
        found, event = verify(body, request.headers.get("stripe-signature"), secrets)
    except BadSignature as exc:
        raise ApiError(400, str(exc), "Stripe-Signature") from None
    request.state.environment = found
    ctx = kassa.ctx(found)
    try:
        notice = notice_of(event, ctx.processor)
    except stripe.StripeError as exc:  # Stripe is asked what the event means: retried later
        raise Unavailable("Stripe could not be asked about this event; deliver it again "
                          f"later ({type(exc).__name__}).") from None
    outcome = processor_events.apply(ctx, "stripe", event.id, event.type, notice)
    return {"received": True, "environment": found, "event_id": event.id, "outcome": outcome}
