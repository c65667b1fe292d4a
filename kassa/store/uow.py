"""The unit of work: one transaction per use case, with the outbox written inside it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import localcontext
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, insert

from kassa.clock import Clock, utcnow
from kassa.ids import new_id
from kassa.store import job_sql, rollups
from kassa.store import outbox_sql as deliveries
from kassa.store.engine import READ_ONLY
from kassa.store.tables import outbox_events

# Significant digits of Decimal arithmetic inside a unit of work. Python's default (28) rounds
# sums and differences of large amounts: an invoice line of 123456789012345678901234567.89 had a
# total of ...567.9. Request amounts have at most 38 digits; 60 keeps their sums exact.
ARITHMETIC_PRECISION = 60


class UnitOfWork:
    """``with ctx.uow() as uow: ...; uow.commit()`` — rollback is the default.

    ``uow.now`` is read from the environment's clock once, when the unit of work starts, so one
    change carries one timestamp. Domain events recorded with ``emit`` are written to the outbox
    in the same transaction as the change, so an event exists if and only if its change does;
    so is each outbox consumer's pending delivery of it (``kassa.queue.outbox``), and so are the
    jobs added with ``enqueue``. After the commit, ``run_jobs`` runs the jobs enqueued with
    ``run_after_commit`` (outside any transaction), then ``on_work`` (wake the worker) runs if
    events or jobs were written. Decimal arithmetic inside runs at ``ARITHMETIC_PRECISION``
    significant digits, so money sums stay exact.
    """

    def __init__(
        self,
        engine: Engine,
        environment: str,
        clock: Clock,
        *,
        read_only: bool = False,
        run_jobs: Callable[[list[str]], None] | None = None,
        on_work: Callable[[], None] | None = None,
        hooks: Any = None,
        settings: Any = None,
    ) -> None:
        self.engine = engine
        # The installation's settings (kassa.config.Settings) where a use case reads one.
        self.settings = settings
        self.environment = environment
        self.clock = clock
        self.read_only = read_only
        self._conn: Connection | None = None
        self._committed = False
        self._after_commit: list[Callable[[], None]] = []
        self._run_jobs = run_jobs
        self._jobs_to_run: list[str] = []
        self.now: datetime = clock.now()
        self._on_work = on_work
        # The hooks the context registered for the services to call inside this transaction
        # (the billing of subscription lifecycle moments: kassa.services.subscriptions.billing_hooks).
        self.hooks = hooks

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._conn

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def __enter__(self) -> UnitOfWork:
        conn = self.engine.connect()
        if self.read_only:
            conn = conn.execution_options(**{READ_ONLY: True})
        conn.begin()
        rollups.begin(conn)
        self._conn = conn
        self._arithmetic = localcontext(prec=ARITHMETIC_PRECISION)
        self._arithmetic.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        self._arithmetic.__exit__(exc_type, exc, tb)
        try:
            if not self._committed:
                conn.rollback()
        finally:
            rollups.end(conn)
            conn.close()
        if self._committed and exc_type is None:
            if self._jobs_to_run and self._run_jobs is not None:
                self._run_jobs(self._jobs_to_run)
            for hook in self._after_commit:
                hook()

    def commit(self) -> None:
        rollups.flush(self.conn)  # the report rollups' deltas, last (kassa.store.rollups)
        self.conn.commit()
        self._committed = True

    def emit(self, event_type: str, data: dict[str, Any]) -> str:
        """Record a domain event (``customer.created``...) in the outbox of this transaction."""
        event_id = new_id("evt")
        self._emit([{"id": event_id, "type": event_type, "data": data}])
        return event_id

    def emit_many(self, event_type: str, payloads: list[dict[str, Any]]) -> None:
        """``emit`` for many events of one type, in one statement (billing runs)."""
        self.emit_all([(event_type, data) for data in payloads])

    def emit_all(self, events: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """``emit`` for each ``(type, data)``, in this order, in one statement."""
        if events:
            self._emit([{"id": new_id("evt"), "type": t, "data": data} for t, data in events])

    def _emit(self, events: list[dict[str, Any]]) -> None:
        """Insert the events, then one delivery of each per outbox consumer, in one go."""
        common = {"environment": self.environment, "occurred_at": self.now,
                  "created_at": utcnow()}
        self.conn.execute(insert(outbox_events), [{**event, **common} for event in events])
        deliveries.add(self.conn, [event["id"] for event in events], self.environment, self.now)
        self._work_added()

    def enqueue(
        self,
        job_type: str,
        payload: Mapping[str, Any],
        run_at: datetime | None = None,
        dedupe_key: str | None = None,
        *,
        run_after_commit: bool = False,
    ) -> str | None:
        """Add a job (run at ``run_at``, default now) in this transaction; see ``kassa.queue``.
        ``run_after_commit``: this process runs it as soon as the commit is done."""
        job_id = job_sql.enqueue(
            self.conn, self.environment, job_type, payload, run_at or self.now, dedupe_key
        )
        if run_after_commit and job_id is not None:
            self._jobs_to_run.append(job_id)
        self._work_added()
        return job_id

    def enqueue_many(
        self, job_type: str, items: Sequence[tuple[Mapping[str, Any], datetime]],
        dedupe_keys: Sequence[str] | None = None,
    ) -> None:
        """Add one ``job_type`` job per ``(payload, run_at)`` in this transaction, at once
        (``dedupe_keys``: one per item, see ``job_sql.enqueue_many``)."""
        if items:
            job_sql.enqueue_many(self.conn, self.environment, job_type, items, dedupe_keys)
            self._work_added()

    def _work_added(self) -> None:
        if self._on_work is not None and self._on_work not in self._after_commit:
            self._after_commit.append(self._on_work)
