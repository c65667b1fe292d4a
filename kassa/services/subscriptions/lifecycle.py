"""Lifecycle: draft → (pending_approval) → active ⇄ paused → canceled.

Pause (our definition, the documents are silent): a pause starts now and lasts until
``resume_at`` or until ``POST /resume``. The contract term and the billing anchor do not move.
While paused no billing cycle is announced; fixed recurring charges cover only active days (the
billing engine prorates them by the ``pauses`` intervals); metered usage recorded during a pause
is still billed, since it was used.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from kassa.domain.contracts import resolve_effective, utc_date
from kassa.domain.errors import InvalidRequest, InvalidTransition
from kassa.domain.subscription import Subscription
from kassa.services.context import Ctx
from kassa.services.common import merge_metadata
from kassa.services.serialize import iso_date, rfc3339
from kassa.services.subscriptions import approvals, transitions
from kassa.services.subscriptions.billing_hooks import billing
from kassa.services.subscriptions.records import load, save, versions_of
from kassa.services.subscriptions.views import subscription_view

STATUS_WORDS = {
    "draft": "a draft",
    "pending_approval": "waiting for approval",
    "active": "active",
    "paused": "paused",
    "canceled": "canceled",
}


def refuse(sub: Subscription, action: str, hint: str = "") -> InvalidTransition:
    text = f"Cannot {action} subscription {sub.id}: it is {STATUS_WORDS[sub.status]}."
    return InvalidTransition(f"{text} {hint}".strip())


def activate(ctx: Ctx, sub_id: str) -> dict[str, Any]:
    """Activate a draft, unless an approval rule holds it for approval first."""
    with ctx.uow() as uow:
        sub = load(uow.conn, uow.environment, sub_id, for_update=True)
        if sub.status != "draft":
            raise refuse(sub, "activate", "Only a draft subscription can be activated.")
        sub = approvals.begin_unless_held(uow, sub)
        view = subscription_view(sub, versions_of(uow.conn, uow.environment, sub_id), uow.now)
        uow.commit()
    return view


def cancel(ctx: Ctx, sub_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Cancel now, at the end of the term, or on a date; scheduled ones can be undone."""
    with ctx.uow() as uow:
        sub = load(uow.conn, uow.environment, sub_id, for_update=True)
        versions = versions_of(uow.conn, uow.environment, sub_id)
        timing = data.get("timing", "end_of_term")
        cancellation = {
            "reason": data.get("reason", "other"),
            "timing": timing,
            "note": data.get("note"),
            "credit_unused_time": bool(data.get("credit_unused_time", False)),
            "requested_at": rfc3339(uow.now),
        }
        if sub.status == "canceled":
            raise refuse(sub, "cancel")
        if sub.status in ("draft", "pending_approval"):
            if timing != "immediate":
                raise InvalidRequest(
                    "A subscription that never started can only be canceled immediately.",
                    field="timing",
                )
            approvals.withdraw(uow, sub)
            sub = save(uow.conn, sub, {"cancellation": cancellation})
            sub = transitions.end(uow, sub, versions, uow.now)
        else:
            if timing not in ("immediate", "end_of_term") and not _is_date(timing):
                raise InvalidRequest(
                    "timing must be immediate, end_of_term or a date YYYY-MM-DD.", field="timing"
                )
            context = transitions.timing_context(sub, versions, uow.now)
            at = resolve_effective(timing, context, field="timing")
            sub = save(uow.conn, sub, {"cancellation": cancellation, "updated_at": uow.now})
            if at <= uow.now:
                sub = transitions.end(uow, sub, versions, uow.now)
            else:
                scheduled = {**cancellation, "effective_at": rfc3339(at)}
                sub = save(uow.conn, sub, {"cancel_at": at, "cancellation": scheduled})
                transitions.emit(uow, "subscription.cancelation_scheduled", sub, versions)
                sub = transitions.reschedule(uow, sub, versions)
        view = subscription_view(sub, versions, uow.now)
        uow.commit()
    return view


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def uncancel(ctx: Ctx, sub_id: str) -> dict[str, Any]:
    with ctx.uow() as uow:
        sub = load(uow.conn, uow.environment, sub_id, for_update=True)
        versions = versions_of(uow.conn, uow.environment, sub_id)
        if sub.status == "canceled":
            raise refuse(sub, "uncancel", "The cancellation has already taken effect.")
        if sub.cancel_at is None:
            raise InvalidTransition(
                f"Subscription {sub_id} has no scheduled cancellation to undo."
            )
        sub = save(uow.conn, sub, {"cancel_at": None, "cancellation": None, "updated_at": uow.now})
        transitions.emit(uow, "subscription.updated", sub, versions)
        sub = transitions.reschedule(uow, sub, versions)
        view = subscription_view(sub, versions, uow.now)
        uow.commit()
    return view


