"""Concurrent batches sharing unique_ids: every event stored and counted exactly once."""

from __future__ import annotations

import random
import threading
from collections import Counter
from decimal import Decimal

from sqlalchemy import func, select

from kassa.services import events
from kassa.store.tables import usage_events
from tests.usage_helpers import customer, freeze, metric, value

THREADS = 8
BATCHES = 6
BATCH = 200
POOL = 1500  # unique_ids shared by every thread: most are sent several times at once


def _run_concurrently(kassa, batches_per_thread):
    barrier = threading.Barrier(len(batches_per_thread))
    results: list[list] = [[] for _ in batches_per_thread]
    errors: list[BaseException] = []

    def work(slot: int) -> None:
        try:
            barrier.wait()
            for batch in batches_per_thread[slot]:
                results[slot].append(events.ingest_events(kassa.ctx("sandbox"), batch))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(batches_per_thread))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    return [r for per_thread in results for r in per_thread]


def _batch(rng: random.Random, acme: str) -> list[dict]:
    ids = rng.sample(range(POOL), BATCH)
    return [{"account": acme, "event_name": "api", "unique_id": f"c{i}",
             "timestamp": "2026-07-10T00:00:00Z", "properties": {"n": i}} for i in ids]


def test_concurrent_requests_store_each_event_once(kassa, api) -> None:
    freeze(kassa)
    acme = customer(api, "Acme")
    rng = random.Random(5)
    plan = [[_batch(rng, acme) for _ in range(BATCHES)] for _ in range(THREADS)]
    # The same batch, in opposite orders, at the same time: the classic deadlock shape.
    plan.append([list(reversed(plan[0][0]))])
    sent = {e["unique_id"] for per_thread in plan for b in per_thread for e in b}
    results = _run_concurrently(kassa, plan)

    ingested = Counter(
        key for r in results for key, o in zip(r.keys, r.outcomes, strict=True)
        if o == events.INGESTED
    )
    assert set(ingested) == sent and set(ingested.values()) == {1}
    outcomes = Counter(o for r in results for o in r.outcomes)
    total_sent = sum(len(b) for per_thread in plan for b in per_thread)
    assert outcomes == {events.INGESTED: len(sent), events.DUPLICATE: total_sent - len(sent)}
    with kassa.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(usage_events)).scalar_one()
    assert stored == len(sent)
    window = ("2026-07-01T00:00:00Z", "2026-08-01T00:00:00Z")
    assert value(kassa, metric(api, "count"), acme, *window) == Decimal(len(sent))
    expected_sum = sum(int(uid[1:]) for uid in sent)
    assert value(kassa, metric(api, "sum", "n"), acme, *window) == Decimal(expected_sum)


def test_bookkeeping_times_are_stored_like_every_other_instant(kassa, api) -> None:
    """The bulk insert bypasses SQLAlchemy's row processing; its stored forms must not differ."""
    from sqlalchemy import text

    from kassa.store.tables import customers

    freeze(kassa)
    acme = customer(api, "Acme")
    events.ingest_events(kassa.ctx("sandbox"), [
        {"account": acme, "event_name": "api", "unique_id": "t1"}])
    events.ingest_events(kassa.ctx("sandbox"), [
        {"account": acme, "event_name": "api", "unique_id": "t1", "properties": {"n": 1}}],
        upsert=True)
    with kassa.engine.connect() as conn:
        raw = conn.execute(text(
            "SELECT CAST(received_at AS TEXT), CAST(updated_at AS TEXT) FROM usage_events")).one()
        reference = conn.execute(
            select(text("CAST(created_at AS TEXT)")).select_from(customers)).scalar_one()
    assert raw[0] == raw[1] == reference
