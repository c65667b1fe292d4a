"""Usage thresholds: ``usage.threshold_exceeded`` once per billing period, when a customer's (or
one subscription's) usage of a metric in the current period passes a value.

Measured by a job, not by ingestion itself: a stored batch whose customer has an active
threshold enqueues one ``check_usage_thresholds`` job for that customer, deduplicated by key, so
a burst of batches makes one job while it waits (``check_later``). The job runs as the batch's
commit returns (or later by the worker, or on the next sandbox clock advance) and measures each
of the customer's active thresholds, one aggregate each, in the transaction that completes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update

from kassa.domain.billing.boundary import midnight
from kassa.domain.errors import InvalidRequest, InvalidTransition
from kassa.domain.periods import Period
from kassa.domain.usage import UsageWindow
from kassa.ids import new_id
from kassa.queue import Job
from kassa.queue.runner import JobResult
from kassa.resources import render, renderer
from kassa.resources.usage import UsageThreshold
from kassa.services.common import get_object
from kassa.services.context import Ctx
from kassa.services.customers import list_customer_records, resolve_customer
from kassa.services.serialize import iso_date, money
from kassa.services.subscriptions.metric_users import (
    billing_period,
    calendar_month,
    metric_users,
    with_versions,
)
from kassa.services.subscriptions.records import load
from kassa.services.usage.aggregation import aggregate_windows
from kassa.store.queries import ListQuery, Page, get_row
from kassa.store.tables import metrics, usage_thresholds
from kassa.store.uow import UnitOfWork

CHECK_JOB = "check_usage_thresholds"


def create_threshold(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    with ctx.uow() as uow:
        sub_id = data.get("subscription_id")
        if sub_id:
            customer_id = load(uow.conn, uow.environment, sub_id).customer_id
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
    return render(UsageThreshold, row)


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
    return render(UsageThreshold, row)


def get_threshold(ctx: Ctx, threshold_id: str) -> dict[str, Any]:
    return get_object(ctx, usage_thresholds, threshold_id, what="Usage threshold",
                      view=renderer(UsageThreshold))


def list_thresholds(ctx: Ctx, query: ListQuery) -> Page:
    return list_customer_records(ctx, usage_thresholds, query, view=renderer(UsageThreshold),
                                 columns=("subscription_id", "metric_id", "status"))


def period_for(uow: UnitOfWork, row: Mapping[str, Any], at: datetime) -> tuple[Period, str | None]:
    """The billing period a threshold is measured over at ``at`` (calendar month without one)."""
    sub_id = row["subscription_id"]
    if sub_id is None:
        users = metric_users(uow.conn, uow.environment, row["customer_id"], row["metric_id"], at)
        found = users[0] if users else None
    else:
        found = with_versions(uow.conn, uow.environment, sub_id)
    if found is None:
        return calendar_month(at), sub_id
    period = billing_period(found.sub, found.versions, row["metric_id"], at)
    return (period or calendar_month(at)), found.sub.id


def check_later(uow: UnitOfWork, customer_ids: Iterable[str]) -> None:
    """Ingestion stored usage of these customers, each with an active threshold: one check job
    per customer, unless one is already waiting (it will see this batch: see ``measure``)."""
    for customer_id in sorted(set(customer_ids)):
        uow.enqueue(CHECK_JOB, {"customer_id": customer_id},
                    dedupe_key=f"{CHECK_JOB}:{customer_id}", run_after_commit=True)


def run_check(ctx: Ctx, job: Job) -> JobResult:
    """The ``check_usage_thresholds`` job: measure in the transaction that completes it."""
    customer_id = job.payload["customer_id"]
    return JobResult(finish=lambda uow: measure(uow, customer_id),
                     info={"customer_id": customer_id})


def measure(uow: UnitOfWork, customer_id: str) -> None:
    """Emit ``usage.threshold_exceeded`` for each active threshold of the customer that its usage
    in the current period has just passed.

    Exactly once per crossing: the rows are locked (PostgreSQL; SQLite has one writer), so a
    second job of the customer waits and then sees the period marked. A batch that found this
    job waiting locked the job's row until it committed (``kassa.store.job_sql.enqueue``), and
    a claim releases the dedupe key, so every committed batch is measured by some job.
    """
    query = (
        select(usage_thresholds, metrics.c.event_name, metrics.c.aggregation,
               metrics.c.filter_groups)
        .join(metrics, (metrics.c.environment == usage_thresholds.c.environment)
              & (metrics.c.id == usage_thresholds.c.metric_id))
        .where(usage_thresholds.c.environment == uow.environment,
               usage_thresholds.c.status == "active",
               usage_thresholds.c.customer_id == customer_id)
        .order_by(usage_thresholds.c.seq)
    )
    if uow.dialect == "postgresql":
        query = query.with_for_update(of=usage_thresholds)
    for row in [dict(r) for r in uow.conn.execute(query).mappings()]:
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
