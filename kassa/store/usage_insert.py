"""Writing usage events in bulk: one statement per batch, duplicates skipped by the database.

``insert_events`` is the ingestion hot path: one ``INSERT ... SELECT ... ON CONFLICT (environment,
unique_id) DO NOTHING RETURNING unique_id, customer_id`` per batch, which also resolves each account to its
customer. The unique index decides what is new, atomically, even against concurrent requests (a
second transaction inserting the same unique_id waits for the first and then skips the row). It
bypasses SQLAlchemy's per-row parameter processing:

- PostgreSQL: rows travel as binary arrays (``unnest``) in a statement whose text never changes
  with the batch size, so psycopg prepares it once per connection; the properties travel as JSON
  text and are cast to JSONB by the server.
- SQLite: multi-row ``VALUES`` in chunks of 500 (6 parameters a row, well under SQLite's limit).

Rows are inserted in unique_id order so that concurrent batches take row locks in one order (the
same batch in two orders at once deadlocks otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, text

from kassa.store.tables import usage_events
from kassa.store.types import UTCDateTime


class EventRow(NamedTuple):
    unique_id: str
    event_name: str
    account: str
    timestamp_us: int
    properties_json: str
    subscription_id: str | None = None


_COLUMNS = (
    "environment, unique_id, event_name, account, customer_id, timestamp_us, properties, "
    "subscription_id, received_at, updated_at"
)
# Each distinct account of the batch is resolved to its customer inside the insert (an id wins
# over an alias, as in ``customers.find_customer``): one statement, one round trip per batch.
# Correlated lookups keep the resolution on the unique indexes of customers and aliases whatever
# their size (a join lets the planner hash the whole customers table for every batch). Caveat:
# right after a bulk load of customers, before autovacuum has analyzed the tables, PostgreSQL may
# pick another index on `environment` and scan; bulk loaders should ANALYZE. ORDER BY keeps the
# unique_id lock order whatever plan is chosen.
_RESOLVE = (
    "SELECT {env}, x.u, x.n, x.a, r.customer_id, x.t, {props}, x.s, {now}, {now} "
    "FROM {source} JOIN ("
    "SELECT d.a, COALESCE("
    "(SELECT c.id FROM customers c WHERE c.environment = {env} AND c.id = d.a), "
    "(SELECT al.customer_id FROM customer_aliases al "
    "WHERE al.environment = {env} AND al.alias = d.a)) AS customer_id "
    "FROM {accounts} d) r ON r.a = x.a "
    "WHERE TRUE ORDER BY x.u "
    "ON CONFLICT (environment, unique_id) DO NOTHING RETURNING unique_id, customer_id"
)
_PG_INSERT = f"INSERT INTO usage_events ({_COLUMNS}) " + _RESOLVE.format(
    env="%(environment)s",
    now="%(now)s",
    props="CAST(x.p AS jsonb)",
    source="unnest(%(u)b::text[], %(n)b::text[], %(a)b::text[], %(t)b::bigint[], "
    "%(p)b::text[], %(s)b::text[]) AS x(u, n, a, t, p, s)",
    accounts="(SELECT DISTINCT a FROM unnest(%(a)b::text[]) AS accounts(a))",
)
SQLITE_CHUNK = 500
_SQLITE_INSERT = "WITH x(u, n, a, t, p, s) AS (VALUES {rows}) " + (
    f"INSERT INTO usage_events ({_COLUMNS}) "
    + _RESOLVE.format(
        env=":env", now=":now", props="x.p", source="x", accounts="(SELECT DISTINCT a FROM x)"
    )
)


_STAMPERS: dict[str, Callable[[Any], Any] | None] = {}


def _stamp(conn: Connection, instant: datetime) -> Any:
    """``instant`` as the driver expects it for a UTCDateTime column."""
    name = conn.dialect.name
    if name not in _STAMPERS:
        # The dialect's own processor: on SQLite, SQLAlchemy's canonical text form, the same as
        # every other UTCDateTime column (the generic one would leave it to sqlite3's adapter).
        _STAMPERS[name] = UTCDateTime().dialect_impl(conn.dialect).bind_processor(conn.dialect)
    process = _STAMPERS[name]
    return process(instant) if process else instant


def insert_events(
    conn: Connection, environment: str, rows: Sequence[EventRow], now: datetime
) -> list[tuple[str, str | None]]:
    """Insert ``rows`` (unique_ids distinct), each attributed to the customer its account names
    (id or alias; NULL when none); return (unique_id, customer_id) of those not stored yet."""
    if not rows:
        return []
    stamp = _stamp(conn, now)
    if conn.dialect.name == "postgresql":
        params = {
            "environment": environment,
            "now": stamp,
            "u": [r.unique_id for r in rows],
            "n": [r.event_name for r in rows],
            "a": [r.account for r in rows],
            "t": [r.timestamp_us for r in rows],
            "p": [r.properties_json for r in rows],
            "s": [r.subscription_id for r in rows],
        }
        return [(row[0], row[1]) for row in conn.exec_driver_sql(_PG_INSERT, params)]
    stored: list[tuple[str, str | None]] = []
    for start in range(0, len(rows), SQLITE_CHUNK):
        chunk = rows[start : start + SQLITE_CHUNK]
        sql = _SQLITE_INSERT.format(rows=",".join(["(?,?,?,?,?,?)"] * len(chunk)))
        # sqlite3 numbers a bare ? after the largest number used so far, so the named
        # parameters are passed positionally as ?NNN in the order they appear.
        named = {"env": environment, "now": stamp}
        flat: list[Any] = [value for r in chunk for value in r]
        stored += [(row[0], row[1]) for row in conn.exec_driver_sql(*_positional(sql, flat, named))]
    return stored


def _positional(sql: str, values: list[Any], named: dict[str, Any]) -> tuple[str, tuple]:
    """Rewrite ``:env``/``:now`` after the ``?`` values as numbered parameters."""
    params = list(values)
    for name, value in named.items():
        params.append(value)
        sql = sql.replace(f":{name}", f"?{len(params)}")
    return sql, tuple(params)


def fetch_stored(
    conn: Connection, environment: str, unique_ids: Sequence[str], *, lock: bool = False
) -> dict[str, Any]:
    """Stored events by unique_id (what upsert compares with), locked on PostgreSQL if asked."""
    e = usage_events.c
    stmt = (
        usage_events.select()
        .with_only_columns(e.unique_id, e.event_name, e.account, e.customer_id, e.timestamp_us,
                           e.subscription_id)
        .where(e.environment == environment, e.unique_id.in_(list(unique_ids)))
        .order_by(e.unique_id)
    )
    if lock:
        stmt = stmt.with_for_update()
    return {row.unique_id: row for row in conn.execute(stmt)}


def replace_properties(
    conn: Connection, environment: str, updates: Sequence[tuple[str, str]], now: datetime
) -> None:
    """Set the properties (JSON text) of stored events, by unique_id."""
    if not updates:
        return
    cast = "CAST(:p AS jsonb)" if conn.dialect.name == "postgresql" else ":p"
    stmt = text(
        f"UPDATE usage_events SET properties = {cast}, updated_at = :now "
        "WHERE environment = :env AND unique_id = :u"
    )
    stamp = _stamp(conn, now)
    conn.execute(stmt, [{"p": p, "now": stamp, "env": environment, "u": u} for u, p in updates])
