"""Publishing versions (Path A and Path B share it) and the proration a take-over implies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from kassa.domain.change_proration import BilledAs, change_proration, totals
from kassa.domain.contracts import midnight, resolve_effective, utc_date
from kassa.domain.money import decimal_str, round_money
from kassa.domain.subscription import Subscription, Version, replaced
from kassa.services.serialize import iso_date
from kassa.services.subscriptions import transitions
from kassa.services.subscriptions.records import save_version
from kassa.store.uow import UnitOfWork


def effective_instant(sub: Subscription, versions: Sequence[Version], value: str, now: datetime,
                      field: str) -> datetime:
    """When a version asked for with ``value`` takes over; never before the contract starts."""
    at = resolve_effective(value, transitions.timing_context(sub, versions, now), field=field)
    if sub.contract_start is not None and sub.status != "draft":
        at = max(at, midnight(sub.contract_start))
    return at


def proration_view(
    sub: Subscription, old_items: Sequence[dict], new_items: Sequence[dict], at: datetime, now: datetime,
    behaviour: str,
) -> dict[str, Any] | None:
    """The proration of switching item sets at ``at`` (None when nothing is prorated then)."""
    if sub.billing_anchor is None:
        return None
    currency = sub.currency
    lines = change_proration(
        old_items,
        new_items,
        effective=utc_date(at),
        anchor=sub.billing_anchor,
        currency=currency,
        at_period_start=at == now,
        billed=BilledAs(currency, sub.contract_start, sub.price_escalation, sub.discount),
    )
    if behaviour == "none":
        lines = []
    total = totals(lines, currency)
    return {
        "behaviour": behaviour,
        "effective_date": iso_date(utc_date(at)),
        "lines": [
            {
                "product_id": line.product_id,
                "bundle_id": line.bundle_id,
                "period": {"start": iso_date(line.period.start), "end": iso_date(line.period.end)},
                "covers": {"start": iso_date(line.covers.start), "end": iso_date(line.covers.end)},
                "period_days": line.period.days,
                "remaining_days": line.remaining_days,
                "old_amount": decimal_str(round_money(line.old_amount, currency)),
                "new_amount": decimal_str(round_money(line.new_amount, currency)),
                "old_daily_rate": decimal_str(line.old_daily_rate),
                "new_daily_rate": decimal_str(line.new_daily_rate),
                "credit": decimal_str(line.credit),
                "charge": decimal_str(line.charge),
                "net": decimal_str(line.net),
            }
            for line in lines
        ],
        "credit": decimal_str(total["credit"]),
        "charge": decimal_str(total["charge"]),
        "net": decimal_str(total["net"]),
    }


class Published(NamedTuple):
    """The subscription and the version after publishing it."""

    sub: Subscription
    version: Version


def publish(uow: UnitOfWork, sub: Subscription, versions: list[Version], version: Version,
            at: datetime) -> Published:
    """Publish ``version`` for ``at`` (in ``versions`` too): it takes over now if ``at`` has
    come, else it waits in ``pending_changes`` and the due-work scheduler hands over on time."""
    version = save_version(
        uow.conn,
        version,
        {"status": "published", "effective_at": at, "published_at": uow.now, "updated_at": uow.now},
    )
    replaced(versions, version)
    if at <= uow.now:
        sub = transitions.take_over(uow, sub, versions, version, immediate=True)
    else:
        transitions.emit(uow, "subscription.updated", sub, versions)
    return Published(transitions.reschedule(uow, sub, versions), version)
