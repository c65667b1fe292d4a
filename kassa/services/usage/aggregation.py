"""Metric aggregation over usage events, for billing: set-based, in SQL, exact.

``aggregate_windows`` is the interface invoicing uses: one metric over many (customer, period)
windows in one statement (windows are bound as arrays / one JSON document and joined to the
events through the aggregation index), never loading events into Python. Values are Decimal;
an empty window is worth ``kassa.domain.usage.EMPTY_VALUE[method]`` (0 for count, count_unique
and sum; None — "no value" — for min, max, average and latest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from kassa.domain.errors import InvalidRequest
from kassa.domain.usage import EMPTY_VALUE, UsageWindow, average
from kassa.domain.usage_events import timestamp_us
from kassa.services.context import Ctx
from kassa.services.customers import resolve_customer
from kassa.store.queries import get_row
from kassa.store.tables import metrics
from kassa.store.usage_sql import (
    ALL,
    NAMED,
    NAMED_OR_UNNAMED,
    UNNAMED,
    WindowRow,
    aggregate_query,
    latest_values,
)

# Windows per statement: bounds the bound arrays / JSON document, not the number of statements
# a caller sees (a whole customer base at 5,000 a statement).
WINDOWS_PER_QUERY = 5000

UsageValue = Decimal | None


def aggregate_windows(
    conn: Connection,
    environment: str,
    metric: Mapping[str, Any],
    windows: Sequence[UsageWindow],
) -> dict[UsageWindow, UsageValue]:
    """The metric's value for each window (customer over ``[start, end)``; with a subscription,
    the part of that usage billed to it: ``UsageWindow``)."""
    method = metric["aggregation"]["method"]
    if method not in EMPTY_VALUE:
        raise InvalidRequest(f"Unknown aggregation method {method!r}.", field="aggregation")
    unique = list(dict.fromkeys(windows))
    result: dict[UsageWindow, UsageValue] = {w: EMPTY_VALUE[method] for w in unique}
    dialect = conn.dialect.name
    for start in range(0, len(unique), WINDOWS_PER_QUERY):
        chunk = unique[start : start + WINDOWS_PER_QUERY]
        rows = [row for k, w in enumerate(chunk) for row in window_rows(k, w)]
        sql, params = aggregate_query(dialect, environment, metric, rows)
        if method == "latest":
            for key, value in _latest(conn, metric, conn.execute(text(sql), params)).items():
                result[chunk[key]] = value
            continue
        for key, *values in conn.execute(text(sql), params):
            result[chunk[int(key)]] = _value(method, values)
    return result


def window_rows(k: int, w: UsageWindow) -> list[WindowRow]:
    """The rows of window ``w`` (key ``k``) in the aggregate query: one, or with stretches
    claimed from a shared metric, one for its named events and one per stretch (disjoint sets
    of events, so every aggregation adds them up right)."""
    s, e = timestamp_us(w.start), timestamp_us(w.end)
    if w.subscription_id is None:
        return [(k, w.customer_id, s, e, None, ALL)]
    if w.claims is None:
        return [(k, w.customer_id, s, e, w.subscription_id, NAMED_OR_UNNAMED)]
    rows: list[WindowRow] = [(k, w.customer_id, s, e, w.subscription_id, NAMED)]
    for lo, hi in w.claims:
        cs, ce = max(s, timestamp_us(lo)), min(e, timestamp_us(hi))
        if cs < ce:
            rows.append((k, w.customer_id, cs, ce, None, UNNAMED))
    return rows


def _latest(conn: Connection, metric: Mapping[str, Any], found: Any) -> dict[int, UsageValue]:
    """``latest`` per key: of the latest event of each of its rows, the latest one's value."""
    seqs: dict[int, list[int]] = {}
    for key, seq in found:
        if seq is not None:
            seqs.setdefault(int(key), []).append(int(seq))
    wanted = sorted({seq for each in seqs.values() for seq in each})
    if not wanted:
        return {}
    sql, params = latest_values(conn.dialect.name, metric, wanted)
    events = {int(seq): (int(at), int(seq), value) for seq, at, value in
              conn.execute(text(sql), params)}
    return {key: _decimal(max((events[s] for s in each), key=lambda t: (t[0], t[1]))[2])
            for key, each in seqs.items()}


def aggregate_usage(
    conn: Connection,
    environment: str,
    metric: Mapping[str, Any],
    customer_id: str,
    start: datetime,
    end: datetime,
) -> UsageValue:
    """One customer's value of the metric over ``[start, end)``."""
    window = UsageWindow(customer_id, start, end)
    return aggregate_windows(conn, environment, metric, [window])[window]


def get_usage(
    ctx: Ctx, metric_id: str, customer_ref: str, start: datetime, end: datetime
) -> UsageValue:
    """Read-only convenience: the metric's value for a customer (id or alias) over a range."""
    if end < start:
        raise InvalidRequest("The range ends before it starts.", field="to")
    with ctx.uow(read_only=True) as uow:
        metric = get_row(uow.conn, metrics, uow.environment, metric_id, what="Metric")
        customer = resolve_customer(uow.conn, uow.environment, customer_ref)
        return aggregate_usage(uow.conn, uow.environment, metric, customer["id"], start, end)


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(value)


def _value(method: str, values: list[Any]) -> UsageValue:
    if method in ("count", "count_unique"):
        return Decimal(int(values[0]))
    if method == "sum":
        total = _decimal(values[0])
        return Decimal(0) if total is None else total
    if method == "average":
        return average(_decimal(values[0]), int(values[1] or 0))
    return _decimal(values[0])
