"""Every statement on ``outbox_consumers`` and ``outbox_deliveries``, in one place (the unit of
work adds deliveries, ``kassa.queue.outbox`` claims them).

A delivery row is one event still to hand to one consumer. ``add`` writes them in the event's
own transaction; ``claim`` and ``complete`` take and delete them in the consumer's transaction;
``start_consumer`` and ``replay`` write them for stored events (a consumer's history). See
``kassa.queue.outbox`` for why rows rather than a cursor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, literal, select, text, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping

from kassa.store.tables import outbox_consumers, outbox_deliveries, outbox_events
from kassa.store.types import UTCDateTime

MAX_ERROR_LENGTH = 2000
ADD_CHUNK = 1000  # event ids per statement (SQLite allows 32,766 parameters)

_d, _e = outbox_deliveries.c, outbox_events.c


def add(conn: Connection, event_ids: Sequence[str], environment: str,
        available_at: datetime) -> None:
    """One pending delivery per consumer for each event just inserted (``event_ids``, all of
    ``environment`` and occurring at ``available_at``, as ``UnitOfWork.emit`` writes them).

    Only the events' seq is read, from the index on their id: reading a column stored after
    ``data`` would walk each event's document (overflow pages for an invoice's), which made this
    the dearest statement of a billing run.
    """
    events = (
        select(outbox_consumers.c.name, _e.seq, literal(environment), literal(available_at,
                                                                              UTCDateTime()),
               literal(0))
        .select_from(outbox_events)
        .join(outbox_consumers, true())
    )
    columns = ["consumer", "event_seq", "environment", "available_at", "attempts"]
    for start in range(0, len(event_ids), ADD_CHUNK):
        chunk = event_ids[start:start + ADD_CHUNK]
        conn.execute(insert(outbox_deliveries).from_select(columns, events.where(_e.id.in_(chunk))))


def _insert(conn: Connection) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert


def _from_events(conn: Connection, name: str, since: datetime | None) -> Any:
    """``INSERT INTO outbox_deliveries SELECT`` the stored events (since ``since``) for ``name``.

    The SELECT always has a WHERE: SQLite reads ``ON CONFLICT`` after a bare FROM as a join.
    """
    events = select(
        literal(name), _e.seq, _e.environment, _e.occurred_at, literal(0)
    ).where(_e.occurred_at >= since if since is not None else true())
    return _insert(conn)(outbox_deliveries).from_select(
        ["consumer", "event_seq", "environment", "available_at", "attempts"], events
    )


def start_consumer(conn: Connection, name: str, start: str, since: datetime | None,
                   at: datetime, backfill: bool) -> bool:
    """Record ``name`` as started and, with ``backfill``, write its deliveries for the stored
    events (since ``since``); False when it had been started already."""
    if conn.dialect.name == "postgresql":
        # Waits for every open transaction that wrote an event and holds new ones back until
        # this commits: an event is either stored (and backfilled) or written after the
        # consumer row is visible to its transaction (which then adds its own delivery).
        conn.execute(text("LOCK TABLE outbox_events IN SHARE MODE"))
    stmt = (
        _insert(conn)(outbox_consumers)
        .values(name=name, start=start, started_at=at)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(outbox_consumers.c.name)
    )
    if conn.execute(stmt).scalar_one_or_none() is None:
        return False
    if backfill:
        conn.execute(_from_events(conn, name, since).on_conflict_do_nothing())
    return True


def started(conn: Connection, names: Sequence[str]) -> set[str]:
    rows = conn.execute(
        select(outbox_consumers.c.name).where(outbox_consumers.c.name.in_(names))
    ).scalars()
    return set(rows)


def replay(conn: Connection, name: str, start: str, since: datetime | None) -> int:
    """Make ``name``'s pending deliveries exactly the events since ``since`` (all when None),
    delivered or not, parked or not; how many there are now."""
    found = conn.execute(
        update(outbox_consumers).where(outbox_consumers.c.name == name).values(start=start)
    ).rowcount
    if not found:
        raise LookupError(name)
    if since is not None:
        older = select(_e.seq).where(_e.occurred_at < since)
        conn.execute(
            delete(outbox_deliveries).where(_d.consumer == name, _d.event_seq.in_(older))
        )
    stmt = _from_events(conn, name, since)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["consumer", "event_seq"],
            set_={"available_at": stmt.excluded.available_at, "attempts": 0, "last_error": None,
                  "failed_at": None},
        )
    )
    return conn.execute(
        select(func.count()).select_from(outbox_deliveries).where(_d.consumer == name)
    ).scalar_one()


def claim(conn: Connection, consumer: str, environment: str, now: datetime, limit: int
          ) -> list[RowMapping]:
    """Lock and return up to ``limit`` of ``consumer``'s events available by ``now``, in order.

    PostgreSQL skips rows another worker holds (``FOR UPDATE SKIP LOCKED``); on SQLite the
    caller's transaction holds the database's write lock (BEGIN IMMEDIATE) until it commits.
    """
    stmt = (
        select(outbox_events)
        .join_from(outbox_deliveries, outbox_events, _e.seq == _d.event_seq)
        .where(
            _d.consumer == consumer,
            _d.environment == environment,
            _d.available_at <= now,
            _d.failed_at.is_(None),
        )
        .order_by(_d.available_at, _d.event_seq)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=outbox_deliveries)
    return list(conn.execute(stmt).mappings().all())


def complete(conn: Connection, consumer: str, seqs: Sequence[int]) -> int:
    """Delete the consumed deliveries; how many there were."""
    return conn.execute(
        delete(outbox_deliveries).where(_d.consumer == consumer, _d.event_seq.in_(seqs))
    ).rowcount


def attempts(conn: Connection, consumer: str, seqs: Sequence[int]) -> dict[int, int]:
    rows = conn.execute(
        select(_d.event_seq, _d.attempts).where(_d.consumer == consumer, _d.event_seq.in_(seqs))
    ).all()
    return {r.event_seq: r.attempts for r in rows}


def fail(conn: Connection, consumer: str, seqs: Sequence[int], attempts: int, error: str,
         retry_at: datetime | None, now: datetime) -> None:
    """Record a failed attempt: available again at ``retry_at``, or parked when None."""
    values: dict[str, Any] = {"attempts": attempts, "last_error": error[:MAX_ERROR_LENGTH]}
    values.update({"available_at": retry_at} if retry_at is not None else {"failed_at": now})
    conn.execute(
        update(outbox_deliveries)
        .where(_d.consumer == consumer, _d.event_seq.in_(seqs))
        .values(**values)
    )


def next_available(conn: Connection, environment: str, consumers: Sequence[str]
                   ) -> datetime | None:
    """The earliest instant one of ``consumers`` has an event to read."""
    return conn.execute(
        select(func.min(_d.available_at)).where(
            _d.environment == environment, _d.consumer.in_(consumers), _d.failed_at.is_(None)
        )
    ).scalar_one_or_none()
