"""SQL for metric aggregation over ``usage_events``, on PostgreSQL and SQLite.

The semantics are documented in ``kassa.domain.usage``; this module is their only SQL
implementation, used both to aggregate and to explain (the debugger asks the database whether
one event passes each filter with these very fragments, so the two can never disagree).

PostgreSQL reads properties as JSONB and computes in NUMERIC. SQLite has no exact decimals, so
numbers travel as their exact JSON text (``properties -> '$."x"'``) into Kassa's decimal
functions (``kassa_number``, ``kassa_dsum``, ``kassa_dcmp``... see ``sqlite_functions``).
Every value, property name and path is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import orjson

from kassa.domain.usage import COMPARISONS, filter_value_decimal, is_number_value

_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_PG_PLAIN_DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"


class Params:
    """Collects bound values and hands out their ``:names``."""

    def __init__(self, prefix: str = "p") -> None:
        self.values: dict[str, Any] = {}
        self._prefix = prefix

    def __call__(self, value: Any) -> str:
        name = f"{self._prefix}{len(self.values)}"
        self.values[name] = value
        return ":" + name


class PropertySQL:
    """Expressions over ``e.properties`` for one dialect."""

    def __init__(self, dialect: str, params: Params) -> None:
        self.pg = dialect == "postgresql"
        self.params = params
        self._keys: dict[str, str] = {}

    def key(self, field: str) -> str:
        """The bound parameter naming property ``field`` (a JSON path on SQLite)."""
        if field not in self._keys:
            self._keys[field] = self.params(field if self.pg else '$."' + field + '"')
        return self._keys[field]

    def number(self, field: str) -> str:
        """The field's exact numeric value, or NULL when it is not numeric."""
        k = self.key(field)
        if not self.pg:
            return f"kassa_number(e.properties -> {k})"
        return (
            f"(CASE jsonb_typeof(e.properties -> {k}) "
            f"WHEN 'number' THEN CAST(e.properties ->> {k} AS numeric) "
            f"WHEN 'string' THEN CASE WHEN (e.properties ->> {k}) ~ '{_PG_PLAIN_DECIMAL}' "
            f"THEN CAST(e.properties ->> {k} AS numeric) END END)"
        )

    def string(self, field: str) -> str:
        """The field's value when it is a string, else NULL."""
        k = self.key(field)
        if self.pg:
            return (
                f"(CASE WHEN jsonb_typeof(e.properties -> {k}) = 'string' "
                f"THEN e.properties ->> {k} END)"
            )
        return f"(CASE WHEN json_type(e.properties, {k}) = 'text' THEN e.properties ->> {k} END)"

    def distinct_key(self, field: str) -> str:
        """Equal for equal values (numbers by value), NULL when the field is missing."""
        k = self.key(field)
        return f"(e.properties -> {k})" if self.pg else f"kassa_vkey(e.properties -> {k})"

    def compare(self, number_sql: str, op: str, value: Decimal) -> str:
        v = self.params(value if self.pg else format(value, "f"))
        if self.pg:
            return f"({number_sql} {op} CAST({v} AS numeric))"
        return f"(kassa_dcmp({number_sql}, {v}) {op} 0)"

    # ---------------------------------------------------------------- filters

    def equal(self, field: str, value: Any) -> str:
        if isinstance(value, bool):
            k = self.key(field)
            literal = "true" if value else "false"
            if self.pg:
                return f"(e.properties -> {k} = CAST('{literal}' AS jsonb))"
            return f"(json_type(e.properties, {k}) = '{literal}')"
        if is_number_value(value):
            return self.compare(self.number(field), "=", filter_value_decimal(value))
        return f"({self.string(field)} = {self.params(str(value))})"

    def condition(self, flt: Mapping[str, Any]) -> str:
        """One filter as a boolean that is never NULL."""
        field, op, value = flt["field"], flt["operator"], flt["value"]
        if op == "equal":
            expr = self.equal(field, value)
        elif op == "not_equal":
            return f"(NOT COALESCE({self.equal(field, value)}, FALSE))"
        elif op in ("contains", "not_contains"):
            finder = "strpos" if self.pg else "instr"
            expr = f"({finder}({self.string(field)}, {self.params(str(value))}) > 0)"
            if op == "not_contains":
                return f"(NOT COALESCE({expr}, FALSE))"
        elif op in COMPARISONS:
            expr = self.compare(self.number(field), _OPS[op], filter_value_decimal(value))
        elif op == "in":
            values = value if isinstance(value, list) else [value]
            expr = "(" + " OR ".join(self.equal(field, v) for v in values) + ")"
        else:  # metrics are validated on the way in; an unknown operator matches nothing
            expr = "FALSE"
        return f"COALESCE({expr}, FALSE)"

    def filter_groups(self, groups: Sequence[Mapping[str, Any]]) -> str:
        """All groups ANDed; each group's filters joined by its operator. TRUE when none."""
        parts = []
        for group in groups:
            joiner = " OR " if group.get("operator", "and") == "or" else " AND "
            parts.append("(" + joiner.join(self.condition(f) for f in group["filters"]) + ")")
        return " AND ".join(parts) if parts else "TRUE"


def aggregate_columns(props: PropertySQL, method: str, field: str | None) -> list[str]:
    """The SELECT list computing ``method`` over the matching rows ``e``."""
    if method == "count":
        return ["count(*)"]
    assert field is not None
    if method == "count_unique":
        return [f"count(DISTINCT {props.distinct_key(field)})"]
    number = props.number(field)
    if method == "average":
        return [_sum(props, number), f"count({number})"]
    if method == "sum":
        return [_sum(props, number)]
    if method in ("min", "max"):
        fn = method if props.pg else f"kassa_d{method}"
        return [f"{fn}({number})"]
    raise ValueError(f"unknown aggregation method {method!r}")


