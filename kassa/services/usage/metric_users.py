"""Who bills a metric: the registry of sources the event debugger asks.

``MetricUsers`` is a registry of sources answering "which of this customer's subscriptions bill
this metric at this instant?". Subscriptions register theirs in
``kassa.bootstrap.build_metric_users``, so usage never imports who answers.
``metric_subscription_check`` is the only reader; with no source registered it says that
subscription data is unavailable, never a guess.
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
    users: MetricUsers | None,
    environment: str,
    customer_id: str,
    metric_id: str,
    at: datetime,
) -> SubscriptionCheck:
    """Ask every registered source whether a subscription of the customer bills the metric."""
    if users is None or not users.sources:
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

