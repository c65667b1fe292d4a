"""The job queue on SQLite and PostgreSQL: enqueue in the caller's transaction, atomic claims,
leases, retries, graceful release, and concurrent claimers that never share a job."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from kassa.clock import FixedClock, utcnow
from kassa.queue.retry import RetryPolicy
from kassa.queue.runner import JobResult
from kassa.store import job_sql as sql
from kassa.store.tables import jobs
from kassa.store.uow import UnitOfWork

AT = datetime(2026, 7, 1, tzinfo=UTC)


def _enqueue(kassa, n: int = 1, job_type: str = "test.echo", at: datetime = AT, **kw) -> list:
    with UnitOfWork(kassa.engine, "sandbox", FixedClock(at)) as uow:
        ids = [uow.enqueue(job_type, {"n": i}, **kw) for i in range(n)]
        uow.commit()
    return ids


def _claim(kassa, *, now: datetime = AT, limit: int = 10, lease: timedelta = timedelta(minutes=1),
           worker: str = "w1") -> list[sql.Job]:
    with kassa.engine.begin() as conn:
        return sql.claim(conn, "sandbox", now=now, lease_until=utcnow() + lease, limit=limit,
                         worker=worker)


def _rows(kassa) -> list:
    with kassa.engine.connect() as conn:
        return conn.execute(select(jobs).order_by(jobs.c.seq)).mappings().all()


def test_enqueue_claim_complete(kassa) -> None:
    (job_id,) = _enqueue(kassa)
    _enqueue(kassa, at=AT + timedelta(hours=1))
    with kassa.engine.connect() as conn:
        assert sql.next_due(conn, "sandbox") == AT
        assert sql.next_due(conn, "production") is None
    claimed = _claim(kassa)
    assert [(j.id, j.type, j.payload, j.attempts) for j in claimed] == [(job_id, "test.echo", {"n": 0}, 1)]
    assert _claim(kassa) == []  # held, and the other one is not due yet
    with kassa.engine.begin() as conn:
        assert sql.complete(conn, claimed) == {claimed[0].seq}
    with kassa.engine.connect() as conn:
        assert sql.next_due(conn, "sandbox") == AT + timedelta(hours=1)
    assert [r["run_at"] for r in _rows(kassa)] == [AT + timedelta(hours=1)]


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_finish(kassa) -> None:
    _enqueue(kassa)
    (dead,) = _claim(kassa, lease=timedelta(seconds=-1), worker="dead")  # its worker died
    with kassa.engine.connect() as conn:
        assert sql.next_due(conn, "sandbox") == AT
    (again,) = _claim(kassa, worker="alive")
    assert again.id == dead.id and again.attempts == 2 and again.claim != dead.claim
    with kassa.engine.begin() as conn:
        assert sql.complete(conn, [dead]) == set()
        assert not sql.fail(conn, dead, "late")
        assert sql.complete(conn, [again]) == {again.seq}


def test_dedupe_keys_and_rollback(kassa) -> None:
    assert _enqueue(kassa, dedupe_key="renew:sub_1:2026-08")[0] is not None
    assert _enqueue(kassa, dedupe_key="renew:sub_1:2026-08") == [None]
    with UnitOfWork(kassa.engine, "sandbox", FixedClock(AT)) as uow:
        uow.enqueue("test.echo", {"lost": True})  # never committed
    assert len(_rows(kassa)) == 1


def test_a_claim_releases_the_dedupe_key(kassa) -> None:
    (first,) = _enqueue(kassa, dedupe_key="check:cus_1")
    assert _enqueue(kassa, dedupe_key="check:cus_1") == [None]  # waiting: nothing new
    (claimed,) = _claim(kassa)
    assert claimed.id == first
    (second,) = _enqueue(kassa, dedupe_key="check:cus_1")  # enqueued while it runs: a new job
    assert second is not None and second != first
    assert [(r["id"], r["dedupe_key"]) for r in _rows(kassa)] == [
        (first, None), (second, "check:cus_1")]


def test_a_duplicate_enqueue_holds_the_waiting_job_until_it_commits(kassa, pg_only) -> None:
    (waiting,) = _enqueue(kassa, dedupe_key="check:cus_1")
    with UnitOfWork(kassa.engine, "sandbox", FixedClock(AT)) as uow:
        assert uow.enqueue("test.echo", {"n": 1}, dedupe_key="check:cus_1") is None
        with kassa.engine.connect() as other:
            other.begin()
            other.execute(text("SET LOCAL lock_timeout = '500ms'"))
            # Not claimable before this batch's writes are visible: the claimer passes it by.
            assert sql.claim(other, "sandbox", now=AT, lease_until=utcnow() + timedelta(minutes=1),
                             limit=10, worker="w2") == []
            other.rollback()
        uow.commit()
    assert [j.id for j in _claim(kassa)] == [waiting]


def test_runner_retries_by_policy_then_fails_and_calls_the_failure_hook(kassa) -> None:
    calls: list[int] = []
    gave_up: list[str] = []

    def flaky(ctx, job):
        calls.append(job.attempts)
        raise ConnectionError("database went away")

    kassa.jobs.register(
        "test.flaky", flaky,
        retry=RetryPolicy(max_attempts=3, initial=timedelta(minutes=1), multiplier=2),
        on_failure=lambda uow, job, error: gave_up.append(error),
    )
    _enqueue(kassa, job_type="test.flaky")
    ctx = kassa.ctx("sandbox").with_clock(FixedClock(AT))
    (first,) = kassa.jobs.run(ctx)
    assert first["error"] == "ConnectionError: database went away"
    assert first["retry_at"] == "2026-07-01T00:01:00Z"
    assert kassa.jobs.run(ctx) == []  # not due again yet
    (second,) = kassa.jobs.run(ctx.with_clock(FixedClock(AT + timedelta(minutes=1))))
    assert second["retry_at"] == "2026-07-01T00:03:00Z"
    (third,) = kassa.jobs.run(ctx.with_clock(FixedClock(AT + timedelta(minutes=3))))
    assert third["failed"] is True and calls == [1, 2, 3]
    assert gave_up == ["ConnectionError: database went away"]
    (row,) = _rows(kassa)
    assert row["status"] == "failed" and row["attempts"] == 3 and "went away" in row["last_error"]
    with kassa.engine.connect() as conn:
        assert sql.next_due(conn, "sandbox") is None


def test_unknown_job_types_fail_at_once(kassa) -> None:
    _enqueue(kassa, job_type="test.nobody")
    (item,) = kassa.jobs.run(kassa.ctx("sandbox").with_clock(FixedClock(AT)))
    assert item["failed"] is True and "no handler" in item["error"]


def test_a_finish_step_commits_with_the_job_or_not_at_all(kassa) -> None:
    def handler(ctx, job):
        def finish(uow):
            uow.emit("customer.created", {"n": job.payload["n"]})
            if job.payload["n"] == 1:
                raise RuntimeError("cannot record")

        return JobResult(finish, info={"n": job.payload["n"]})

    kassa.jobs.register("test.finish", handler,
                        retry=RetryPolicy(max_attempts=2, initial=timedelta(minutes=5)))
    _enqueue(kassa, 3, job_type="test.finish")
    ran = kassa.jobs.run(kassa.ctx("sandbox").with_clock(FixedClock(AT)))
    assert sorted((i.get("n", -1), "error" in i) for i in ran) == [(-1, True), (0, False), (2, False)]
    from kassa.store.tables import outbox_events

    with kassa.engine.connect() as conn:
        events = conn.execute(select(outbox_events.c.data)).scalars().all()
    assert sorted(e["n"] for e in events) == [0, 2]
    (left,) = _rows(kassa)
    assert left["payload"] == {"n": 1} and left["status"] == "queued"
    assert left["run_at"] == AT + timedelta(minutes=5)


def test_a_stopping_runner_hands_back_what_it_did_not_start(kassa) -> None:
    seen: list[int] = []
    stopping = threading.Event()

    def handler(ctx, job):
        seen.append(job.payload["n"])
        stopping.set()  # SIGTERM arrives during the first job

    kassa.jobs.register("test.stop", handler)
    _enqueue(kassa, 4, job_type="test.stop")
    ctx = replace(kassa.ctx("sandbox").with_clock(FixedClock(AT)), stopping=stopping)
    ran = kassa.jobs.run(ctx)
    assert seen == [0] and len(ran) == 1
    rows = _rows(kassa)
    assert [(r["payload"]["n"], r["status"], r["attempts"], r["locked_by"]) for r in rows] == [
        (1, "queued", 0, None), (2, "queued", 0, None), (3, "queued", 0, None)
    ]


def test_a_slow_batch_ends_with_its_slice_and_hands_back_the_rest(kassa, monkeypatch) -> None:
    """A batch of slow jobs (webhooks to a slow receiver) stops when its time slice is over:
    the jobs run so far are finished, the others handed back for the next slice."""
    from kassa.queue import runner

    now = [0.0]
    monkeypatch.setattr(runner, "monotonic", lambda: now[0])
    seen: list[int] = []

    def slow(ctx, job):
        seen.append(job.payload["n"])
        now[0] += 0.6  # each job takes 0.6 s of a 1 s slice

    kassa.jobs.register("test.slow", slow)
    _enqueue(kassa, 4, job_type="test.slow")
    ran = kassa.jobs.run(kassa.ctx("sandbox").with_clock(FixedClock(AT)))
    assert seen == [0, 1] and len(ran) == 2
    assert [(r["payload"]["n"], r["status"], r["attempts"], r["locked_by"]) for r in _rows(kassa)
            ] == [(2, "queued", 0, None), (3, "queued", 0, None)]
    ran = kassa.jobs.run(kassa.ctx("sandbox").with_clock(FixedClock(AT)))
    assert seen == [0, 1, 2, 3] and _rows(kassa) == []


def test_a_request_waits_for_the_worker_that_took_its_job_first(kassa) -> None:
    """A request runs the job it just committed (``run_ids``); when the worker, woken by the
    same commit, claimed it first, the request waits until the worker has finished it, so it
    answers with the job's outcome either way (a refund's credit note is ``applied``)."""
    done: list[str] = []
    kassa.jobs.register("test.wait", lambda ctx, job: done.append(job.id))
    ctx = kassa.ctx("sandbox").with_clock(FixedClock(AT))
    (job_id,) = _enqueue(kassa, job_type="test.wait")
    (held,) = _claim(kassa, worker="worker")  # the worker's claim came first

    def worker_finishes() -> None:
        done.append("worker")
        with kassa.engine.begin() as conn:
            sql.complete(conn, [held])

    timer = threading.Timer(0.3, worker_finishes)
    timer.start()
    try:
        ran = kassa.jobs.run_ids(ctx, [job_id])
        seen_on_return, rows_on_return = list(done), _rows(kassa)
    finally:
        timer.join()
    assert ran == []  # not run here: the worker ran it
    assert seen_on_return == ["worker"] and rows_on_return == []


def test_a_request_does_not_wait_for_a_job_put_back_for_later(kassa) -> None:
    kassa.jobs.register("test.later", lambda ctx, job: None)
    (job_id,) = _enqueue(kassa, job_type="test.later", at=AT + timedelta(minutes=5))
    (other,) = _enqueue(kassa, job_type="test.later")
    (held,) = _claim(kassa, worker="worker")
    with kassa.engine.begin() as conn:
        sql.fail(conn, held, "declined")
    ctx = kassa.ctx("sandbox").with_clock(FixedClock(AT))
    started = datetime.now(UTC)
    assert kassa.jobs.run_ids(ctx, [job_id, other]) == []  # one not due, one failed
    assert datetime.now(UTC) - started < timedelta(seconds=1)


def test_concurrent_claimers_never_share_a_job(kassa, backend: str) -> None:
    _enqueue(kassa, 300)
    claimed: dict[str, list[str]] = {}
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def claimer(name: str) -> None:
        mine: list[str] = []
        try:
            barrier.wait()
            while batch := _claim(kassa, limit=7, worker=name):
                mine += [j.id for j in batch]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        claimed[name] = mine

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    every = [job_id for mine in claimed.values() for job_id in mine]
    assert len(every) == 300 and len(set(every)) == 300
    if backend == "postgresql":  # (SQLite's busy handler lets one writer win repeatedly)
        assert sum(1 for mine in claimed.values() if mine) >= 2  # they really did share


def test_skip_locked_claims_pass_by_an_open_claim_on_postgresql(kassa, pg_only) -> None:
    _enqueue(kassa, 10)
    with kassa.engine.connect() as holder:
        holder.begin()
        first = sql.claim(holder, "sandbox", now=AT, lease_until=utcnow() + timedelta(minutes=1),
                          limit=4, worker="slow")
        with kassa.engine.connect() as other:
            other.begin()
            # A claimer must skip the locked rows, never wait for them.
            other.execute(text("SET LOCAL lock_timeout = '500ms'"))
            second = sql.claim(other, "sandbox", now=AT,
                               lease_until=utcnow() + timedelta(minutes=1), limit=10, worker="fast")
            other.commit()
        assert len(first) == 4 and len(second) == 6
        assert not {j.id for j in first} & {j.id for j in second}
        holder.rollback()  # the slow claimer's transaction dies: its jobs are claimable again
    again = _claim(kassa)
    assert sorted(j.id for j in again) == sorted(j.id for j in first)
    with kassa.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(jobs)).scalar_one() == 10


def test_processes_starting_together_migrate_one_after_the_other(database_url, pg_only) -> None:
    import uuid

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from kassa.store.engine import make_engine
    from kassa.store.migrate import current_revision, head_revision, upgrade

    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    name = f"kassa_mig_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engines = [make_engine(make_url(database_url).set(database=name).render_as_string(False))
               for _ in range(3)]
    try:
        errors: list[BaseException] = []

        def start(engine) -> None:
            try:
                upgrade(engine)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=start, args=(e,)) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert current_revision(engines[0]) == head_revision()
    finally:
        for engine in engines:
            engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
