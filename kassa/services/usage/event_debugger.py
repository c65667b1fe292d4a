"""The event debugger: list stored events, and explain why one counted for a metric or not.

Self-hosted users ask "my events were accepted but not counted". ``explain_event`` answers per
metric with the event's name: counted, or the first reason it was not —

- ``no_customer``: the account matched no customer id or alias when the event was received;
- ``no_metric``: no (live) metric uses the event's name;
- ``filtered_out``: the metric's filters exclude it (each failing filter is named, with the
  event's actual value);
- ``no_value``: the metric aggregates a property the event lacks, or has but not as a number;
- ``no_subscription``: no subscription of the customer bills the metric (asked through
  ``metric_users.metric_subscription_check``; with no source registered it reports that it
  cannot tell).

Filter verdicts come from the database, through the very SQL that aggregates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Text, cast, func, select, text

from kassa.domain.errors import InvalidRequest, NotFound
from kassa.domain.usage import describe_filter
from kassa.domain.usage_events import format_us, instant_of, parse_timestamp_us
from kassa.resources import render
from kassa.resources.events import StoredEvent
from kassa.services.context import Ctx
from kassa.services.customers import find_customer, find_customer_ids
from kassa.services.exact_json import loads_exact
from kassa.services.usage import owners
from kassa.services.usage.metric_users import (
    NOT_IN_USE,
    MetricUsers,
    SubscriptionCheck,
    metric_subscription_check,
)
from kassa.store.queries import ListQuery, Page
from kassa.store.tables import metrics, usage_events
from kassa.store.usage_sql import event_checks

e = usage_events.c
_COLUMNS = [
    e.seq, e.unique_id, e.event_name, e.account, e.customer_id, e.subscription_id,
    e.timestamp_us,
    cast(e.properties, Text).label("properties_json"), e.received_at, e.updated_at,
]
SORTABLE = {"received_at": e.seq, "timestamp": e.timestamp_us}
FILTERS = ("customer_id", "account", "event_name", "from", "to")


def _stored_event(row: Any) -> dict[str, Any]:
    """A stored event as the API shows it (properties with their exact numbers)."""
    return render(StoredEvent, row._mapping, timestamp=format_us(row.timestamp_us),
                  properties=loads_exact(row.properties_json))


def list_events(ctx: Ctx, query: ListQuery) -> Page:
    """Stored events, newest received first by default (``sort=timestamp:desc`` also works)."""
    with ctx.uow(read_only=True) as uow:
        clauses = [e.environment == uow.environment]
        for name, values in query.filters.items():
            clauses.append(_filter(uow.conn, uow.environment, name, values))
        field, direction = query.sort or ("received_at", "desc")
        column = SORTABLE.get(field)
        if column is None:
            raise InvalidRequest(
                f"Cannot sort by {field!r}; sortable fields: received_at, timestamp.", field="sort"
            )
        order = [column.desc(), e.seq.desc()] if direction == "desc" else [column.asc(), e.seq]
        total = uow.conn.execute(
            select(func.count()).select_from(usage_events).where(*clauses)
        ).scalar_one()
        rows = uow.conn.execute(
            select(*_COLUMNS).where(*clauses).order_by(*order)
            .limit(query.limit).offset(query.offset)
        ).all()
    return Page([_stored_event(r) for r in rows], total, query.limit, query.offset)


def _filter(conn: Connection, environment: str, name: str, values: list[str]) -> Any:
    if name == "customer_id":
        found = find_customer_ids(conn, environment, values)
        for ref in values:
            if ref not in found:
                raise InvalidRequest(
                    f"No customer has id or alias {ref!r}. Events whose account matched no "
                    "customer are found with ?account=.",
                    field="customer_id",
                )
        return e.customer_id.in_(sorted(set(found.values())))
    if name == "account":
        return e.account.in_(values)
    if name == "event_name":
        return e.event_name.in_(values)
    if name in ("from", "to"):
        if len(values) != 1:
            raise InvalidRequest(f"{name} takes one RFC 3339 date-time.", field=name)
        try:
            at = parse_timestamp_us(values[0])
        except ValueError as exc:
            raise InvalidRequest(f"{name}: {exc}.", field=name) from None
        return e.timestamp_us >= at if name == "from" else e.timestamp_us < at
    allowed = ", ".join(FILTERS)
    raise InvalidRequest(f"Unknown filter {name!r}; filters: {allowed}.", field=name)


def explain_event(ctx: Ctx, unique_id: str) -> dict[str, Any]:
    """The stored event and, per metric with its event_name, whether it counts and why not."""
    with ctx.uow(read_only=True) as uow:
        conn, env = uow.conn, uow.environment
        row = conn.execute(
            select(*_COLUMNS).where(e.environment == env, e.unique_id == unique_id)
        ).first()
        if row is None:
            raise NotFound(f"Event {unique_id!r} was not found.")
        candidates = conn.execute(
            select(metrics)
            .where(metrics.c.environment == env, metrics.c.event_name == row.event_name)
            .order_by(metrics.c.created_at, metrics.c.seq)
        ).mappings().all()
        live = [m for m in candidates if m["archived_at"] is None]
        hint = _customer_hint(conn, env, row)
        event = _stored_event(row)
        verdicts = [_verdict(conn, ctx.metric_users, env, row, event, m, hint) for m in live]
    archived = [m["id"] for m in candidates if m["archived_at"] is not None]
    return _summary(event, verdicts, archived, hint)


def _customer_hint(conn: Connection, environment: str, row: Any) -> str | None:
    """Why the event has no customer, or None when it has one."""
    if row.customer_id is not None:
        return None
    detail = (
        f"The account {row.account!r} matched no customer id or alias when the event was "
        "received, so it counts for no customer."
    )
    now = find_customer(conn, environment, row.account)
    if now is not None:
        detail += (
            f" Customer {now['id']!r} answers to {row.account!r} now, but an event is "
            "attributed to a customer when it is received."
        )
    return detail


def _verdict(
    conn: Connection,
    users: MetricUsers,
    environment: str,
    row: Any,
    event: Mapping[str, Any],
    metric: Mapping[str, Any],
    no_customer: str | None,
) -> dict[str, Any]:
    sql, params = event_checks(conn.dialect.name, metric, row.seq)
    *flags, has_value = conn.execute(text(sql), params).one()
    failed = _failed_filters(metric["filter_groups"], [bool(f) for f in flags], event)
    aggregation = dict(metric["aggregation"])
    if row.customer_id is None:
        check = SubscriptionCheck(NOT_IN_USE, "The event has no customer, so no subscription "
                                              "bills it.")
    else:
        check = metric_subscription_check(
            conn, users, environment, row.customer_id, metric["id"],
            instant_of(row.timestamp_us),
        )
    billed_to, because = _billed_to(conn, environment, row, metric["id"], check)
    if billed_to is None and row.subscription_id is not None and check.status != NOT_IN_USE:
        check = SubscriptionCheck(NOT_IN_USE, (
            f"The event names subscription {row.subscription_id!r}, which does not bill this "
            "metric at the event's time."), check.subscription_ids)
    reason, detail = _reason(no_customer, failed, bool(has_value), aggregation, check)
    if reason is None and because:
        detail += f" Its usage is billed to {billed_to}: {because}."
    return {
        "metric_id": metric["id"],
        "metric_name": metric["name"],
        "aggregation": aggregation,
        "counted": reason is None,
        "reason": reason,
        "detail": detail,
        "failed_filters": failed,
        "subscriptions": check.view(),
        "billed_to": billed_to if reason is None else None,
        "billed_to_because": because if reason is None else None,
    }


def _billed_to(conn: Connection, environment: str, row: Any, metric_id: str,
               check: SubscriptionCheck) -> tuple[str | None, str | None]:
    """The one subscription the event is billed to for ``metric_id``, and why."""
    billing = list(check.subscription_ids)
    if row.customer_id is None or not billing:
        return None, None
    if row.subscription_id is not None:
        if row.subscription_id in billing:
            return row.subscription_id, "the event names it"
        return None, None
    if len(billing) == 1:
        return billing[0], "the only subscription of the customer billing the metric then"
    owner = owners.owner_at(conn, environment, row.customer_id, metric_id,
                            instant_of(row.timestamp_us))
    if owner is None:
        return None, None
    return owner, (f"the earliest-started of the {len(billing)} subscriptions billing the "
                   "metric then (an event names its subscription with subscription_id)")


def _failed_filters(
    groups: list[Mapping[str, Any]], flags: list[bool], event: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The filters that exclude the event: the false ones of a failing ``and`` group, every
    filter of a failing ``or`` group."""
    failed: list[dict[str, Any]] = []
    position = 0
    for g, group in enumerate(groups):
        verdicts = flags[position : position + len(group["filters"])]
        position += len(group["filters"])
        is_or = group.get("operator", "and") == "or"
        if (any(verdicts) if is_or else all(verdicts)):
            continue
        for i, (flt, ok) in enumerate(zip(group["filters"], verdicts, strict=True)):
            if is_or or not ok:
                failed.append({
                    "group": g,
                    "filter": i,
                    "field": flt["field"],
                    "operator": flt["operator"],
                    "value": flt["value"],
                    "description": describe_filter(flt),
                    "actual": event["properties"].get(flt["field"]),
                })
    return failed


