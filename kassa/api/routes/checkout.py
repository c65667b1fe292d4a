"""Hosted checkout sessions: a page where a customer pays for a plan."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from kassa.api.deps import EnvCtx
from kassa.api.schemas.checkout import CheckoutSession, CheckoutSessionCreate
from kassa.services.checkout import sessions

router = APIRouter(prefix="/checkout-sessions", tags=["checkout"])


@router.post("", response_model=CheckoutSession, status_code=201)
def create_checkout_session(body: CheckoutSessionCreate, ctx: EnvCtx,
                            request: Request) -> dict[str, Any]:
    """A checkout page (``url``) for one plan of this environment. The page shows the plan and
    its price, collects the billing details and a card; paying creates the customer (unless
    ``customer_id`` is given), creates and activates the subscription, pays its first invoice,
    sets ``status`` complete, emits ``checkout.session.completed`` and sends the browser to
    ``success_url``. A declined card leaves the session open, the reason on the page. Past
    ``expires_at`` (real time) the session is ``expired`` and its page answers 410."""
    return sessions.create_session(ctx, body.data(), now=ctx.wall_clock.now(),
                                   request_base=str(request.base_url))


@router.get("/{session_id}", response_model=CheckoutSession)
def get_checkout_session(session_id: str, ctx: EnvCtx, request: Request) -> dict[str, Any]:
    return sessions.get_session(ctx, session_id, now=ctx.wall_clock.now(),
                                request_base=str(request.base_url))
