"""Usage thresholds: ``usage.threshold_exceeded`` once per billing period, when a customer's (or
one subscription's) usage of a metric in the current period passes a value.

Checked at ingestion, for the customers and event names of each stored batch: one query on a
small table when no threshold applies, one aggregate per threshold that does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update

from kassa.domain.billing.boundary import midnight
from kassa.domain.errors import InvalidRequest, InvalidTransition
from kassa.domain.periods import Period
from kassa.domain.usage import UsageWindow
from kassa.ids import new_id
from kassa.services.common import get_object
from kassa.services.context import Ctx
from kassa.services.customers import customer_filter, resolve_customer
from kassa.services.serialize import iso_date, money, rfc3339
from kassa.services.subscriptions.metric_users import (
    billing_period,
    calendar_month,
    subscriptions_billing,
)
from kassa.services.usage.aggregation import aggregate_windows
from kassa.store.queries import ListQuery, Page, fetch_page, get_row, in_filter
from kassa.store.tables import metrics, subscriptions, usage_thresholds
from kassa.store.uow import UnitOfWork


def threshold_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "customer_id": row["customer_id"],
        "subscription_id": row["subscription_id"],
        "metric_id": row["metric_id"],
        "value": money(row["value"]),
        "status": row["status"],
        "last_exceeded_at": rfc3339(row["last_exceeded_at"]),
        "last_period_start": iso_date(row["last_period_start"]),
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
    }


def create_threshold(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    with ctx.uow() as uow:
        sub_id = data.get("subscription_id")
        if sub_id:
            sub = get_row(uow.conn, subscriptions, uow.environment, sub_id, what="Subscription")
            customer_id = sub["customer_id"]
            if data.get("customer_id"):
                given = resolve_customer(uow.conn, uow.environment, data["customer_id"])["id"]
                if given != customer_id:
                    raise InvalidRequest(
                        f"Subscription {sub_id} belongs to customer {customer_id}, not {given}.",
                        field="customer_id",
                    )
        else:
            customer_id = resolve_customer(uow.conn, uow.environment, data["customer_id"])["id"]
        metric = get_row(uow.conn, metrics, uow.environment, data["metric_id"], what="Metric")
        row = {
            "environment": uow.environment,
            "id": new_id("uthr"),
            "customer_id": customer_id,
            "subscription_id": sub_id,
            "metric_id": metric["id"],
            "value": data["value"],
            "status": "active",
            "last_period_start": None,
            "last_exceeded_at": None,
            "created_at": uow.now,
            "updated_at": uow.now,
        }
        uow.conn.execute(insert(usage_thresholds), row)
        uow.commit()
    return threshold_view(row)


def archive_threshold(ctx: Ctx, threshold_id: str) -> dict[str, Any]:
    with ctx.uow() as uow:
        row = dict(get_row(uow.conn, usage_thresholds, uow.environment, threshold_id,
                           what="Usage threshold"))
        if row["status"] != "active":
            raise InvalidTransition(f"Usage threshold {threshold_id} is already archived.")
        row.update(status="archived", updated_at=uow.now)
        uow.conn.execute(update(usage_thresholds).where(
            usage_thresholds.c.environment == uow.environment,
            usage_thresholds.c.id == threshold_id,
        ).values(status="archived", updated_at=uow.now))
        uow.commit()
    return threshold_view(row)


def get_threshold(ctx: Ctx, threshold_id: str) -> dict[str, Any]:
    return get_object(ctx, usage_thresholds, threshold_id, what="Usage threshold",
                      view=threshold_view)


def list_thresholds(ctx: Ctx, query: ListQuery) -> Page:
    with ctx.uow(read_only=True) as uow:
        page = fetch_page(
            uow.conn, usage_thresholds, uow.environment, query,
            sortable={"created_at": usage_thresholds.c.created_at},
            filters={"customer_id": customer_filter(uow.conn, uow.environment,
                                                    usage_thresholds.c.customer_id),
                     "subscription_id": in_filter(usage_thresholds.c.subscription_id),
                     "metric_id": in_filter(usage_thresholds.c.metric_id),
                     "status": in_filter(usage_thresholds.c.status)},
        )
    return page.map(threshold_view)


def period_for(uow: UnitOfWork, row: Mapping[str, Any], at: datetime) -> tuple[Period, str | None]:
    """The billing period a threshold is measured over at ``at`` (calendar month without one)."""
    sub_id = row["subscription_id"]
    if sub_id is None:
        billing = subscriptions_billing(uow.conn, uow.environment, row["customer_id"],
                                        row["metric_id"], at)
        sub_id = billing[0] if billing else None
    period = billing_period(uow.conn, uow.environment, sub_id, row["metric_id"], at) if sub_id else None
    return (period or calendar_month(at)), sub_id


def check(uow: UnitOfWork, events: Sequence[tuple[str, str, int]]) -> None:
    """After ingestion, with the new events (customer_id, event_name, timestamp_us): the
    thresholds of those customers that were just passed."""
    names: dict[str, set[str]] = defaultdict(set)
    for customer_id, event_name, _ in events:
        names[customer_id].add(event_name)
    if not names:
        return
    found = [dict(r) for r in uow.conn.execute(
        select(usage_thresholds, metrics.c.event_name, metrics.c.aggregation,
               metrics.c.filter_groups)
        .join(metrics, (metrics.c.environment == usage_thresholds.c.environment)
              & (metrics.c.id == usage_thresholds.c.metric_id))
        .where(usage_thresholds.c.environment == uow.environment,
               usage_thresholds.c.status == "active",
               usage_thresholds.c.customer_id.in_(sorted(names)))
    ).mappings()]
    for row in found:
        if row["event_name"] not in names[row["customer_id"]]:
            continue
        period, sub_id = period_for(uow, row, uow.now)
        if row["last_period_start"] == period.start:
            continue  # already exceeded in this period
        metric = {"id": row["metric_id"], "event_name": row["event_name"],
                  "aggregation": row["aggregation"], "filter_groups": row["filter_groups"]}
        window = UsageWindow(row["customer_id"], midnight(period.start), midnight(period.end))
        value: Decimal | None = aggregate_windows(uow.conn, uow.environment, metric, [window])[window]
        if value is None or value <= row["value"]:
            continue
        uow.conn.execute(update(usage_thresholds).where(
            usage_thresholds.c.environment == uow.environment,
            usage_thresholds.c.id == row["id"],
        ).values(last_period_start=period.start, last_exceeded_at=uow.now, updated_at=uow.now))
        uow.emit("usage.threshold_exceeded", {
            "threshold_id": row["id"],
            "customer_id": row["customer_id"],
            "subscription_id": sub_id,
            "metric_id": row["metric_id"],
            "threshold": money(row["value"]),
            "usage": money(value),
            "period": {"start": iso_date(period.start), "end": iso_date(period.end)},
        })