def pause(ctx: Ctx, sub_id: str, resume_at: date | None) -> dict[str, Any]:
    with ctx.uow() as uow:
        sub = load(uow.conn, uow.environment, sub_id, for_update=True)
        versions = versions_of(uow.conn, uow.environment, sub_id)
        if sub.status != "active":
            raise refuse(sub, "pause", "Only an active subscription can be paused.")
        if resume_at is not None and resume_at <= utc_date(uow.now):
            raise InvalidRequest("resume_at must be a date after today.", field="resume_at")
        pause_info = {
            "paused_at": rfc3339(uow.now),
            "resume_at": iso_date(resume_at),
        }
        pauses = [*sub.pauses, {"start": rfc3339(uow.now), "end": None}]
        sub = save(
            uow.conn,
            sub,
            {"status": "paused", "pause": pause_info, "pauses": pauses, "updated_at": uow.now},
        )
        billing(uow).on_pause(uow, sub, transitions.current_items(sub, versions), uow.now)
        transitions.emit(uow, "subscription.updated", sub, versions)
        sub = transitions.reschedule(uow, sub, versions)
        view = subscription_view(sub, versions, uow.now)
        uow.commit()
    return view


def resume(ctx: Ctx, sub_id: str) -> dict[str, Any]:
    with ctx.uow() as uow:
        sub = load(uow.conn, uow.environment, sub_id, for_update=True)
        versions = versions_of(uow.conn, uow.environment, sub_id)
        if sub.status != "paused":
            raise refuse(sub, "resume", "Only a paused subscription can be resumed.")
        sub = transitions.resume(uow, sub, versions, uow.now)
        sub = transitions.reschedule(uow, sub, versions)
        view = subscription_view(sub, versions, uow.now)
        uow.commit()
    return view


def update(ctx: Ctx, sub_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """PATCH: fields that apply at once, without a new version."""
    with ctx.uow() as uow:
        sub = load(uow.conn, uow.environment, sub_id, for_update=True)
        versions = versions_of(uow.conn, uow.environment, sub_id)
        values: dict[str, Any] = {}
        for name in ("name", "discount", "minimum_spend", "maximum_spend", "price_escalation"):
            if name in changes:
                values[name] = changes[name]
        if "billing" in changes and changes["billing"] is not None:
            given = {k: v for k, v in changes["billing"].items() if v is not None}
            values["billing"] = {**sub.billing, **given}
        if "renewal" in changes and changes["renewal"] is not None:
            if sub.status == "canceled":
                raise refuse(sub, "change the renewal of")
            values["renewal"] = {**sub.renewal, **changes["renewal"]}
        if "metadata" in changes:
            values["metadata"] = merge_metadata(sub.metadata, changes["metadata"])
        values["updated_at"] = uow.now
        sub = save(uow.conn, sub, values)
        transitions.emit(uow, "subscription.updated", sub, versions)
        sub = transitions.reschedule(uow, sub, versions)
        view = subscription_view(sub, versions, uow.now)
        uow.commit()
    return view
