"""The sandbox clock in the header: Freeze, Advance (showing what ran) and Follow real time
(unfreeze), through the
same services as ``/clock``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from kassa.domain.errors import InvalidRequest
from kassa.services import clock as clocks
from kassa.web.auth import Acting, Viewing
from kassa.web.rendering import page, url

router = APIRouter()


def parse_instant(text: str) -> datetime:
    """A ``datetime-local`` value (``2026-07-01T09:30`` or with seconds), read as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(
            "Enter a date and time, e.g. 2026-07-01T09:30 (UTC).", field="at"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@router.get("/clock", name="clock")
def clock_page(request: Request, visitor: Viewing) -> Response:
    return page(request, "clock.html", title="Sandbox clock", action=None, result=None)


@router.post("/clock", name="move_clock")
def move_clock(request: Request, visitor: Acting) -> Response:
    """``action`` freeze or advance (to the ``at`` field's instant), or unfreeze."""
    action = visitor.form.text("action")
    result: dict[str, Any] | None = None
    try:
        if action == "unfreeze":
            result = clocks.unfreeze(visitor.ctx)
        elif action in ("freeze", "advance"):
            at = parse_instant(visitor.form.get("at"))
            move = clocks.freeze if action == "freeze" else clocks.advance
            result = move(visitor.ctx, at)
        else:
            raise InvalidRequest("Choose Freeze, Advance or Follow real time.")
    except InvalidRequest as exc:
        return page(request, "clock.html", status=422, title="Sandbox clock", action=action,
                    result=None, errors={"at": exc.detail},
                    values=visitor.form.values(), here=url(request, "clock"))
    visitor.reload_clock()
    return page(request, "clock.html", title="Sandbox clock", action=action, result=result,
                here=url(request, "clock"))
