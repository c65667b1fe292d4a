"""``GET /customers/{id}/usage``: what each metric of the customer's live subscriptions counts in
the current billing period (or a given range), optionally day by day — all aggregated in SQL."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from kassa.domain.billing.boundary import midnight
from kassa.domain.errors import InvalidRequest
from kassa.domain.items import priced_items
from kassa.domain.subscription import Subscription, Version, by_id
from kassa.domain.usage import UsageWindow
from kassa.services.context import Ctx
from kassa.services.customers import resolve_customer
from kassa.services.serialize import money, rfc3339
from kassa.services.subscriptions.metric_users import billing_period
from kassa.services.subscriptions.records import versions_by_subscription
from kassa.services.usage import owners
from kassa.services.usage.aggregation import aggregate_windows
from kassa.store.tables import metrics, subscriptions

MAX_DAYS = 366


def customer_usage(ctx: Ctx, customer_ref: str, start: datetime | None, end: datetime | None,
                   group_by: str | None) -> dict[str, Any]:
    if (start is None) != (end is None):
        raise InvalidRequest("Give both from and to, or neither.", field="from" if start is None else "to")
    if start is not None and end is not None and end <= start:
        raise InvalidRequest("to must be after from.", field="to")
    if group_by not in (None, "day"):
        raise InvalidRequest("group_by can only be day.", field="group_by")
    with ctx.uow(read_only=True) as uow:
        customer = resolve_customer(uow.conn, uow.environment, customer_ref)
        subs = [Subscription.of(r) for r in uow.conn.execute(select(subscriptions).where(
            subscriptions.c.environment == uow.environment,
            subscriptions.c.customer_id == customer["id"],
            subscriptions.c.status.in_(("active", "paused")),
        ).order_by(subscriptions.c.seq)).mappings()]
        # The current version of a live subscription is always a published one.
        published = versions_by_subscription(uow.conn, uow.environment, [s.id for s in subs],
                                             published_only=True)
        metric_rows = {r["id"]: r for r in uow.conn.execute(
            select(metrics).where(metrics.c.environment == uow.environment)).mappings()}
        wanted: list[tuple[Subscription, list[Version], Mapping[str, Any], Any]] = []
        for sub in subs:
            versions = published[sub.id]
            current = by_id(versions, sub.current_version_id)
            seen: set[str] = set()
            for _, child in priced_items(current.items if current else []):
                for metric_id in child["price"].get("metric_ids") or ():
                    metric = metric_rows.get(metric_id)
                    if metric is None or metric_id in seen:
                        continue
                    seen.add(metric_id)
                    wanted.append((sub, versions, child, metric))
        # Each subscription's part: the events billed to it (owners decides the unnamed ones).
        owned = owners.claims(uow.conn, uow.environment,
                              {(s.id, s.customer_id, m["id"]) for s, _, _, m in wanted})
        data = [_entry(uow, s, versions, child, metric, start, end, group_by,
                       owned[(s.id, metric["id"])])
                for s, versions, child, metric in wanted]
    return {"customer_id": customer["id"], "data": data}


def _entry(uow: Any, sub: Subscription, versions: list[Version], item: Mapping[str, Any],
           metric: Any, start: datetime | None, end: datetime | None,
           group_by: str | None, claims: owners.Claims) -> dict[str, Any]:
    if start is None or end is None:
        period = billing_period(sub, versions, metric["id"], uow.now)
        if period is None:  # before the contract starts
            first = sub.contract_start
            start, end = midnight(first), midnight(first + timedelta(days=1))
        else:
            start, end = midnight(period.start), midnight(period.end)
    whole = UsageWindow(sub.customer_id, start, end, sub.id, claims)
    windows = [whole]
    days: list[UsageWindow] = []
    if group_by == "day":
        if (end - start).days > MAX_DAYS:
            raise InvalidRequest(f"A daily series covers at most {MAX_DAYS} days.", field="group_by")
        cursor = start
        while cursor < end:
            nxt = min(midnight(cursor.date() + timedelta(days=1)), end)
            days.append(UsageWindow(sub.customer_id, cursor, nxt, sub.id, claims))
            cursor = nxt
        windows += days
    values = aggregate_windows(uow.conn, uow.environment, metric, windows)
    entry: dict[str, Any] = {
        "subscription_id": sub.id,
        "product_id": item["product_id"],
        "metric_id": metric["id"],
        "metric_name": metric["name"],
        "event_name": metric["event_name"],
        "aggregation": metric["aggregation"]["method"],
        "from": rfc3339(start),
        "to": rfc3339(end),
        "value": money(values[whole]),
    }
    if group_by == "day":
        entry["series"] = [{"date": w.start.date().isoformat(), "value": money(values[w])} for w in days]
    return entry
