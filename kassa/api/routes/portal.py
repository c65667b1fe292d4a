"""Customer portal sessions: a single-use link that signs a customer's browser in to the portal."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from kassa.api.deps import EnvCtx, shown_once
from kassa.api.schemas.portal import PortalSession, PortalSessionCreate
from kassa.services.portal import sessions

router = APIRouter(prefix="/customer-portal-sessions", tags=["customer portal"])


@router.post("", response_model=PortalSession, status_code=201,
             dependencies=[shown_once("url")])
def create_portal_session(body: PortalSessionCreate, ctx: EnvCtx, request: Request) -> dict[str, Any]:
    """A link to the customer's billing portal. It works once, until ``expires_at`` (default one
    hour, at most 24): opening it signs the browser in for an hour; opening it again answers 410.
    Sections and abilities left out take the environment's Settings → Customer Portal. The
    link is shown once: a replay with the same ``Idempotency-Key`` answers a note in its place."""
    return sessions.create_link(
        ctx, customer_ref=body.customer_alias or body.customer_id or "",
        by_alias=body.customer_alias is not None, sections=body.sections(),
        return_url=body.return_url, expires_in=body.expires_in,
        now=ctx.wall_clock.now(), request_base=str(request.base_url),
    )