def _reason(
    no_customer: str | None,
    failed: list[dict[str, Any]],
    has_value: bool,
    aggregation: Mapping[str, Any],
    check: SubscriptionCheck,
) -> tuple[str | None, str]:
    if no_customer:
        return "no_customer", no_customer
    if failed:
        parts = [
            f"{f['description']} (filter_groups[{f['group']}].filters[{f['filter']}]) does not "
            f"match: the event has {_shown(f['field'], f['actual'])}"
            for f in failed
        ]
        return "filtered_out", "Filtered out: " + "; ".join(parts) + "."
    if not has_value:
        method, field = aggregation["method"], aggregation.get("field")
        kind = "" if method == "count_unique" else "numeric "
        return "no_value", (
            f"The metric takes the {method} of property {field!r}, and the event has no "
            f"{kind}{field!r}, so it adds nothing."
        )
    if check.status == NOT_IN_USE:
        return "no_subscription", check.detail
    return None, f"Counted: the event matches the metric. {check.detail}"


def _shown(field: str, actual: Any) -> str:
    if actual is None:
        return f"no {field!r}"
    return f"{field} = {actual!r}" if isinstance(actual, str) else f"{field} = {actual}"


def _summary(
    event: dict[str, Any],
    verdicts: list[dict[str, Any]],
    archived: list[str],
    no_customer: str | None,
) -> dict[str, Any]:
    counted = [v["metric_id"] for v in verdicts if v["counted"]]
    if not verdicts:
        reason = "no_metric"
        explanation = f"No metric uses event_name {event['event_name']!r}, so nothing counts it."
        if archived:
            explanation += f" Only archived metrics do: {', '.join(archived)}."
    elif counted:
        reason = None
        explanation = f"Counted by {len(counted)} of {len(verdicts)} metrics: {', '.join(counted)}."
    elif no_customer:
        reason, explanation = "no_customer", no_customer
    else:
        reason = verdicts[0]["reason"]
        explanation = "Counted by none of its metrics. " + " ".join(
            f"{v['metric_id']}: {v['detail']}" for v in verdicts
        )
    return {
        "event": event,
        "counted": bool(counted),
        "reason": reason,
        "explanation": explanation,
        "metrics": verdicts,
    }
