"""Every statement on the ``jobs`` table, in one place.

Two clocks meet here. ``run_at`` is the environment's time (a frozen sandbox runs its jobs when
the clock is advanced past them). The lease, ``locked_until``, is real time: whether a worker is
still alive has nothing to do with a sandbox clock.

A job is claimed by one atomic statement, so two workers never hold the same job at once:

* PostgreSQL: ``WITH due AS (SELECT ... FOR UPDATE SKIP LOCKED) UPDATE ... FROM due RETURNING``.
  Rows another transaction is claiming are skipped rather than waited for, and under READ
  COMMITTED a row that changed since the snapshot is re-checked against the WHERE clause before
  it is locked, so a job a competitor has just claimed is not claimed again.
* SQLite has no row locks, but a writer holds the database's single write lock (Kassa begins
  writers with BEGIN IMMEDIATE), so one ``UPDATE ... WHERE seq IN (SELECT ...) RETURNING`` is
  atomic on its own.

A dedupe key holds while its job waits: enqueuing under a key a waiting job has adds nothing,
and the claim releases the key, so what is enqueued while the job runs makes a new job (a burst
of ingested batches makes one threshold check, yet none is left unmeasured).

Every later write on a claimed job carries ``locked_by = <claim token>``: a worker whose lease ran
out and whose job was claimed again by another cannot finish, reschedule or release it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, false, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kassa.clock import utcnow
from kassa.ids import new_id
from kassa.store.tables import jobs

QUEUED, RUNNING, FAILED = "queued", "running", "failed"
MAX_ERROR_LENGTH = 2000


@dataclass(frozen=True)
class Job:
    """A claimed job. ``attempts`` counts runs, this one included; ``claim`` is the lock token.

    ``prefetched`` is what the job type's prefetch step loaded for it (one query per batch).
    """

    seq: int
    id: str
    environment: str
    type: str
    payload: dict[str, Any]
    run_at: datetime
    attempts: int
    claim: str
    prefetched: Any = field(default=None, compare=False)


def _row(environment: str, job_type: str, payload: Mapping[str, Any], run_at: datetime,
         dedupe_key: str | None) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": new_id("job"),
        "environment": environment,
        "type": job_type,
        "payload": dict(payload),
        "status": QUEUED,
        "run_at": run_at,
        "attempts": 0,
        "dedupe_key": dedupe_key,
        "created_at": now,
        "updated_at": now,
    }


def enqueue(
    conn: Connection,
    environment: str,
    job_type: str,
    payload: Mapping[str, Any],
    run_at: datetime,
    dedupe_key: str | None = None,
) -> str | None:
    """Add a job in the caller's transaction; its id, or None when a job waiting under
    ``dedupe_key`` is there already.

    That waiting job then stays locked until the caller's transaction ends (an ``ON CONFLICT DO
    UPDATE`` whose WHERE updates nothing still locks the row, on PostgreSQL), so no claim takes
    it before the caller's writes are visible: the job that stands for both sees them.
    """
    row = _row(environment, job_type, payload, run_at, dedupe_key)
    if dedupe_key is None:
        conn.execute(insert(jobs), row)
        return str(row["id"])
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(jobs)
    stmt = stmt.on_conflict_do_update(
        index_elements=["environment", "dedupe_key"],
        set_={"dedupe_key": stmt.excluded.dedupe_key},
        where=false(),
    ).returning(jobs.c.id)
    return conn.execute(stmt, row).scalar_one_or_none()


def enqueue_many(
    conn: Connection, environment: str, job_type: str, items: Sequence[tuple[Mapping, datetime]],
    dedupe_keys: Sequence[str] | None = None,
) -> None:
    """Add one job per ``(payload, run_at)``, in a single round trip; with ``dedupe_keys`` (one
    per item) an item whose key a waiting job holds adds nothing."""
    if not items:
        return
    rows = [_row(environment, job_type, payload, at, None) for payload, at in items]
    if dedupe_keys is None:
        conn.execute(insert(jobs), rows)
        return
    for row, key in zip(rows, dedupe_keys, strict=True):
        row["dedupe_key"] = key
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(jobs).on_conflict_do_nothing(
        index_elements=["environment", "dedupe_key"]), rows)


def _claimable(environment: str, now: datetime, real_now: datetime) -> Any:
    return and_(
        jobs.c.environment == environment,
        jobs.c.run_at <= now,
        or_(
            jobs.c.status == QUEUED,
            # The worker holding it died (or stalled past its lease): take it over.
            and_(jobs.c.status == RUNNING, jobs.c.locked_until < real_now),
        ),
    )


def claim(
    conn: Connection,
    environment: str,
    *,
    now: datetime,
    lease_until: datetime,
    limit: int,
    worker: str,
    ids: Sequence[str] | None = None,
) -> list[Job]:
    """Atomically take up to ``limit`` jobs due at ``now`` (environment time), oldest first;
    only those of ``ids`` when given."""
    real_now = utcnow()
    token = f"{worker[:50]}:{new_id()}"
    due = (
        select(jobs.c.seq)
        .where(_claimable(environment, now, real_now))
        .order_by(jobs.c.run_at, jobs.c.seq)
        .limit(limit)
    )
    if ids is not None:
        due = due.where(jobs.c.id.in_(list(ids)))
    values = {
        "status": RUNNING,
        "dedupe_key": None,  # the key dedupes waiting jobs: work enqueued from now on is new
        "attempts": jobs.c.attempts + 1,
        "locked_by": token,
        "locked_until": lease_until,
        "updated_at": real_now,
    }
    returning = (jobs.c.seq, jobs.c.id, jobs.c.type, jobs.c.payload, jobs.c.run_at,
                 jobs.c.attempts)
    if conn.dialect.name == "postgresql":
        cte = due.with_for_update(skip_locked=True).cte("due")
        stmt = update(jobs).where(jobs.c.seq == cte.c.seq).values(**values).returning(*returning)
    else:
        stmt = (
            update(jobs)
            .where(jobs.c.seq.in_(due.scalar_subquery()))
            .values(**values)
            .returning(*returning)
        )
    rows = conn.execute(stmt).all()
    claimed = [
        Job(r.seq, r.id, environment, r.type, dict(r.payload), r.run_at, r.attempts, token)
        for r in rows
    ]
    return sorted(claimed, key=lambda j: (j.run_at, j.seq))


def _held(batch: Sequence[Job]) -> Any:
    """The jobs of ``batch`` that their claims still hold (a batch shares one claim token)."""
    by_claim: dict[str, list[int]] = {}
    for job in batch:
        by_claim.setdefault(job.claim, []).append(job.seq)
    return or_(*(and_(jobs.c.seq.in_(seqs), jobs.c.locked_by == claim)
                 for claim, seqs in by_claim.items()))


def complete(conn: Connection, batch: Sequence[Job]) -> set[int]:
    """Delete finished jobs still held by their claim; the seqs actually deleted."""
    if not batch:
        return set()
    rows = conn.execute(delete(jobs).where(_held(batch)).returning(jobs.c.seq)).all()
    return {r.seq for r in rows}


def reschedule(conn: Connection, job: Job, run_at: datetime, error: str) -> bool:
    """Put a failed run back in the queue for ``run_at`` (environment time)."""
    return _update_held(
        conn, job, status=QUEUED, run_at=run_at, last_error=error[:MAX_ERROR_LENGTH]
    )


def fail(conn: Connection, job: Job, error: str) -> bool:
    """Give up on a job: it stays as ``failed`` with its last error."""
    return _update_held(conn, job, status=FAILED, last_error=error[:MAX_ERROR_LENGTH])


def release(conn: Connection, batch: Sequence[Job]) -> None:
    """Hand back claimed jobs that were not started (graceful stop): they did not run."""
    if batch:
        conn.execute(
            update(jobs)
            .where(_held(batch))
            .values(status=QUEUED, attempts=jobs.c.attempts - 1, locked_by=None,
                    locked_until=None, updated_at=utcnow())
        )


def renew(conn: Connection, batch: Sequence[Job], lease_until: datetime) -> None:
    """Extend the lease of jobs still held (a long batch must not look like a dead worker)."""
    if batch:
        conn.execute(
            update(jobs).where(_held(batch)).values(locked_until=lease_until, updated_at=utcnow())
        )


def _update_held(conn: Connection, job: Job, **values: Any) -> bool:
    stmt = (
        update(jobs)
        .where(jobs.c.seq == job.seq, jobs.c.locked_by == job.claim)
        .values(locked_by=None, locked_until=None, updated_at=utcnow(), **values)
    )
    return bool(conn.execute(stmt).rowcount)


def in_hand(conn: Connection, environment: str, ids: Sequence[str], now: datetime) -> list[str]:
    """Those of ``ids`` due at ``now`` that someone is running or about to run: ``running`` on a
    live lease, or ``queued`` (a claim that skipped it holds its row lock, not yet committed).
    A finished job is gone; a failed one, or one put back for later, is in nobody's hands."""
    if not ids:
        return []
    stmt = select(jobs.c.id).where(
        jobs.c.environment == environment, jobs.c.id.in_(list(ids)), jobs.c.run_at <= now,
        or_(jobs.c.status == QUEUED,
            and_(jobs.c.status == RUNNING, jobs.c.locked_until >= utcnow())),
    )
    return list(conn.execute(stmt).scalars())


def next_due(conn: Connection, environment: str) -> datetime | None:
    """The earliest ``run_at`` of a claimable job (queued, or running on an expired lease)."""
    stmt = select(func.min(jobs.c.run_at)).where(
        jobs.c.environment == environment,
        or_(jobs.c.status == QUEUED,
            and_(jobs.c.status == RUNNING, jobs.c.locked_until < utcnow())),
    )
    return conn.execute(stmt).scalar_one_or_none()
