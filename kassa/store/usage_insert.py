"""Writing usage events in bulk: one statement per batch, duplicates skipped by the database.

``insert_new`` is the ingestion hot path. It runs ``INSERT ... ON CONFLICT (environment,
unique_id) DO NOTHING RETURNING unique_id``, so the unique index decides what is new, atomically,
even against concurrent requests (a second transaction inserting the same unique_id waits for the
first and then skips the row). It bypasses SQLAlchemy's per-row parameter processing:

- PostgreSQL: one ``INSERT ... SELECT FROM unnest(arrays)`` statement whose text never changes
  with the batch size, so psycopg prepares it once per connection; the properties travel as JSON
  text and are cast to JSONB by the server.
- SQLite: multi-row ``VALUES`` in chunks (9 parameters a row, well under SQLite's limit).

Rows are passed sorted by unique_id so that concurrent batches take row locks in one order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, text

from kassa.store.tables import usage_events
from kassa.store.types import UTCDateTime


class EventRow(NamedTuple):
    unique_id: str
    event_name: str
    account: str
    customer_id: str | None
    timestamp_us: int
    properties_json: str


_COLUMNS = (
    "environment, unique_id, event_name, account, customer_id, timestamp_us, properties, "
    "received_at, updated_at"
)
_PG_INSERT = (
    f"INSERT INTO usage_events ({_COLUMNS}) "
    "SELECT %(environment)s, x.u, x.n, x.a, x.c, x.t, CAST(x.p AS jsonb), %(now)s, %(now)s "
    "FROM unnest(%(u)b::text[], %(n)b::text[], %(a)b::text[], %(c)b::text[], "
    "%(t)b::bigint[], %(p)b::text[]) AS x(u, n, a, c, t, p) "
    "ON CONFLICT (environment, unique_id) DO NOTHING RETURNING unique_id"
)
SQLITE_CHUNK = 500
_SQLITE_ROW = "(?,?,?,?,?,?,?,?,?)"


def _stamp(conn: Connection, instant: datetime) -> Any:
    """``instant`` as the driver expects it for a UTCDateTime column."""
    # The dialect's own processor: on SQLite, SQLAlchemy's canonical text form, the same as
    # every other UTCDateTime column (the generic one would leave it to sqlite3's adapter).
    process = UTCDateTime().dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process(instant) if process else instant


def insert_new(
    conn: Connection, environment: str, rows: Sequence[EventRow], now: datetime
) -> list[str]:
    """Insert ``rows`` (unique_ids distinct); return the unique_ids that were not stored yet."""
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
            "c": [r.customer_id for r in rows],
            "t": [r.timestamp_us for r in rows],
            "p": [r.properties_json for r in rows],
        }
        return [row[0] for row in conn.exec_driver_sql(_PG_INSERT, params)]
    stored: list[str] = []
    for start in range(0, len(rows), SQLITE_CHUNK):
        chunk = rows[start : start + SQLITE_CHUNK]
        sql = (
            f"INSERT INTO usage_events ({_COLUMNS}) VALUES "
            + ",".join([_SQLITE_ROW] * len(chunk))
            + " ON CONFLICT (environment, unique_id) DO NOTHING RETURNING unique_id"
        )
        flat: list[Any] = []
        for r in chunk:
            flat += (environment, *r, stamp, stamp)
        stored += [row[0] for row in conn.exec_driver_sql(sql, tuple(flat))]
    return stored


def fetch_stored(
    conn: Connection, environment: str, unique_ids: Sequence[str], *, lock: bool = False
) -> dict[str, Any]:
    """Stored events by unique_id (what upsert compares with), locked on PostgreSQL if asked."""
    e = usage_events.c
    stmt = (
        usage_events.select()
        .with_only_columns(e.unique_id, e.event_name, e.account, e.customer_id, e.timestamp_us)
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
