from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kassa.api.deps import EnvCtx
from kassa.api.schemas.common import Instant, Schema
from kassa.resources.clock import AdvanceResult, ClockState, FreezeResult
from kassa.services import clock

router = APIRouter(prefix="/clock", tags=["clock"])


class FreezeRequest(Schema):
    at: Instant


class AdvanceRequest(Schema):
    to: Instant


@router.get("", response_model=ClockState)
def get_clock(ctx: EnvCtx) -> dict[str, Any]:
    """The environment's current time, and whether it is frozen."""
    return clock.clock_state(ctx.clock)


@router.post("/freeze", response_model=FreezeResult)
def freeze_clock(body: FreezeRequest, ctx: EnvCtx) -> dict[str, Any]:
    """Sandbox only: stop the clock at ``at`` (earlier than what the sandbox holds: with a
    ``warning``)."""
    return clock.freeze(ctx, body.at)


@router.post("/advance", response_model=AdvanceResult)
def advance_clock(body: AdvanceRequest, ctx: EnvCtx) -> dict[str, Any]:
    """Sandbox only: move the clock forward to ``to``, running all due work in time order."""
    return clock.advance(ctx, body.to)


@router.post("/unfreeze", response_model=ClockState)
def unfreeze_clock(ctx: EnvCtx) -> dict[str, Any]:
    """Sandbox only: follow real time again (refused if that would move the clock backwards)."""
    return clock.unfreeze(ctx)
