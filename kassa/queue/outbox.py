"""The outbox dispatcher: hands every committed domain event to its consumers, once.

A due-work source: its next instant is the earliest undispatched event. ``run`` claims a batch of
undispatched events (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers split them;
SQLite writers are serialized by BEGIN IMMEDIATE), calls every consumer with the batch and stamps
the events ``dispatched_at``, all in one transaction: an event is either dispatched with all
that its consumers wrote, or not at all and picked up again.

Consumers (webhook fan-out today, automations later) are ``consumer(uow, events) -> None``; they
write what they derive from the events (messages, jobs) through ``uow``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select, update
from sqlalchemy.engine import RowMapping

from kassa.services.scheduler import DueWork, RanItem
from kassa.store.tables import outbox_events

if TYPE_CHECKING:
    from kassa.services.context import Ctx
    from kassa.store.uow import UnitOfWork

Consumer = Callable[["UnitOfWork", Sequence[RowMapping]], None]

BATCH_SIZE = 200
RUN_SLICE_SECONDS = 1.0


def claim_undispatched(conn: Connection, environment: str, now: datetime, limit: int) -> list:
    """Lock and return up to ``limit`` undispatched events that occurred by ``now``."""
    stmt = (
        select(outbox_events)
        .where(
            outbox_events.c.environment == environment,
            outbox_events.c.dispatched_at.is_(None),
            outbox_events.c.occurred_at <= now,
        )
        .order_by(outbox_events.c.occurred_at, outbox_events.c.seq)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(conn.execute(stmt).mappings().all())


def mark_dispatched(conn: Connection, seqs: Sequence[int], at: datetime) -> None:
    conn.execute(
        update(outbox_events).where(outbox_events.c.seq.in_(seqs)).values(dispatched_at=at)
    )


def next_undispatched(conn: Connection, environment: str) -> datetime | None:
    return conn.execute(
        select(func.min(outbox_events.c.occurred_at)).where(
            outbox_events.c.environment == environment, outbox_events.c.dispatched_at.is_(None)
        )
    ).scalar_one_or_none()


class OutboxDispatcher:
    """Fans each event out to a list of consumers."""

    def __init__(self, consumers: Sequence[Consumer] = ()) -> None:
        self.consumers: list[Consumer] = list(consumers)

    def work(self) -> DueWork:
        return DueWork("outbox", lambda conn, env: next_undispatched(conn, env), self.run)

    def run(self, ctx: Ctx) -> list[RanItem]:
        ran: list[RanItem] = []
        deadline = time.monotonic() + RUN_SLICE_SECONDS
        while not ctx.should_stop:
            with ctx.uow() as uow:
                events = claim_undispatched(uow.conn, ctx.environment, uow.now, BATCH_SIZE)
                if not events:
                    break
                for consume in self.consumers:
                    consume(uow, events)
                mark_dispatched(uow.conn, [e["seq"] for e in events], uow.now)
                uow.commit()
            ran.extend(
                {"type": "event.dispatched", "event_id": e["id"], "event_type": e["type"]}
                for e in events
            )
            if time.monotonic() > deadline:
                break
        return ran