def _sum(props: PropertySQL, number: str) -> str:
    return f"sum({number})" if props.pg else f"kassa_dsum({number})"


# What a window row takes of the events in its range (``w.m``), by the subscription they name:
ALL = 2  # every event (a customer's usage, whoever it is billed to)
NAMED_OR_UNNAMED = 1  # those naming subscription ``w.b``, and those naming none
NAMED = 0  # those naming subscription ``w.b`` only
UNNAMED = 3  # those naming no subscription only (a stretch a subscription owns)

WindowRow = tuple[int, str, int, int, "str | None", int]


def windows_source(dialect: str, params: Params, rows: Sequence[WindowRow]) -> str:
    """A relation ``w(k, c, s, e, b, m)`` of (key, customer_id, start_us, end_us, subscription
    id, mode), bound in 1-6 params; a key may have several rows (disjoint sets of events)."""
    if dialect == "postgresql":
        ks = params([r[0] for r in rows])
        cs = params([r[1] for r in rows])
        ss = params([r[2] for r in rows])
        es = params([r[3] for r in rows])
        bs = params([r[4] for r in rows])
        ms = params([r[5] for r in rows])
        return (
            f"unnest(CAST({ks} AS integer[]), CAST({cs} AS text[]), "
            f"CAST({ss} AS bigint[]), CAST({es} AS bigint[]), CAST({bs} AS text[]), "
            f"CAST({ms} AS integer[])) AS w(k, c, s, e, b, m)"
        )
    doc = params(orjson.dumps([list(r) for r in rows]).decode())
    return (
        "(SELECT json_extract(value, '$[0]') AS k, json_extract(value, '$[1]') AS c, "
        "json_extract(value, '$[2]') AS s, json_extract(value, '$[3]') AS e, "
        "json_extract(value, '$[4]') AS b, json_extract(value, '$[5]') AS m "
        f"FROM json_each({doc})) AS w"
    )


def window_match(env: str, event_name: str) -> str:
    """Rows of ``e`` inside window ``w`` (the aggregation index's prefix and range) that the
    window's mode takes."""
    return (
        f"e.environment = {env} AND e.customer_id = w.c AND e.event_name = {event_name} "
        "AND e.timestamp_us >= w.s AND e.timestamp_us < w.e "
        f"AND (w.m = {ALL} OR (w.m IN ({NAMED}, {NAMED_OR_UNNAMED}) AND e.subscription_id = w.b) "
        f"OR (w.m IN ({NAMED_OR_UNNAMED}, {UNNAMED}) AND e.subscription_id IS NULL))"
    )


def aggregate_query(
    dialect: str,
    environment: str,
    metric: Mapping[str, Any],
    rows: Sequence[WindowRow],
) -> tuple[str, dict[str, Any]]:
    """One statement aggregating ``metric`` over every window in ``rows``, grouped by key. For
    ``latest``: per row, the seq of its latest event with a value (``latest_values`` reads
    them, and the latest of a key's rows wins)."""
    params = Params()
    props = PropertySQL(dialect, params)
    method, field = metric["aggregation"]["method"], metric["aggregation"].get("field")
    source = windows_source(dialect, params, rows)
    match = window_match(params(environment), params(metric["event_name"]))
    where = props.filter_groups(metric["filter_groups"])
    if method == "latest":
        assert field is not None
        number = props.number(field)
        sql = (
            f"SELECT w.k, (SELECT e.seq FROM usage_events e WHERE {match} AND {where} "
            f"AND {number} IS NOT NULL ORDER BY e.timestamp_us DESC, e.seq DESC LIMIT 1) "
            f"FROM {source}"
        )
    else:
        columns = ", ".join(aggregate_columns(props, method, field))
        sql = (
            f"SELECT w.k, {columns} FROM {source} JOIN usage_events e ON {match} "
            f"WHERE {where} GROUP BY w.k"
        )
    return sql, params.values


def latest_values(dialect: str, metric: Mapping[str, Any], seqs: Sequence[int],
                  ) -> tuple[str, dict[str, Any]]:
    """(seq, timestamp_us, value of the metric's field) of the events ``seqs``."""
    params = Params()
    props = PropertySQL(dialect, params)
    number = props.number(metric["aggregation"]["field"])
    if dialect == "postgresql":
        among = f"e.seq = ANY(CAST({params(list(seqs))} AS bigint[]))"
    else:
        among = f"e.seq IN (SELECT value FROM json_each({params(orjson.dumps(list(seqs)).decode())}))"
    return f"SELECT e.seq, e.timestamp_us, {number} FROM usage_events e WHERE {among}", params.values


def event_checks(
    dialect: str, metric: Mapping[str, Any], seq: int
) -> tuple[str, dict[str, Any]]:
    """One row for stored event ``seq``: each filter's verdict (in group order), then whether
    the event has a value for the metric's field. The debugger's question, asked in SQL."""
    params = Params()
    props = PropertySQL(dialect, params)
    columns = [props.condition(f) for g in metric["filter_groups"] for f in g["filters"]]
    method, field = metric["aggregation"]["method"], metric["aggregation"].get("field")
    if method == "count" or field is None:
        columns.append("TRUE")
    elif method == "count_unique":
        columns.append(f"({props.distinct_key(field)} IS NOT NULL)")
    else:
        columns.append(f"({props.number(field)} IS NOT NULL)")
    sql = f"SELECT {', '.join(columns)} FROM usage_events e WHERE e.seq = {params(seq)}"
    return sql, params.values
