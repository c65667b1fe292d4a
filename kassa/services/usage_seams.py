"""Where usage meets subscriptions and invoicing, which later issues build.

Two seams, each in exactly one place:

- ``MetricUsers`` is a registry of sources answering "which of this customer's subscriptions
  bill this metric at this instant?". The subscriptions issue registers its source in
  ``kassa.bootstrap.build_metric_users``. ``metric_subscription_check`` is the only reader; with
  no source registered it says that subscription data is unavailable, never a guess.
- ``invoiced_event_ids`` says which stored events lie in a billing period that is already
  invoiced (an upsert must not change them), from ``customers.usage_billed_through_us``, which
  the billing run keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

# (conn, environment, customer_id, metric_id, at) -> ids of the customer's subscriptions that
# bill the metric at ``at`` (an empty sequence: none does).
MetricUserSource = Callable[[Connection, str, str, str, datetime], Sequence[str]]

UNAVAILABLE = "unavailable"
IN_USE = "in_use"
NOT_IN_USE = "not_in_use"


@dataclass(frozen=True)
class SubscriptionCheck:
    """Whether a subscription bills a metric for a customer: ``unavailable``, ``in_use``, or
    ``not_in_use``."""

    status: str
    detail: str
    subscription_ids: tuple[str, ...] = ()

    def view(self) -> dict[str, object]:
        return {
            "status": self.status,
            "detail": self.detail,
            "subscription_ids": list(self.subscription_ids),
        }


@dataclass
class MetricUsers:
    """The registered sources of "who bills this metric" (filled by the subscriptions issue)."""

    sources: dict[str, MetricUserSource] = field(default_factory=dict)

    def register(self, name: str, source: MetricUserSource) -> None:
        if name in self.sources:
            raise ValueError(f"metric user source {name!r} registered twice")
        self.sources[name] = source


def metric_subscription_check(
    conn: Connection,
    users: MetricUsers,
    environment: str,
    customer_id: str,
    metric_id: str,
    at: datetime,
) -> SubscriptionCheck:
    """Ask every registered source whether a subscription of the customer bills the metric."""
    if not users.sources:
        return SubscriptionCheck(
            UNAVAILABLE,
            "Subscription data is not available in this version of Kassa, so it cannot tell "
            "whether a subscription bills this metric.",
        )
    ids: list[str] = []
    for source in users.sources.values():
        ids += [i for i in source(conn, environment, customer_id, metric_id, at) if i not in ids]
    if ids:
        return SubscriptionCheck(
            IN_USE, f"Billed by subscription {', '.join(ids)}.", tuple(ids)
        )
    return SubscriptionCheck(
        NOT_IN_USE,
        f"No subscription of customer {customer_id!r} bills this metric at the event's time.",
    )


def invoiced_event_ids(
    conn: Connection, environment: str, events: Sequence[tuple[str, str | None, int]]
) -> set[str]:
    """The unique_ids among ``events`` — (unique_id, customer_id, timestamp_us) of stored events
    about to be upserted — whose billing period is already invoiced: those before the instant
    up to which their customer's usage is invoiced (one query for the whole batch)."""
    from sqlalchemy import select

    from kassa.store.tables import customers

    owners = {customer_id for _, customer_id, _ in events if customer_id is not None}
    if not owners:
        return set()
    through = dict(conn.execute(
        select(customers.c.id, customers.c.usage_billed_through_us).where(
            customers.c.environment == environment,
            customers.c.id.in_(sorted(owners)),
            customers.c.usage_billed_through_us.is_not(None),
        )
    ).all())
    return {
        uid
        for uid, customer_id, ts in events
        if customer_id in through and ts < through[customer_id]
    }
