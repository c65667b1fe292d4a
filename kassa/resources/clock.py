"""The clock as the API shows it."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from kassa.resources.fields import ResponseSchema, TimestampText


class ClockState(ResponseSchema):
    now: TimestampText
    frozen: bool


class FreezeResult(ClockState):
    warning: str | None = Field(
        None, description="Set when the clock is now before something already stored; else null"
    )


class AdvanceResult(ClockState):
    ran: list[dict[str, Any]]
