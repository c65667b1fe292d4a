"""Outbox consumers on SQLite and PostgreSQL: each named consumer reads every event exactly once
on its own, fails on its own, starts from a chosen point, and shares the work between workers."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from kassa.bootstrap import build_outbox
from kassa.clock import FixedClock
from kassa.queue import outbox
from kassa.queue.outbox import OutboxDispatcher
from kassa.store.tables import jobs, outbox_deliveries
from kassa.store.uow import UnitOfWork

AT = datetime(2026, 7, 1, tzinfo=UTC)


def _emit(kassa, n: int, at: datetime = AT, start: int = 0) -> None:
    with UnitOfWork(kassa.engine, "sandbox", FixedClock(at)) as uow:
        uow.emit_many("customer.created", [{"n": start + i} for i in range(n)])
        uow.commit()


def recorder(name: str, fail: threading.Event | None = None, crash_at: int | None = None):
    """A consumer that writes one ``test.seen`` job per event (so what it saw commits with it)."""

    def consume(uow, events) -> None:
        for event in events:
            if fail is not None and fail.is_set():
                raise ConnectionError(f"{name} is down")
            if crash_at is not None and event["data"]["n"] == crash_at:
                raise RuntimeError(f"{name} crashed on {crash_at}")
            uow.enqueue("test.seen", {"consumer": name, "n": event["data"]["n"]})

    return consume


def _seen(kassa) -> Counter:
    with kassa.engine.connect() as conn:
        payloads = conn.execute(select(jobs.c.payload).where(jobs.c.type == "test.seen")).scalars()
        return Counter((p["consumer"], p["n"]) for p in payloads)


def _each_once(name: str, ns) -> Counter:
    return Counter({(name, n): 1 for n in ns})


def _run(dispatcher: OutboxDispatcher, kassa, at: datetime = AT) -> list[dict]:
    ran = []
    while items := dispatcher.run(kassa.ctx("sandbox").with_clock(FixedClock(at))):
        ran += items
    return ran


def _dispatcher(**consumers) -> OutboxDispatcher:
    dispatcher = OutboxDispatcher()
    for name, (consume, start) in consumers.items():
        dispatcher.register(name, consume, start=start)
    return dispatcher


def _pending(kassa, consumer: str) -> list:
    with kassa.engine.connect() as conn:
        return conn.execute(
            select(outbox_deliveries).where(outbox_deliveries.c.consumer == consumer)
        ).mappings().all()


def test_a_failing_consumer_holds_back_nobody_and_gets_every_event_after_it_recovers(
    kassa,
) -> None:
    down = threading.Event()
    down.set()
    dispatcher = _dispatcher(a=(recorder("a"), "now"), b=(recorder("b", fail=down), "now"))
    _run(dispatcher, kassa)  # both start
    _emit(kassa, 5)
    ran = _run(dispatcher, kassa)
    assert [i["consumer"] for i in ran if i["type"] == "event.dispatched"] == ["a"] * 5
    (failed,) = [i for i in ran if i["type"] == "event.consumer_failed"]
    assert failed == {"type": "event.consumer_failed", "consumer": "b", "events": 5,
                      "error": "ConnectionError: b is down", "retry_at": "2026-07-01T00:00:10Z",
                      "parked": False}
    assert _seen(kassa) == _each_once("a", range(5))
    rows = _pending(kassa, "b")
    assert [(r["attempts"], r["available_at"], r["last_error"]) for r in rows] == [
        (1, AT + timedelta(seconds=10), "ConnectionError: b is down")
    ] * 5
    with kassa.engine.connect() as conn:
        assert dispatcher.next_due(conn, "sandbox") == AT + timedelta(seconds=10)

    down.clear()
    assert _run(dispatcher, kassa, AT + timedelta(seconds=9)) == []  # backing off
    ran = _run(dispatcher, kassa, AT + timedelta(seconds=10))
    assert [i["consumer"] for i in ran] == ["b"] * 5
    assert _seen(kassa) == _each_once("a", range(5)) + _each_once("b", range(5))
    assert _run(dispatcher, kassa, AT + timedelta(days=1)) == []
    with kassa.engine.connect() as conn:
        assert dispatcher.next_due(conn, "sandbox") is None


def test_a_consumer_failing_for_good_is_parked_until_a_replay(kassa, monkeypatch) -> None:
    monkeypatch.setattr(outbox, "RETRY", outbox.RetryPolicy(max_attempts=2))
    down = threading.Event()
    down.set()
    dispatcher = _dispatcher(b=(recorder("b", fail=down), "beginning"))
    _emit(kassa, 2)
    (first,) = _run(dispatcher, kassa)
    (second,) = _run(dispatcher, kassa, AT + timedelta(seconds=10))
    assert (first["parked"], second["parked"], second["retry_at"]) == (False, True, None)
    with kassa.engine.connect() as conn:
        assert dispatcher.next_due(conn, "sandbox") is None  # parked, not due
    down.clear()
    assert outbox.replay(kassa.engine, "b", since=None) == 2
    _run(dispatcher, kassa, AT + timedelta(seconds=10))
    assert _seen(kassa) == _each_once("b", range(2))


def test_a_crash_mid_batch_loses_nothing_and_repeats_nothing(kassa) -> None:
    crashing = recorder("c", crash_at=3)
    dispatcher = _dispatcher(c=(lambda uow, events: crashing(uow, events), "beginning"))
    _emit(kassa, 6)
    (failed,) = _run(dispatcher, kassa)
    assert failed["error"] == "RuntimeError: c crashed on 3" and failed["events"] == 6
    assert _seen(kassa) == Counter()  # what it wrote for 0, 1 and 2 was rolled back
    assert len(_pending(kassa, "c")) == 6
    crashing = recorder("c")
    _run(dispatcher, kassa, AT + timedelta(seconds=10))
    assert _seen(kassa) == _each_once("c", range(6))
    assert _pending(kassa, "c") == []


def test_a_consumer_added_later_reads_from_where_it_starts(kassa) -> None:
    first = _dispatcher(a=(recorder("a"), "now"))
    _run(first, kassa)
    _emit(kassa, 3, at=AT)
    _emit(kassa, 2, at=AT + timedelta(days=1), start=3)
    _run(first, kassa, AT + timedelta(days=1))
    later = _dispatcher(
        a=(recorder("a"), "now"),
        history=(recorder("history"), "beginning"),
        recent=(recorder("recent"), AT + timedelta(hours=12)),
        fresh=(recorder("fresh"), "now"),
    )
    ran = _run(later, kassa, AT + timedelta(days=1))
    assert Counter(i["consumer"] for i in ran) == {"history": 5, "recent": 2}
    _emit(kassa, 1, at=AT + timedelta(days=2), start=5)
    _run(later, kassa, AT + timedelta(days=2))
    # Started again by another process: the backfill is not done twice.
    again = _dispatcher(history=(recorder("history"), "beginning"))
    assert _run(again, kassa, AT + timedelta(days=2)) == []
    assert _seen(kassa) == (
        _each_once("a", range(6)) + _each_once("history", range(6))
        + _each_once("recent", [3, 4, 5]) + _each_once("fresh", [5])
    )


def test_a_replay_resets_a_consumers_start(kassa) -> None:
    dispatcher = _dispatcher(a=(recorder("a"), "beginning"))
    _emit(kassa, 2, at=AT)
    _emit(kassa, 2, at=AT + timedelta(days=1), start=2)
    _run(dispatcher, kassa, AT + timedelta(days=1))
    assert outbox.replay(kassa.engine, "a", since=AT + timedelta(hours=1)) == 2
    _run(dispatcher, kassa, AT + timedelta(days=1))
    assert _seen(kassa) == _each_once("a", range(4)) + _each_once("a", [2, 3])
    with pytest.raises(LookupError):
        outbox.replay(kassa.engine, "nobody", since=None)


def test_a_sandbox_advance_runs_every_consumer_and_a_failing_one_spares_the_webhooks(
    kassa, api, receiver
) -> None:
    down, seen = threading.Event(), []
    down.set()

    def crm(uow, events) -> None:
        if down.is_set():
            raise ConnectionError("crm is down")
        seen.extend(e["id"] for e in events)

    dispatcher = build_outbox()
    dispatcher.register("crm", crm, start="beginning")
    names = [s.name for s in kassa.registry.sources]
    kassa.registry.sources[names.index("outbox")] = dispatcher.work()
    api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"})
    endpoint = api.post("/webhook-endpoints", json={"url": receiver.url}).json()
    api.post("/customers", json={"name": "Acme"})
    ran = api.post("/clock/advance", json={"to": "2026-07-01T00:00:05Z"}).json()["ran"]
    assert [(i["type"], i.get("consumer")) for i in ran] == [
        ("event.dispatched", "webhooks"), ("event.consumer_failed", "crm"),
        ("webhook.deliver", None),
    ]
    event_id = ran[0]["event_id"]
    (message,) = api.get(f"/webhook-endpoints/{endpoint['id']}/messages").json()["data"]
    assert message["event_id"] == event_id and message["status"] == "succeeded"
    assert seen == []
    down.clear()
    ran = api.post("/clock/advance", json={"to": "2026-07-01T00:01:00Z"}).json()["ran"]
    assert [(i["at"], i["type"], i["consumer"], i["event_id"]) for i in ran] == [
        ("2026-07-01T00:00:10Z", "event.dispatched", "crm", event_id)
    ]
    assert seen == [event_id] and len(receiver.requests) == 1


def test_an_event_committed_after_a_later_one_is_not_skipped(kassa, pg_only) -> None:
    """seq is taken at insert, not at commit: the reader must not move past an open writer."""
    dispatcher = _dispatcher(a=(recorder("a"), "now"))
    _run(dispatcher, kassa)
    slow = UnitOfWork(kassa.engine, "sandbox", FixedClock(AT)).__enter__()
    slow.emit("customer.created", {"n": 0})  # the lower seq, still uncommitted
    _emit(kassa, 1, start=1)
    assert _run(dispatcher, kassa) != []
    assert _seen(kassa) == _each_once("a", [1])
    slow.commit()
    slow.__exit__(None, None, None)
    _run(dispatcher, kassa)
    assert _seen(kassa) == _each_once("a", [0, 1])


def test_a_consumer_starting_while_an_event_is_written_gets_it(kassa, pg_only) -> None:
    """Its backfill waits for open writers: none of their events falls between the two."""
    writing = UnitOfWork(kassa.engine, "sandbox", FixedClock(AT)).__enter__()
    writing.emit("customer.created", {"n": 0})  # before the consumer exists, not committed
    dispatcher = _dispatcher(late=(recorder("late"), "beginning"))
    starting = threading.Thread(target=dispatcher.start, args=(kassa.engine,))
    starting.start()
    waiting = text("SELECT count(*) FROM pg_locks WHERE NOT granted"
                   " AND relation = 'outbox_events'::regclass")
    with kassa.engine.connect() as conn:
        while starting.is_alive() and not conn.execute(waiting).scalar_one():
            conn.rollback()
    writing.commit()
    writing.__exit__(None, None, None)
    starting.join(30)
    _emit(kassa, 1, start=1)  # after it started: its own delivery row
    _run(dispatcher, kassa)
    assert _seen(kassa) == _each_once("late", [0, 1])


def test_concurrent_workers_and_writers_deliver_each_event_once_per_consumer(
    kassa, backend: str
) -> None:
    consumers = {"a": (recorder("a"), "now"), "b": (recorder("b"), "now")}
    workers = [_dispatcher(**consumers) for _ in range(4)]
    _run(workers[0], kassa)
    writing = threading.Barrier(2 + len(workers))
    writers_done = threading.Event()
    errors: list[BaseException] = []
    did: dict[int, int] = {}

    def write(w: int) -> None:
        try:
            writing.wait()
            for t in range(10):
                _emit(kassa, 20, start=w * 1000 + t * 20)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def work(i: int) -> None:
        count = 0
        try:
            writing.wait()
            ctx = kassa.ctx("sandbox").with_clock(FixedClock(AT))
            while True:
                finished = writers_done.is_set()
                ran = workers[i].run(ctx)
                count += len(ran)
                if finished and not ran:
                    break
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        did[i] = count

    writers = [threading.Thread(target=write, args=(w,)) for w in range(2)]
    readers = [threading.Thread(target=work, args=(i,)) for i in range(len(workers))]
    for t in writers + readers:
        t.start()
    for t in writers:
        t.join(120)
    writers_done.set()
    for t in readers:
        t.join(120)
    assert errors == []
    ns = [w * 1000 + n for w in range(2) for n in range(200)]
    assert _seen(kassa) == _each_once("a", ns) + _each_once("b", ns)
    assert sum(did.values()) == 800 and _pending(kassa, "a") == _pending(kassa, "b") == []
    if backend == "postgresql":
        assert sum(1 for n in did.values() if n) >= 2  # they really did share


def test_the_upgrade_keeps_what_webhooks_dispatched_and_the_downgrade_restores_it(
    database_url: str, tmp_path
) -> None:
    import uuid

    from sqlalchemy import column, create_engine, insert, table
    from sqlalchemy.engine import make_url

    from kassa.store.engine import make_engine
    from alembic import command

    from kassa.store.migrate import alembic_config, upgrade
    from kassa.store.types import JSONDoc, UTCDateTime

    admin = None
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'upgrade.db'}"
    else:
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        name = f"kassa_outbox_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(database_url).set(database=name).render_as_string(False)
    engine = make_engine(url)
    events = table("outbox_events", column("id"), column("environment"), column("type"),
                   column("data", JSONDoc()), column("occurred_at", UTCDateTime()),
                   column("created_at", UTCDateTime()), column("dispatched_at", UTCDateTime()))
    try:
        upgrade(engine, "0007")
        with engine.begin() as conn:
            conn.execute(insert(events), [
                {"id": f"evt_{n}", "environment": "sandbox", "type": "customer.created",
                 "data": {"n": n}, "occurred_at": AT, "created_at": AT,
                 "dispatched_at": AT if n < 2 else None}
                for n in range(3)
            ])
        upgrade(engine)
        seen: list[int] = []
        dispatcher = _dispatcher(
            webhooks=(lambda uow, evs: seen.extend(e["data"]["n"] for e in evs), "beginning")
        )
        with engine.connect() as conn:
            assert dispatcher.next_due(conn, "sandbox") == AT
        from kassa.bootstrap import Kassa
        from kassa.config import Settings
        from kassa.services.scheduler import DueWorkRegistry

        app = Kassa(settings=Settings(database_url=url, embedded_worker=False), engine=engine,
                    registry=DueWorkRegistry())
        assert dispatcher.run(app.ctx("sandbox").with_clock(FixedClock(AT)))
        assert seen == [2]  # only the one not dispatched before
        _emit(app, 1, start=3)
        with engine.connect() as conn:  # alembic downgrade, as upgrade() runs it
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "0007")
            conn.commit()
        with engine.connect() as conn:
            rows = conn.execute(select(events.c.id, events.c.dispatched_at)
                                .order_by(events.c.id)).all()
        # (The new event's id is random: it may sort anywhere among the three seeded ones.)
        seeded = {"evt_0", "evt_1", "evt_2"}
        assert [(r.id, r.dispatched_at is not None) for r in rows if r.id in seeded] == [
            ("evt_0", True), ("evt_1", True), ("evt_2", True)
        ]
        assert [r.dispatched_at for r in rows if r.id not in seeded] == [None]  # to dispatch
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

