"""Concurrent batches sharing unique_ids: every event stored and counted exactly once."""

from __future__ import annotations

import random
import threading
from collections import Counter
from decimal import Decimal

from sqlalchemy import func, select, text

from kassa.domain.usage_events import timestamp_us
from kassa.services.usage import ingest as events
from kassa.store.tables import usage_events, usage_late_marks
from tests.scenarios.seed_catalog import ok
from tests.usage_helpers import at, customer, freeze, metric, value

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


def test_an_event_arriving_while_its_period_is_being_billed_is_marked_late(
    pg_only, kassa, api
) -> None:
    """A billing run holds its customers FOR UPDATE from before it measures their usage until
    it commits. A batch for such a customer waits for it, then sees the usage invoiced and
    marks its event late, to be billed on the next invoice: it was in neither before."""
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    ok(api.post("/metrics", json={"id": "mtr_late", "name": "Calls", "event_name": "calls",
                                  "aggregation": {"method": "count"}}), 201)
    ok(api.post("/products", json={"id": "prod_late", "name": "Calls", "fee_type": "metered",
                                   "metric_ids": ["mtr_late"]}), 201)
    ok(api.post("/customers", json={"id": "latecomer", "name": "L"}), 201)
    ok(api.post("/subscriptions", json={
        "customer_id": "latecomer", "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-07-01"},
        "items": [{"product_id": "prod_late", "price": {
            "type": "unit", "billing_interval": "monthly", "fee_type": "metered",
            "billing_direction": "arrears", "metric_ids": ["mtr_late"],
            "unit_pricing_model": {"price_per_unit": "1.00"}}}],
    }), 201)
    ok(api.post("/clock/freeze", json={"at": "2026-08-01T00:05:00Z"}))  # August 1 is due
    through = timestamp_us(at("2026-08-01T00:00:00Z"))
    done: list = []
    with kassa.engine.connect() as billing:  # what the run holds while it bills
        billing.execute(text("SELECT id FROM customers WHERE id = 'latecomer' FOR UPDATE"))
        sender = threading.Thread(target=lambda: done.append(api.post("/events", json={
            "events": [{"account": "latecomer", "event_name": "calls", "unique_id": "in-flight",
                        "timestamp": "2026-07-31T23:00:00Z"}]})))
        sender.start()
        sender.join(1.0)
        assert sender.is_alive()  # waiting for the run to commit
        billing.execute(text("UPDATE customers SET usage_billed_through_us = :t "
                             "WHERE id = 'latecomer'"), {"t": through})
        billing.commit()
    sender.join(30)
    assert done[0].status_code == 200 and done[0].json()["ingested"] == ["in-flight"]
    with kassa.engine.connect() as conn:
        marks = conn.execute(select(usage_late_marks.c.customer_id, usage_late_marks.c.event_name,
                                    usage_late_marks.c.earliest_us)).all()
    assert [tuple(m) for m in marks] == [
        ("latecomer", "calls", timestamp_us(at("2026-07-31T23:00:00Z")))]
