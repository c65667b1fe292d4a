"""The outbox dispatcher: hands every committed domain event to each named consumer, once.

Consumers (``webhooks``, the webhook fan-out; ``automations``; ``customer_emails``) are
``consumer(uow, events) -> None`` registered by name in ``kassa.bootstrap``; they write what they
derive from the events (messages, jobs) through ``uow``. Each reads every event exactly once on
its own: one consumer failing neither holds back nor rolls back another.

Why per-consumer delivery rows, not a cursor per consumer: ``seq`` is allocated when an event is
inserted, not when its transaction commits, so on PostgreSQL a transaction holding seq 10 can
commit after one holding seq 11 was read, and a cursor at 11 skips 10 for good. A safe cursor
needs a horizon (the oldest open writer), which PostgreSQL does not expose cheaply. Instead
``UnitOfWork.emit`` writes one pending ``outbox_deliveries`` row per consumer of
``outbox_consumers`` in the event's own transaction: an event exists with its rows or not at all.

``run`` takes each consumer in registration order, a batch at a time: it claims the consumer's
available rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers split them; SQLite
writers are serialized by BEGIN IMMEDIATE), calls the consumer inside a savepoint and deletes the
rows in the same transaction as what the consumer wrote. A consumer that raises has its writes
rolled back to the savepoint and the batch's rows kept, with the error and the next attempt
(``RETRY``, environment time: a sandbox advance retries them); after ``RETRY.max_attempts`` the
rows are parked until a ``replay``. A crash leaves the rows, and the batch comes again.

A consumer starts (its ``outbox_consumers`` row) on the dispatcher's first run after it is
registered: ``start="beginning"`` backfills every stored event, a datetime those since then,
``"now"`` none (only the events written from then on). On PostgreSQL the start first waits for
the open transactions that wrote events (``LOCK TABLE outbox_events IN SHARE MODE``), so each
event is either in the backfill or written after the consumer is visible to ``emit``. The
webhook consumer starts from the beginning: a database upgraded from ``dispatched_at``
(migration 0008) has it started already, with the undispatched events pending. ``replay`` moves
a consumer's start later or earlier.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import RowMapping

from kassa.clock import rfc3339, utcnow
from kassa.due_work import DueWork, RanItem
from kassa.queue.retry import RetryPolicy
from kassa.store import outbox_sql as deliveries

if TYPE_CHECKING:
    from kassa.services.context import Ctx
    from kassa.store.uow import UnitOfWork

log = logging.getLogger("kassa.outbox")

# What it returns is read only from a consumer registered with ``reports=True``.
Consumer = Callable[["UnitOfWork", Sequence[RowMapping]], "list[RanItem] | None"]
Start = Literal["now", "beginning"] | datetime

BATCH_SIZE = 200
RUN_SLICE_SECONDS = 1.0
# 10 s, 30 s, 90 s... capped at an hour: about a day of attempts before a batch is parked.
RETRY = RetryPolicy(max_attempts=25, initial=timedelta(seconds=10), multiplier=3,
                    cap=timedelta(hours=1))
# What ``next_due`` answers while a registered consumer has not started yet: due at once.
NOT_STARTED = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Registered:
    name: str
    consume: Consumer
    start: Start = "now"
    # Each event handed over is one ``event.dispatched`` item of ``run``; else one
    # ``event.consumed`` item per batch (a consumer most events mean nothing to: automations).
    per_event: bool = True
    # The consumer's return value is what its batch did, as ``run`` items (none when it did
    # nothing): a consumer that acts on few events (customer emails) and says which.
    reports: bool = False


def _start_text(start: Start) -> str:
    return start if isinstance(start, str) else str(rfc3339(start))


def _since(start: Start) -> datetime | None:
    return start if isinstance(start, datetime) else None


class OutboxDispatcher:
    """The named consumers, run one after the other on every event."""

    def __init__(self) -> None:
        self.consumers: dict[str, Registered] = {}
        self._started: set[str] = set()

    def register(self, name: str, consume: Consumer, *, start: Start = "now",
                 per_event: bool = True, reports: bool = False) -> None:
        if name in self.consumers:
            raise ValueError(f"outbox consumer {name!r} registered twice")
        if isinstance(start, datetime) and start.tzinfo is None:
            raise ValueError("a consumer's start instant needs a time zone")
        if start not in ("now", "beginning") and not isinstance(start, datetime):
            raise ValueError(f"start is 'now', 'beginning' or a datetime, not {start!r}")
        self.consumers[name] = Registered(name, consume, start, per_event, reports)

    def work(self) -> DueWork:
        return DueWork("outbox", self.next_due, self.run)

    def _unstarted(self, conn: Connection) -> list[str]:
        missing = [n for n in self.consumers if n not in self._started]
        if missing:
            self._started |= deliveries.started(conn, missing)
        return [n for n in self.consumers if n not in self._started]

    def next_due(self, conn: Connection, environment: str) -> datetime | None:
        if not self.consumers:
            return None
        if self._unstarted(conn):
            return NOT_STARTED
        return deliveries.next_available(conn, environment, list(self.consumers))

    def start(self, engine: Engine) -> None:
        """Start every registered consumer this database does not know yet (idempotent)."""
        if len(self._started) == len(self.consumers):
            return
        with engine.connect() as conn:
            unstarted = self._unstarted(conn)
        for name in unstarted:
            consumer = self.consumers[name]
            with engine.begin() as conn:
                deliveries.start_consumer(
                    conn, name, _start_text(consumer.start), _since(consumer.start), utcnow(),
                    backfill=consumer.start != "now",
                )
            self._started.add(name)

    def run(self, ctx: Ctx) -> list[RanItem]:
        self.start(ctx.engine)
        ran: list[RanItem] = []
        deadline = time.monotonic() + RUN_SLICE_SECONDS
        busy = list(self.consumers.values())
        while busy and not ctx.should_stop:
            for consumer in list(busy):
                done, items = self._batch(ctx, consumer)
                ran.extend(items)
                if done:
                    busy.remove(consumer)
            if time.monotonic() > deadline:
                break
        return ran

    def _batch(self, ctx: Ctx, consumer: Registered) -> tuple[bool, list[RanItem]]:
        """One batch for ``consumer``: (no more for this run, what was done)."""
        with ctx.uow() as uow:
            events = deliveries.claim(uow.conn, consumer.name, ctx.environment, uow.now,
                                      BATCH_SIZE)
            if not events:
                return True, []
            seqs = [e["seq"] for e in events]
            try:
                with uow.conn.begin_nested():
                    made = consumer.consume(uow, events)
            except Exception as exc:
                log.exception("outbox consumer %s failed on %d events", consumer.name, len(seqs))
                item = _record_failure(uow, consumer.name, seqs, exc)
                uow.commit()
                return True, [item]
            deliveries.complete(uow.conn, consumer.name, seqs)
            uow.commit()
        if consumer.reports:
            return False, list(made or [])
        if not consumer.per_event:
            return False, [{"type": "event.consumed", "consumer": consumer.name,
                            "events": len(events)}]
        return False, [
            {"type": "event.dispatched", "consumer": consumer.name, "event_id": e["id"],
             "event_type": e["type"]}
            for e in events
        ]


def _record_failure(uow: UnitOfWork, name: str, seqs: list[int], exc: Exception) -> RanItem:
    error = f"{type(exc).__name__}: {exc}"
    made = deliveries.attempts(uow.conn, name, seqs)
    by_attempts: dict[int, list[int]] = {}
    for seq in seqs:
        by_attempts.setdefault(made.get(seq, 0) + 1, []).append(seq)
    retry_at = None
    for attempts, group in sorted(by_attempts.items()):
        delay = RETRY.delay(attempts)
        retry_at = uow.now + delay if delay is not None else None
        deliveries.fail(uow.conn, name, group, attempts, error, retry_at, uow.now)
    return {"type": "event.consumer_failed", "consumer": name, "events": len(seqs),
            "error": error, "retry_at": rfc3339(retry_at), "parked": retry_at is None}


def replay(engine: Engine, name: str, since: datetime | None) -> int:
    """Reset ``name``'s start: every event since ``since`` (all when None) is delivered to it
    again, the older ones not at all; how many events it now has to read."""
    start = "beginning" if since is None else _start_text(since)
    with engine.begin() as conn:
        return deliveries.replay(conn, name, start, since)
