"""Pause Subscription (set its duration) and Cancel Subscription (at the end of the period, now
or on a date; the reason, a note, the refund option when immediate), through the services
``POST /subscriptions/{id}/pause`` and ``/cancel`` call. Resume and undoing a scheduled
cancellation are one-click actions of ``subscription_pages``."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from kassa.api.schemas.subscriptions import CancelRequest, PauseRequest
from kassa.domain.contracts import utc_date
from kassa.domain.errors import InvalidRequest, KassaError
from kassa.domain.periods import add_months
from kassa.services import subscriptions as subs
from kassa.web.auth import Acting, ActingForm, Visitor
from kassa.web.dashboard.subscription_pages import back_to, subscription_facts
from kassa.web.forms import Form, field_errors, parsed
from kassa.web.rendering import page

router = APIRouter(prefix="/subscriptions")

DURATIONS = [("", "Until resumed"), ("1", "1 month"), ("2", "2 months"), ("3", "3 months"),
             ("6", "6 months"), ("date", "Until a date")]
CANCEL_TYPES = [("end_of_term", "Cancel at end of period"), ("immediate", "Cancel immediately"),
                ("date", "Cancel on a date")]
# The reasons the API takes, in the lifecycle document's words where it has them.
REASONS = [("", "Not given"), ("no_longer_required", "No longer required"),
           ("pricing", "Price"), ("features", "Features"),
           ("moving_provider", "Switching to a competitor"), ("support", "Support"),
           ("upgraded", "Upgraded"), ("other", "Other")]
CANCEL_INPUTS = {"timing": "timing", "reason": "reason", "note": "note",
                 "credit_unused_time": "credit_unused_time"}


def _form_page(request: Request, visitor: Visitor, template: str, title: str, sub_id: str,
               status: int = 200, **context: Any) -> Response:
    return page(request, template, status=status, active="subscriptions", title=title,
                **subscription_facts(visitor, sub_id), **context)


# ------------------------------------------------------------------ Pause Subscription


def resume_date(form: Form, today: date) -> str | None:
    """The pause duration as the date the subscription resumes on (None: until resumed)."""
    duration = form.text("duration")
    if duration == "date":
        if not form.text("resume_on"):
            raise InvalidRequest("Give the date the subscription resumes on.", field="resume_at")
        return form.text("resume_on")
    if duration.isdigit():
        return add_months(today, int(duration)).isoformat()
    if duration:
        raise InvalidRequest("Choose a pause duration from the list.", field="duration")
    return None


@router.get("/{sub_id}/pause", name="pause_subscription")
def pause_form(request: Request, visitor: ActingForm, sub_id: str) -> Response:
    return _form_page(request, visitor, "subscriptions/pause.html", "Pause Subscription", sub_id,
                      durations=DURATIONS)


@router.post("/{sub_id}/pause")
def pause(request: Request, visitor: Acting, sub_id: str) -> Response:
    """Pause now, for the duration chosen (or until resumed)."""
    form = visitor.form
    try:
        today = utc_date(visitor.ctx.clock.now())
        body = parsed(PauseRequest, {"resume_at": resume_date(form, today)})
        sub = subs.pause(visitor.ctx, sub_id, body.resume_at)
    except KassaError as exc:
        inputs = {"resume_at": "resume_on" if form.text("duration") == "date" else "duration",
                  "duration": "duration"}
        return _form_page(request, visitor, "subscriptions/pause.html", "Pause Subscription",
                          sub_id, status=422, durations=DURATIONS, values=form.values(),
                          errors=field_errors(exc, inputs))
    return back_to(request, sub, "paused")


# ------------------------------------------------------------------ Cancel Subscription


def cancel_request(form: Form) -> dict[str, Any]:
    """The cancellation the form asks for, as ``POST /cancel`` takes it."""
    kind = form.text("timing") or "end_of_term"
    if kind == "date":
        if not form.text("cancel_date"):
            raise InvalidRequest("Give the date the subscription ends on.", field="timing")
        kind = form.text("cancel_date")
    refund = form.get("credit_unused_time") == "true"
    if refund and kind != "immediate":
        raise InvalidRequest("A refund of the unused time applies to an immediate cancellation "
                             "only.", field="credit_unused_time")
    body: dict[str, Any] = {"timing": kind, "note": form.text("note") or None,
                            "credit_unused_time": refund}
    if form.text("reason"):
        body["reason"] = form.text("reason")
    return body


def _cancel_page(request: Request, visitor: Visitor, sub_id: str, status: int = 200,
                 **context: Any) -> Response:
    context.setdefault("values", {"timing": "end_of_term"})
    return _form_page(request, visitor, "subscriptions/cancel.html", "Cancel Subscription",
                      sub_id, status=status, cancel_types=CANCEL_TYPES, reasons=REASONS,
                      **context)


@router.get("/{sub_id}/cancel", name="cancel_subscription")
def cancel_form(request: Request, visitor: ActingForm, sub_id: str) -> Response:
    return _cancel_page(request, visitor, sub_id)


@router.post("/{sub_id}/cancel")
def cancel(request: Request, visitor: Acting, sub_id: str) -> Response:
    form = visitor.form
    try:
        body = parsed(CancelRequest, cancel_request(form))
        sub = subs.cancel(visitor.ctx, sub_id, body.model_dump())
    except KassaError as exc:
        inputs = CANCEL_INPUTS | ({"timing": "cancel_date"} if form.text("timing") == "date"
                                  else {})
        return _cancel_page(request, visitor, sub_id, status=422, values=form.values(),
                            errors=field_errors(exc, inputs))
    return back_to(request, sub, "canceled" if sub["status"] == "canceled" else "cancel_scheduled")
