"""Which subscriptions bill a metric: the event debugger and usage thresholds ask."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, select

from kassa.domain.billing.timeline import day
from kassa.domain.errors import NotFound
from kassa.domain.items import priced_items
from kassa.domain.periods import Period, add_months, period_containing
from kassa.domain.subscription import Subscription, Version
from kassa.services.subscriptions.records import load, versions_by_subscription
from kassa.store.tables import subscriptions

LIVE_OR_ENDED = ("active", "paused", "canceled")


class WithVersions(NamedTuple):
    """A subscription and its published versions."""

    sub: Subscription
    versions: list[Version]


def item_with_metric(versions: Sequence[Version], metric_id: str, at: datetime) -> Mapping | None:
    """The item pricing ``metric_id`` in the version in force at ``at`` (None if none does)."""
    live = [v for v in versions if v.effective_at <= at] or list(versions)
    if not live:
        return None
    version = max(live, key=Version.order)
    for _, child in priced_items(version.items):
        if metric_id in (child["price"].get("metric_ids") or ()):
            return child
    return None


def _in_service(sub: Subscription, at: datetime) -> bool:
    start = sub.contract_start
    if sub.activated_at is None or start is None or day(at) < start:
        return False
    return sub.canceled_at is None or at < sub.canceled_at


def metric_users(conn: Connection, environment: str, customer_id: str, metric_id: str,
                 at: datetime) -> list[WithVersions]:
    """The customer's subscriptions that bill ``metric_id`` at ``at``."""
    subs = [Subscription.of(r) for r in conn.execute(select(subscriptions).where(
        subscriptions.c.environment == environment,
        subscriptions.c.customer_id == customer_id,
        subscriptions.c.status.in_(LIVE_OR_ENDED),
    ).order_by(subscriptions.c.seq)).mappings()]
    subs = [s for s in subs if _in_service(s, at)]
    versions = versions_by_subscription(conn, environment, [s.id for s in subs],
                                        published_only=True)
    return [WithVersions(s, versions[s.id]) for s in subs
            if item_with_metric(versions[s.id], metric_id, at)]


def subscriptions_billing(conn: Connection, environment: str, customer_id: str, metric_id: str,
                          at: datetime) -> list[str]:
    """Ids of the customer's subscriptions that bill ``metric_id`` at ``at``."""
    return [s.sub.id for s in metric_users(conn, environment, customer_id, metric_id, at)]


def with_versions(conn: Connection, environment: str, sub_id: str) -> WithVersions | None:
    """``sub_id`` with its published versions (None: there is no such subscription)."""
    try:
        sub = load(conn, environment, sub_id)
    except NotFound:
        return None
    return WithVersions(sub, versions_by_subscription(conn, environment, [sub_id],
                                                 published_only=True)[sub_id])


def billing_period(sub: Subscription, versions: Sequence[Version], metric_id: str,
                   at: datetime) -> Period | None:
    """The period of ``sub``'s item on ``metric_id`` (in its published ``versions``) that
    contains ``at``."""
    if sub.billing_anchor is None:
        return None
    item = item_with_metric(versions, metric_id, at)
    if item is None:
        return None
    anchor, today = sub.billing_anchor, day(at)
    interval = item["price"]["billing_interval"]
    start = sub.contract_start
    if today < anchor:
        return Period(start, anchor) if start < anchor else None
    return period_containing(anchor, interval, today)


def calendar_month(at: datetime) -> Period:
    first = day(at).replace(day=1)
    return Period(first, add_months(first, 1))
