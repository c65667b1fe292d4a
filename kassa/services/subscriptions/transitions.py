"""Scheduled subscription transitions, in the order they apply at one instant:

1. a published version whose ``effective_at`` has come takes over (``subscription.version.updated``);
2. a paused subscription whose ``resume_at`` has come resumes (``subscription.updated``);
3. a scheduled cancellation takes effect (``subscription.canceled``) and nothing else follows;
4. at the end of the contract term it renews (``subscription.updated``; with
   ``renewal.pricing: plan_latest`` also a new version from the plan's current items taking over
   at the renewal date, ``subscription.version.updated``) or, without renewal, ends
   (``subscription.canceled``);
5. a new billing cycle begins (``subscription.started``; silently skipped while paused).

``next_action_at`` on the subscription row is the earliest of those instants; the
``subscriptions`` due-work source runs every subscription whose instant has come.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from kassa.domain.contracts import (
    TimingContext,
    cycle_interval,
    midnight,
    renewal_at,
)
from kassa.domain.items import key_of, reprice_from_plan
from kassa.domain.periods import next_period_start
from kassa.domain.subscription import Subscription, Version, by_id
from kassa.services.plans import plan_item_sets
from kassa.services.serialize import iso_date, rfc3339
from kassa.services.subscriptions.billing_hooks import billing
from kassa.services.subscriptions.records import insert_version, save, versions_of
from kassa.services.subscriptions.views import subscription_view
from kassa.store.uow import UnitOfWork

LIVE = ("active", "paused")
FOREVER = datetime.max.replace(tzinfo=UTC)


class Stepped(NamedTuple):
    """A subscription after its transitions, and what they did (for the due-work report)."""

    sub: Subscription
    ran: list[dict[str, Any]]


def current_items(sub: Subscription, versions: Sequence[Version]) -> list[dict[str, Any]]:
    current = by_id(versions, sub.current_version_id)
    return list(current.items) if current else []


def next_cycle(sub: Subscription, versions: Sequence[Version]) -> date | None:
    """The next billing cycle boundary after the last one announced."""
    if sub.billing_anchor is None:
        return None
    if sub.cycle_start is None:
        return sub.contract_start
    interval = cycle_interval(current_items(sub, versions))
    return next_period_start(sub.billing_anchor, interval, sub.cycle_start)


def next_action_at(sub: Subscription, versions: Sequence[Version]) -> datetime | None:
    """The earliest instant at which a scheduled transition of ``sub`` is due."""
    if sub.status not in LIVE:
        return None
    candidates: list[datetime] = []
    candidates += [v.effective_at for v in later_versions(sub, versions, FOREVER)]
    if sub.status == "paused" and sub.resume_at is not None:
        candidates.append(sub.resume_at)
    if sub.cancel_at is not None:
        candidates.append(sub.cancel_at)
    if sub.term_end is not None:
        candidates.append(midnight(sub.term_end))
    cycle = next_cycle(sub, versions)
    if cycle is not None:
        candidates.append(midnight(cycle))
    return min(candidates, default=None)


def timing_context(sub: Subscription, versions: Sequence[Version], now: datetime) -> TimingContext:
    return TimingContext(
        now=now,
        period_type=sub.period_type,
        term_end=sub.term_end,
        renews=sub.renews,
        anchor=sub.billing_anchor,
        interval=cycle_interval(current_items(sub, versions)),
    )


def reschedule(uow: UnitOfWork, sub: Subscription,
               versions: Sequence[Version] | None = None) -> Subscription:
    versions = versions if versions is not None else versions_of(uow.conn, uow.environment, sub.id)
    return save(uow.conn, sub, {"next_action_at": next_action_at(sub, versions)})


def emit(uow: UnitOfWork, event: str, sub: Subscription, versions: Sequence[Version],
         **extra: Any) -> None:
    uow.emit(event, {**subscription_view(sub, versions, uow.now), **extra})


def later_versions(sub: Subscription, versions: Sequence[Version], at: datetime) -> list[Version]:
    """Published versions that supersede the current one by ``at``, in take-over order."""
    current = by_id(versions, sub.current_version_id)
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


def _take_over(uow: UnitOfWork, sub: Subscription, versions: list[Version],
               at: datetime) -> Stepped:
    ran = []
    for version in later_versions(sub, versions, at):
        sub = take_over(uow, sub, versions, version, immediate=False)
        ran.append(
            {
                "type": "subscription.version_took_over",
                "subscription_id": sub.id,
                "version_id": version.id,
            }
        )
    return Stepped(sub, ran)


def take_over(uow: UnitOfWork, sub: Subscription, versions: Sequence[Version], version: Version,
              *, immediate: bool) -> Subscription:
    """Make ``version`` the current one, bill the proration it implies, and say so.

    ``immediate``: the change was asked for now (not scheduled for a boundary).
    """
    previous = sub.current_version_id
    old_items = current_items(sub, versions)
    values: dict[str, Any] = {"current_version_id": version.id, "updated_at": uow.now}
    if version.plan_id:
        values["plan_id"] = version.plan_id
    sub = save(uow.conn, sub, values)
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
    return sub


def _resume_due(uow: UnitOfWork, sub: Subscription, versions: list[Version],
                at: datetime) -> Stepped:
    if sub.status != "paused" or sub.resume_at is None or sub.resume_at > at:
        return Stepped(sub, [])
    sub = resume(uow, sub, versions, at)
    return Stepped(sub, [{"type": "subscription.resumed", "subscription_id": sub.id}])


def _closed_pauses(sub: Subscription, at: datetime) -> list[dict[str, Any]]:
    """The recorded pauses with the open one (if any) ending at ``at``."""
    pauses = [dict(p) for p in sub.pauses]
    if pauses and pauses[-1].get("end") is None:
        pauses[-1]["end"] = rfc3339(at)
    return pauses


def resume(uow: UnitOfWork, sub: Subscription, versions: Sequence[Version],
           at: datetime) -> Subscription:
    sub = save(uow.conn, sub, {"status": "active", "pause": None,
                               "pauses": _closed_pauses(sub, at), "updated_at": uow.now})
    billing(uow).on_resume(uow, sub, current_items(sub, versions), at)
    emit(uow, "subscription.updated", sub, versions)
    return sub


def _cancel_due(uow: UnitOfWork, sub: Subscription, versions: list[Version],
                at: datetime) -> Stepped:
    if sub.cancel_at is None or sub.cancel_at > at:
        return Stepped(sub, [])
    sub = end(uow, sub, versions, at)
    return Stepped(sub, [{"type": "subscription.canceled", "subscription_id": sub.id}])


def end(uow: UnitOfWork, sub: Subscription, versions: Sequence[Version],
        at: datetime) -> Subscription:
    """The subscription stops here: status canceled, nothing scheduled any more."""
    cancellation = dict(sub.cancellation or {"reason": "contract_ended", "timing": "end_of_term"})
    cancellation["effective_at"] = rfc3339(at)
    sub = save(
        uow.conn,
        sub,
        {
            "status": "canceled",
            "canceled_at": at,
            "cancel_at": None,
            "cancellation": cancellation,
            "pause": None,
            "pauses": _closed_pauses(sub, at),
            "next_action_at": None,
            "updated_at": uow.now,
        },
    )
    sub = billing(uow).on_end(uow, sub)
    emit(uow, "subscription.canceled", sub, versions)
    return sub


def _term_due(uow: UnitOfWork, sub: Subscription, versions: list[Version],
              at: datetime) -> Stepped:
    if sub.term_end is None or midnight(sub.term_end) > at:
        return Stepped(sub, [])
    nxt = renewal_at(sub.contract, sub.renewal, sub.term_end)
    if nxt is None:
        sub = end(uow, sub, versions, midnight(sub.term_end))
        return Stepped(sub, [{"type": "subscription.ended", "subscription_id": sub.id}])
    contract = dict(sub.contract)
    contract["period_type"] = nxt.period_type
    contract["end_date"] = iso_date(nxt.term_end) if nxt.period_type == "fixed" else None
    if nxt.period_type == "fixed":
        contract["duration_months"] = sub.renewal.get("duration_months") or contract.get(
            "duration_months"
        )
    sub = save(
        uow.conn,
        sub,
        {"term_start": nxt.term_start, "term_end": nxt.term_end, "contract": contract,
         "updated_at": uow.now},
    )
    emit(uow, "subscription.updated", sub, versions, renewed={"term_start": iso_date(nxt.term_start),
                                                                "term_end": iso_date(nxt.term_end)})
    ran = [{"type": "subscription.renewed", "subscription_id": sub.id,
            "term_end": iso_date(nxt.term_end)}]
    if sub.renewal.get("pricing") == "plan_latest" and sub.plan_id:
        sub, repriced = _reprice(uow, sub, versions, midnight(nxt.term_start))
        ran += repriced
    return Stepped(sub, ran)


def _reprice(uow: UnitOfWork, sub: Subscription, versions: list[Version],
             at: datetime) -> Stepped:
    """``renewal.pricing: plan_latest`` at a renewal: a version from the plan's current items
    (the subscription's own overrides kept, and named in its description), published and taking
    over at ``at`` without proration (the new term starts with it). Nothing when the items
    would not change."""
    assert sub.plan_id is not None
    sets = plan_item_sets(uow.conn, uow.environment, sub.plan_id)
    current = current_items(sub, versions)
    if not sets:
        return Stepped(sub, [])
    items, kept = reprice_from_plan(current, sets, sets[-1])
    if items == current:
        return Stepped(sub, [])
    own = ", ".join(f"{kind} {ident}" for kind, ident in kept) or "none"
    description = (f"Renewal on {iso_date(at.date())} at plan {sub.plan_id}'s current prices "
                   f"(plan version {len(sets)}); the subscription's own overrides kept: {own}")
    version = insert_version(uow.conn, sub, {
        "items": items, "plan_id": sub.plan_id, "description": description,
        "status": "published", "effective_at": at, "effective": "next_renewal",
        "proration": "none", "source_version_id": sub.current_version_id,
        "published_at": uow.now}, uow.now)
    versions.append(version)
    sub = take_over(uow, sub, versions, version, immediate=False)
    return Stepped(sub, [{"type": "subscription.repriced", "subscription_id": sub.id,
                          "version_id": version.id, "kept": [key_of(i)[1] for i in items
                                                             if key_of(i) in kept]}])


def _cycle_due(uow: UnitOfWork, sub: Subscription, versions: list[Version],
               at: datetime) -> Stepped:
    cycle = next_cycle(sub, versions)
    if cycle is None or midnight(cycle) > at:
        return Stepped(sub, [])
    sub = save(uow.conn, sub, {"cycle_start": cycle})
    if sub.status != "active":
        return Stepped(sub, [])
    interval = cycle_interval(current_items(sub, versions))
    end_ = next_period_start(sub.billing_anchor, interval, cycle)
    emit(uow, "subscription.started", sub, versions,
         billing_period={"start": iso_date(cycle), "end": iso_date(end_)})
    return Stepped(sub, [{"type": "subscription.started", "subscription_id": sub.id,
                          "period_start": iso_date(cycle)}])


Step = Callable[[UnitOfWork, Subscription, list[Version], datetime], Stepped]
STEPS: tuple[Step, ...] = (_take_over, _resume_due, _cancel_due, _term_due, _cycle_due)


def advance(uow: UnitOfWork, sub: Subscription, now: datetime) -> Stepped:
    """Apply, in time order, every transition of ``sub`` due at or before ``now``."""
    ran: list[dict[str, Any]] = []
    versions = versions_of(uow.conn, uow.environment, sub.id)
    for _ in range(10_000):
        due = next_action_at(sub, versions)
        if due is None or due > now:
            break
        for step in STEPS:
            if sub.status not in LIVE:
                break
            sub, done = step(uow, sub, versions, due)
            ran += done
        if next_action_at(sub, versions) == due and sub.status in LIVE:
            raise RuntimeError(f"subscription {sub.id} made no progress at {due}")
    sub = save(uow.conn, sub, {"next_action_at": next_action_at(sub, versions)})
    return Stepped(sub, ran)
