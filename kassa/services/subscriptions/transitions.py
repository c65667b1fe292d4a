"""Scheduled subscription transitions, in the order they apply at one instant:

1. a published version whose ``effective_at`` has come takes over (``subscription.version.updated``);
2. a paused subscription whose ``resume_at`` has come resumes (``subscription.updated``);
3. a scheduled cancellation takes effect (``subscription.canceled``) and nothing else follows;
4. at the end of the contract term it renews (``subscription.updated``) or, without renewal,
   ends (``subscription.canceled``);
5. a new billing cycle begins (``subscription.started``; silently skipped while paused).

``next_action_at`` on the subscription row is the earliest of those instants; the
``subscriptions`` due-work source runs every subscription whose instant has come.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from kassa.domain.contracts import (
    TimingContext,
    cycle_interval,
    midnight,
    renewal_at,
    renews,
)
from kassa.domain.periods import next_period_start
from kassa.domain.subscription import Version
from kassa.services.serialize import iso_date, rfc3339
from kassa.services.subscriptions.billing_hooks import billing
from kassa.services.subscriptions.records import (
    Row,
    save,
    versions_of,
)
from kassa.services.subscriptions.views import subscription_view
from kassa.store.uow import UnitOfWork

LIVE = ("active", "paused")
FOREVER = datetime.max.replace(tzinfo=UTC)


def current_items(sub: Row, versions: Sequence[Version]) -> list[dict[str, Any]]:
    current = next((v for v in versions if v.id == sub["current_version_id"]), None)
    return list(current.items) if current else []


def next_cycle(sub: Row, versions: Sequence[Version]) -> date | None:
    """The next billing cycle boundary after the last one announced."""
    if sub["billing_anchor"] is None:
        return None
    start = date.fromisoformat(sub["contract"]["start_date"])
    if sub["cycle_start"] is None:
        return start
    interval = cycle_interval(current_items(sub, versions))
    return next_period_start(sub["billing_anchor"], interval, sub["cycle_start"])


def next_action_at(sub: Row, versions: Sequence[Version]) -> datetime | None:
    """The earliest instant at which a scheduled transition of ``sub`` is due."""
    if sub["status"] not in LIVE:
        return None
    candidates: list[datetime] = []
    candidates += [v.effective_at for v in later_versions(sub, versions, FOREVER)]
    if sub["status"] == "paused" and sub["pause"] and sub["pause"].get("resume_at"):
        candidates.append(midnight(date.fromisoformat(sub["pause"]["resume_at"])))
    if sub["cancel_at"] is not None:
        candidates.append(sub["cancel_at"])
    if sub["term_end"] is not None:
        candidates.append(midnight(sub["term_end"]))
    cycle = next_cycle(sub, versions)
    if cycle is not None:
        candidates.append(midnight(cycle))
    return min(candidates, default=None)


def timing_context(sub: Row, versions: Sequence[Version], now: datetime) -> TimingContext:
    return TimingContext(
        now=now,
        period_type=sub["contract"].get("period_type"),
        term_end=sub["term_end"],
        renews=renews(sub["contract"], sub["renewal"]),
        anchor=sub["billing_anchor"],
        interval=cycle_interval(current_items(sub, versions)),
    )


def reschedule(uow: UnitOfWork, sub: Row, versions: Sequence[Version] | None = None) -> None:
    versions = versions if versions is not None else versions_of(uow.conn, uow.environment, sub["id"])
    save(uow.conn, sub, {"next_action_at": next_action_at(sub, versions)})


def emit(uow: UnitOfWork, event: str, sub: Row, versions: Sequence[Version], **extra: Any) -> None:
    uow.emit(event, {**subscription_view(sub, versions, uow.now), **extra})


def later_versions(sub: Row, versions: Sequence[Version], at: datetime) -> list[Version]:
    """Published versions that supersede the current one by ``at``, in take-over order."""
    current = next((v for v in versions if v.id == sub["current_version_id"]), None)
    if current is None:
        return []
    mark = (current.effective_at, current.number)
    return sorted(
        (
            v
            for v in versions
            if v.status == "published"
            and v.effective_at <= at
            and (v.effective_at, v.number) > mark
        ),
        key=lambda v: (v.effective_at, v.number),
    )


def _take_over(uow: UnitOfWork, sub: Row, versions: list[Version], at: datetime) -> list[dict]:
    ran = []
    for version in later_versions(sub, versions, at):
        take_over(uow, sub, versions, version, immediate=False)
        ran.append(
            {
                "type": "subscription.version_took_over",
                "subscription_id": sub["id"],
                "version_id": version.id,
            }
        )
    return ran


def take_over(
    uow: UnitOfWork, sub: Row, versions: Sequence[Version], version: Version, *, immediate: bool
) -> None:
    """Make ``version`` the current one, bill the proration it implies, and say so.

    ``immediate``: the change was asked for now (not scheduled for a boundary).
    """
    previous = sub["current_version_id"]
    old_items = current_items(sub, versions)
    values: dict[str, Any] = {"current_version_id": version.id, "updated_at": uow.now}
    if version.plan_id:
        values["plan_id"] = version.plan_id
    save(uow.conn, sub, values)
    billing(uow).on_version_takes_over(uow, sub, old_items, version.items,
                                       version.effective_at, version, immediate=immediate)
    emit(
        uow,
        "subscription.version.updated",
        sub,
        versions,
        version={"id": version.id, "number": version.number,
                 "effective_at": rfc3339(version.effective_at),
                 "description": version.description, "previous_version_id": previous},
    )


def _resume_due(uow: UnitOfWork, sub: Row, versions: list[Version], at: datetime) -> list[dict]:
    pause = sub["pause"] or {}
    if sub["status"] != "paused" or not pause.get("resume_at"):
        return []
    if midnight(date.fromisoformat(pause["resume_at"])) > at:
        return []
    resume(uow, sub, versions, at)
    return [{"type": "subscription.resumed", "subscription_id": sub["id"]}]


def resume(uow: UnitOfWork, sub: Row, versions: Sequence[Version], at: datetime) -> None:
    pauses = [dict(p) for p in sub["pauses"]]
    if pauses and pauses[-1].get("end") is None:
        pauses[-1]["end"] = rfc3339(at)
    save(uow.conn, sub, {"status": "active", "pause": None, "pauses": pauses, "updated_at": uow.now})
    billing(uow).on_resume(uow, sub, current_items(sub, versions), at)
    emit(uow, "subscription.updated", sub, versions)


def _cancel_due(uow: UnitOfWork, sub: Row, versions: list[Version], at: datetime) -> list[dict]:
    if sub["cancel_at"] is None or sub["cancel_at"] > at:
        return []
    end(uow, sub, versions, at)
    return [{"type": "subscription.canceled", "subscription_id": sub["id"]}]


def end(uow: UnitOfWork, sub: Row, versions: Sequence[Version], at: datetime) -> None:
    """The subscription stops here: status canceled, nothing scheduled any more."""
    cancellation = dict(sub["cancellation"] or {"reason": "contract_ended", "timing": "end_of_term"})
    cancellation["effective_at"] = rfc3339(at)
    pauses = [dict(p) for p in sub["pauses"]]
    if pauses and pauses[-1].get("end") is None:
        pauses[-1]["end"] = rfc3339(at)
    save(
        uow.conn,
        sub,
        {
            "status": "canceled",
            "canceled_at": at,
            "cancel_at": None,
            "cancellation": cancellation,
            "pause": None,
            "pauses": pauses,
            "next_action_at": None,
            "updated_at": uow.now,
        },
    )
    billing(uow).on_end(uow, sub)
    emit(uow, "subscription.canceled", sub, versions)


def _term_due(uow: UnitOfWork, sub: Row, versions: list[Version], at: datetime) -> list[dict]:
    if sub["term_end"] is None or midnight(sub["term_end"]) > at:
        return []
    nxt = renewal_at(sub["contract"], sub["renewal"], sub["term_end"])
    if nxt is None:
        end(uow, sub, versions, midnight(sub["term_end"]))
        return [{"type": "subscription.ended", "subscription_id": sub["id"]}]
    contract = dict(sub["contract"])
    contract["period_type"] = nxt.period_type
    contract["end_date"] = iso_date(nxt.term_end) if nxt.period_type == "fixed" else None
    if nxt.period_type == "fixed":
        contract["duration_months"] = sub["renewal"].get("duration_months") or contract.get(
            "duration_months"
        )
    save(
        uow.conn,
        sub,
        {"term_start": nxt.term_start, "term_end": nxt.term_end, "contract": contract,
         "updated_at": uow.now},
    )
    emit(uow, "subscription.updated", sub, versions, renewed={"term_start": iso_date(nxt.term_start),
                                                                "term_end": iso_date(nxt.term_end)})
    return [{"type": "subscription.renewed", "subscription_id": sub["id"],
             "term_end": iso_date(nxt.term_end)}]


def _cycle_due(uow: UnitOfWork, sub: Row, versions: list[Version], at: datetime) -> list[dict]:
    cycle = next_cycle(sub, versions)
    if cycle is None or midnight(cycle) > at:
        return []
    save(uow.conn, sub, {"cycle_start": cycle})
    if sub["status"] != "active":
        return []
    interval = cycle_interval(current_items(sub, versions))
    end_ = next_period_start(sub["billing_anchor"], interval, cycle)
    emit(uow, "subscription.started", sub, versions,
         billing_period={"start": iso_date(cycle), "end": iso_date(end_)})
    return [{"type": "subscription.started", "subscription_id": sub["id"],
             "period_start": iso_date(cycle)}]


STEPS = (_take_over, _resume_due, _cancel_due, _term_due, _cycle_due)


def advance(uow: UnitOfWork, sub: Row, now: datetime) -> list[dict]:
    """Apply, in time order, every transition of ``sub`` due at or before ``now``."""
    ran: list[dict] = []
    versions = versions_of(uow.conn, uow.environment, sub["id"])
    for _ in range(10_000):
        due = next_action_at(sub, versions)
        if due is None or due > now:
            break
        for step in STEPS:
            if sub["status"] not in LIVE:
                break
            ran += step(uow, sub, versions, due)
        if next_action_at(sub, versions) == due and sub["status"] in LIVE:
            raise RuntimeError(f"subscription {sub['id']} made no progress at {due}")
    save(uow.conn, sub, {"next_action_at": next_action_at(sub, versions)})
    return ran
