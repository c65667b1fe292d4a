"""The stretches of a customer's usage each subscription is billed for (``UsageWindow.claims``):
read for a batch of (subscription, customer, metric) in a few queries.

Most customers have one subscription: it owns all their unnamed events (claims None), found
with one grouped query for the whole batch. For a customer with several, their subscriptions
and published versions are read and ``kassa.domain.usage_owners`` decides (the earliest-started
subscription pricing the metric at each instant)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import Connection, func, select

from kassa.domain.subscription import Subscription
from kassa.domain.usage_owners import Stretch, owned_stretches
from kassa.services.subscriptions.metric_users import LIVE_OR_ENDED
from kassa.services.subscriptions.records import versions_by_subscription
from kassa.store.queries import among
from kassa.store.tables import subscriptions

Claims = tuple[Stretch, ...] | None
Wanted = tuple[str, str, str]  # (subscription id, customer id, metric id)


def shared_customers(conn: Connection, environment: str, customer_ids: Collection[str],
                     ) -> set[str]:
    """Those of ``customer_ids`` with more than one subscription that ever billed."""
    if not customer_ids:
        return set()
    return set(conn.execute(
        select(subscriptions.c.customer_id)
        .where(subscriptions.c.environment == environment,
               among(conn, subscriptions.c.customer_id, sorted(customer_ids)),
               subscriptions.c.status.in_(LIVE_OR_ENDED))
        .group_by(subscriptions.c.customer_id)
        .having(func.count() > 1)).scalars())


def claims(conn: Connection, environment: str, wanted: Iterable[Wanted],
           ) -> dict[tuple[str, str], Claims]:
    """``{(subscription id, metric id): its claims}``: None (all of the customer's unnamed
    events of the metric) when the customer has no other subscription, else the stretches
    the subscription owns."""
    wanted = set(wanted)
    shared = shared_customers(conn, environment, {c for _, c, _ in wanted})
    found: dict[tuple[str, str], Claims] = {(s, m): None for s, c, m in wanted
                                            if c not in shared}
    if not shared:
        return found
    subs = [Subscription.of(r) for r in conn.execute(
        select(subscriptions).where(
            subscriptions.c.environment == environment,
            among(conn, subscriptions.c.customer_id, sorted(shared)),
            subscriptions.c.status.in_(LIVE_OR_ENDED))
        .order_by(subscriptions.c.seq)).mappings()]
    versions = versions_by_subscription(conn, environment, [s.id for s in subs],
                                        published_only=True)
    by_customer: dict[str, list[Subscription]] = {}
    for sub in subs:
        by_customer.setdefault(sub.customer_id, []).append(sub)
    decided: dict[tuple[str, str], dict[str, list[Stretch]]] = {}
    for sub_id, customer_id, metric_id in sorted(wanted):
        if customer_id not in shared:
            continue
        key = (customer_id, metric_id)
        if key not in decided:
            decided[key] = owned_stretches(
                [(s, versions[s.id]) for s in by_customer.get(customer_id, [])], metric_id)
        found[(sub_id, metric_id)] = tuple(decided[key].get(sub_id, []))
    return found


def owner_at(conn: Connection, environment: str, customer_id: str, metric_id: str,
             at: datetime) -> str | None:
    """The subscription an event of ``customer_id`` naming none, at ``at``, is billed to."""
    subs = [Subscription.of(r) for r in conn.execute(select(subscriptions).where(
        subscriptions.c.environment == environment, subscriptions.c.customer_id == customer_id,
        subscriptions.c.status.in_(LIVE_OR_ENDED)).order_by(subscriptions.c.seq)).mappings()]
    versions = versions_by_subscription(conn, environment, [s.id for s in subs],
                                        published_only=True)
    owned = owned_stretches([(s, versions[s.id]) for s in subs], metric_id)
    return next((sub_id for sub_id, stretches in owned.items()
                 if any(lo <= at < hi for lo, hi in stretches)), None)
