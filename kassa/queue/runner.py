"""Runs due jobs: the ``jobs`` source of due work, used by the worker and the sandbox clock.

A handler is ``handler(ctx, job) -> JobResult | None``. It may do slow I/O (an HTTP call) outside
any transaction, then return what it found out: a ``finish`` function, or an ``outcome`` that its
type's ``finish_batch`` writes for the whole batch at once. Either runs inside the transaction
that also deletes the finished jobs (a type's ``session``, e.g. one SMTP connection, is held
while a batch's handlers run). So what a job records and the job's completion commit
together: a worker killed at any point leaves either both or neither, and the job is run again
after its lease runs out (handlers must therefore be idempotent: at-least-once execution).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from time import monotonic, sleep
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from kassa.clock import rfc3339, utcnow
from kassa.queue.retry import DEFAULT_RETRY, RetryPolicy
from kassa.due_work import DueWork, RanItem
from kassa.store import job_sql as sql

if TYPE_CHECKING:
    from kassa.services.context import Ctx
    from kassa.store.uow import UnitOfWork

log = logging.getLogger("kassa.queue")

# One call of ``run`` works this long at most (then returns; callers call again while work is
# due), so a worker notices a stop request between slices.
RUN_SLICE_SECONDS = 1.0
# A request that committed a job it runs at once (``run_ids``) waits this long at most for a
# worker that claimed the job first to finish it.
WAIT_FOR_WORKER_SECONDS = 30.0


@dataclass(frozen=True)
class JobResult:
    """What a handler did: ``finish`` writes it (or its type's ``finish_batch`` writes
    ``outcome``); ``info`` describes it in ``ran``."""

    finish: Callable[[UnitOfWork], None] | None = None
    outcome: Any = None
    info: dict[str, Any] = field(default_factory=dict)


Handler = Callable[["Ctx", sql.Job], JobResult | None]
FailureHook = Callable[["UnitOfWork", sql.Job, str], None]
# Does, in one go, what the handlers need first for each job of a batch: {job.id: value} (loads
# what they read; or, for automation steps, their first transaction).
Prefetch = Callable[["Ctx", list[sql.Job]], Mapping[str, Any]]
# Writes the outcomes of a batch's finished jobs in one go: [(job, JobResult.outcome)].
FinishBatch = Callable[["UnitOfWork", list[tuple[sql.Job, Any]]], None]
# Holds what a batch's handlers share while they run (one SMTP connection for its emails).
Session = Callable[["Ctx"], AbstractContextManager[Any]]


@dataclass(frozen=True)
class JobType:
    name: str
    handler: Handler
    retry: RetryPolicy = DEFAULT_RETRY
    on_failure: FailureHook | None = None  # called when the job is given up for good
    prefetch: Prefetch | None = None
    finish_batch: FinishBatch | None = None
    session: Session | None = None


@dataclass
class _Outcome:
    job: sql.Job
    result: JobResult | None = None
    error: str | None = None
    give_up: bool = False  # fail now, whatever the retry policy says


def worker_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{threading.get_ident() % 100000}"


class JobRunner:
    """The handler registry (job type → handler) and the loop that runs due jobs."""

    def __init__(self) -> None:
        self.types: dict[str, JobType] = {}

    def register(
        self,
        name: str,
        handler: Handler,
        retry: RetryPolicy = DEFAULT_RETRY,
        on_failure: FailureHook | None = None,
        prefetch: Prefetch | None = None,
        finish_batch: FinishBatch | None = None,
        session: Session | None = None,
    ) -> None:
        if name in self.types:
            raise ValueError(f"job type {name!r} registered twice")
        self.types[name] = JobType(name, handler, retry, on_failure, prefetch, finish_batch,
                                   session)

    def work(self) -> DueWork:
        return DueWork("jobs", self.next_due, self.run)

    def next_due(self, conn: Connection, environment: str) -> datetime | None:
        return sql.next_due(conn, environment)

    def run(self, ctx: Ctx) -> list[RanItem]:
        """Run jobs due at ``ctx.clock.now()``, batch after batch, for one time slice."""
        ran: list[RanItem] = []
        deadline = monotonic() + RUN_SLICE_SECONDS
        while not ctx.should_stop:
            lease_until = utcnow() + self._lease(ctx)
            batch = self._claim(ctx, lease_until)
            if not batch:
                break
            ran.extend(self._run_batch(ctx, batch, lease_until, deadline))
            if monotonic() > deadline:
                break
        return ran

    def run_ids(self, ctx: Ctx, ids: list[str]) -> list[RanItem]:
        """Run the jobs ``ids`` now if they are due (a request runs the jobs it has just
        committed); claimed like any job, so they run once. One a worker took first is waited
        for (up to ``WAIT_FOR_WORKER_SECONDS``), so the caller answers after it ran either way."""
        ran: list[RanItem] = []
        waiting, pause = list(ids), 0.005
        give_up = monotonic() + WAIT_FOR_WORKER_SECONDS
        while waiting:
            lease_until = utcnow() + self._lease(ctx)
            batch = self._claim(ctx, lease_until, waiting)
            if batch:
                # No time slice: the caller answers after its jobs, all of them.
                ran += self._run_batch(ctx, batch, lease_until, float("inf"))
            claimed = {job.id for job in batch}
            others = [job_id for job_id in waiting if job_id not in claimed]
            if not others or monotonic() >= give_up:
                break
            with ctx.uow(read_only=True) as uow:
                waiting = sql.in_hand(uow.conn, ctx.environment, others, ctx.clock.now())
            if waiting:
                sleep(pause)
                pause = min(pause * 2, 0.1)
        return ran

    def _lease(self, ctx: Ctx) -> timedelta:
        return timedelta(seconds=ctx.settings.worker_lease_seconds)

    def _claim(self, ctx: Ctx, lease_until: datetime,
               ids: list[str] | None = None) -> list[sql.Job]:
        with ctx.uow() as uow:
            batch = sql.claim(
                uow.conn,
                ctx.environment,
                now=ctx.clock.now(),
                lease_until=lease_until,
                limit=len(ids) if ids is not None else ctx.settings.worker_batch_size,
                worker=worker_name(),
                ids=ids,
            )
            uow.commit()
        return batch

    def _prefetch(self, ctx: Ctx, batch: list[sql.Job]) -> list[sql.Job]:
        """Give each job what its type's prefetch step loads (one call per type per batch)."""
        loaded: dict[str, Any] = {}
        for name in {job.type for job in batch}:
            job_type = self.types.get(name)
            if job_type is not None and job_type.prefetch is not None:
                try:
                    loaded.update(job_type.prefetch(ctx, [j for j in batch if j.type == name]))
                except Exception:  # the handlers load for themselves
                    log.exception("prefetch for %s jobs failed", name)
        return [replace(j, prefetched=loaded[j.id]) if j.id in loaded else j for j in batch]

    def _run_batch(
        self, ctx: Ctx, batch: list[sql.Job], lease_until: datetime, deadline: float
    ) -> list[RanItem]:
        batch = self._prefetch(ctx, batch)
        with ExitStack() as sessions:
            self._open_sessions(ctx, batch, sessions)
            outcomes = self._execute_all(ctx, batch, lease_until, deadline)
        try:
            return self._finish(ctx, outcomes)
        except Exception:
            log.exception("finishing a batch of %d jobs failed; finishing them one by one",
                          len(outcomes))
            ran: list[RanItem] = []
            for outcome in outcomes:
                try:
                    ran.extend(self._finish(ctx, [outcome]))
                except Exception as exc:  # its outcome could not be written: retry the job
                    ran.extend(self._finish(ctx, [_Outcome(outcome.job, error=_describe(exc))]))
            return ran

    def _open_sessions(self, ctx: Ctx, batch: list[sql.Job], sessions: ExitStack) -> None:
        """Enter the session of each job type of the batch that has one."""
        for name in sorted({job.type for job in batch}):
            job_type = self.types.get(name)
            if job_type is not None and job_type.session is not None:
                try:
                    sessions.enter_context(job_type.session(ctx))
                except Exception:  # the handlers do without
                    log.exception("opening the session of %s jobs failed", name)

    def _execute_all(self, ctx: Ctx, batch: list[sql.Job], lease_until: datetime,
                     deadline: float) -> list[_Outcome]:
        lease = self._lease(ctx)
        outcomes: list[_Outcome] = []
        for index, job in enumerate(batch):
            # The worker is shutting down, or the slice is over (slow jobs, e.g. webhooks to a
            # slow receiver, must not hold the clock and their outcomes for minutes): hand back
            # what was not started; it runs in the next slice, here or in another worker.
            # A job whose prefetch did its work already (performed its action) is not handed
            # back: it is only left to record.
            if ctx.should_stop or (index and monotonic() > deadline):
                rest = batch[index:]
                with ctx.uow() as uow:
                    sql.release(uow.conn, [j for j in rest if not _performed(j)])
                    uow.commit()
                outcomes += [self._execute(ctx, j) for j in rest if _performed(j)]
                break
            if lease_until - utcnow() < lease / 2:
                # Keep the whole batch ours: the jobs already run are only written at the end.
                lease_until = utcnow() + lease
                with ctx.uow() as uow:
                    sql.renew(uow.conn, batch, lease_until)
                    uow.commit()
            outcomes.append(self._execute(ctx, job))
        return outcomes

    def _execute(self, ctx: Ctx, job: sql.Job) -> _Outcome:
        job_type = self.types.get(job.type)
        if job_type is None:
            return _Outcome(
                job, error=f"no handler is registered for job type {job.type!r}", give_up=True
            )
        if job.attempts > job_type.retry.max_attempts:
            # Claimed again and again on expired leases: it keeps killing or stalling its worker.
            return _Outcome(
                job, error=f"abandoned after {job.attempts - 1} runs that never ended", give_up=True
            )
        try:
            return _Outcome(job, result=job_type.handler(ctx, job))
        except Exception as exc:
            log.exception("job %s (%s) failed on run %d", job.id, job.type, job.attempts)
            return _Outcome(job, error=_describe(exc))

    def _finish(self, ctx: Ctx, outcomes: list[_Outcome]) -> list[RanItem]:
        ran: list[RanItem] = []
        with ctx.uow() as uow:
            done = [o for o in outcomes if o.error is None]
            deleted = sql.complete(uow.conn, [o.job for o in done])
            batched: dict[str, list[tuple[sql.Job, Any]]] = {}
            for outcome in done:
                if outcome.job.seq not in deleted:
                    continue  # our lease ran out and another worker has it: it will redo it
                result = outcome.result or JobResult()
                if result.finish is not None:
                    result.finish(uow)
                if result.outcome is not None:
                    batched.setdefault(outcome.job.type, []).append((outcome.job, result.outcome))
                ran.append({"type": outcome.job.type, "job_id": outcome.job.id, **result.info})
            for name, items in batched.items():
                finish_batch = self.types[name].finish_batch
                if finish_batch is None:
                    raise RuntimeError(f"job type {name!r} returned an outcome but has no "
                                       "finish_batch")
                finish_batch(uow, items)
            for outcome in outcomes:
                if outcome.error is not None:
                    ran.append(self._failed(uow, outcome))
            uow.commit()
        return ran

    def _failed(self, uow: UnitOfWork, outcome: _Outcome) -> RanItem:
        job, error = outcome.job, outcome.error or "failed"
        job_type = self.types.get(job.type)
        delay = job_type.retry.delay(job.attempts) if job_type and not outcome.give_up else None
        item: RanItem = {"type": job.type, "job_id": job.id, "error": error}
        if delay is not None:
            sql.reschedule(uow.conn, job, uow.now + delay, error)
            item["retry_at"] = rfc3339(uow.now + delay)
            return item
        if sql.fail(uow.conn, job, error) and job_type and job_type.on_failure:
            job_type.on_failure(uow, job, error)
        item["failed"] = True
        return item


def _performed(job: sql.Job) -> bool:
    """Whether the job's prefetch performed its work (``performed`` on what it loaded)."""
    return bool(getattr(job.prefetched, "performed", False))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[: sql.MAX_ERROR_LENGTH]
