"""Collection is its own job: the card is charged after the billing transaction commits, with
no row locked, and a job run again after a crash neither charges twice nor records twice."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from kassa.payments import ProcessorResult
from kassa.payments.sandbox import SandboxProcessor
from kassa.services.billing import collection
from kassa.store.engine import reader
from kassa.store.tables import jobs
from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import card, invoices
from tests.scenarios.helpers import events
from tests.scenarios.seed_catalog import ok

CUSTOMER = "wcqYrqfE"


class Idempotent(SandboxProcessor):
    """The sandbox's answers, given once per idempotency key (as a real provider does):
    ``calls`` counts the calls per key, ``charged`` the charges actually made."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.charged: Counter[str] = Counter()
        self.answers: dict[str, ProcessorResult] = {}

    def charge(self, method, amount, currency, *, idempotency_key, previous_failures):
        self.calls[idempotency_key] += 1
        if idempotency_key not in self.answers:
            self.charged[idempotency_key] += 1
            self.answers[idempotency_key] = super().charge(
                method, amount, currency, idempotency_key=idempotency_key,
                previous_failures=previous_failures)
        return self.answers[idempotency_key]


class Probe(Idempotent):
    """Looks, from a connection of its own, whether the customer's row (PostgreSQL) or the
    database's write lock (SQLite) is held while it is asked to charge, and what the invoice
    being paid looks like to others at that moment."""

    def __init__(self, engine: Any) -> None:
        super().__init__()
        self.engine = engine
        self.seen: list[tuple[str, str]] = []

    def charge(self, method, amount, currency, *, idempotency_key, previous_failures):
        invoice_id = idempotency_key.split(":")[0]
        with reader(self.engine) as conn:
            status = conn.execute(text("SELECT status FROM invoices WHERE id = :id"),
                                  {"id": invoice_id}).scalar()
        self.seen.append((self._locks(), str(status)))
        return super().charge(method, amount, currency, idempotency_key=idempotency_key,
                              previous_failures=previous_failures)

    def _locks(self) -> str:
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as conn:
                try:
                    conn.execute(text("SELECT id FROM customers WHERE id = :id FOR UPDATE NOWAIT"),
                                 {"id": CUSTOMER})
                except Exception:
                    return "locked"
                finally:
                    conn.rollback()
            return "free"
        db = sqlite3.connect(self.engine.url.database, timeout=0)
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return "locked"
        finally:
            db.close()
        return "free"


def subscribe(api: TestClient) -> None:
    ok(api.post("/subscriptions", json={
        "customer_id": CUSTOMER, "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-12-01"},
        "billing": {"auto_pay_invoices": True},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}]}), 201)


@pytest.fixture
def catalog(api: TestClient) -> None:
    sc.build(api)
    card(api, CUSTOMER)
    ok(api.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))


def test_the_card_is_charged_after_the_invoice_commits_with_no_lock_held(
        kassa, api, catalog) -> None:
    probe = Probe(kassa.engine)
    kassa.processors["sandbox"] = probe
    subscribe(api)  # activation bills December at once
    [december] = invoices(api)
    assert december["status"] == "paid"  # the request still answers after collecting
    ok(api.post("/clock/advance", json={"to": "2027-01-01T00:00:00Z"}))  # January's run
    assert [i["status"] for i in invoices(api)] == ["paid", "paid"]
    assert probe.seen == [("free", "issued"), ("free", "issued")]


def test_a_crash_while_recording_retries_the_job_which_charges_once_and_records_once(
        kassa, api, catalog, monkeypatch) -> None:
    processor = Idempotent()
    kassa.processors["sandbox"] = processor
    record = collection.record_many
    crashes = []

    def crashing(uow, charges):
        if len(crashes) < 2:  # the batch, then the job on its own: the run fails
            crashes.append([attempt.key for attempt, _ in charges])
            raise RuntimeError("the process died before recording the charge")
        record(uow, charges)

    monkeypatch.setattr(collection, "record_many", crashing)
    subscribe(api)
    [invoice] = invoices(api)
    assert invoice["status"] == "issued"  # charged, not recorded: the job is queued again
    assert ok(api.get("/payments"))["data"] == []
    ran = ok(api.post("/clock/advance", json={"to": "2026-12-01T01:00:00Z"}))["ran"]
    collected = [r for r in ran if r["type"] == collection.COLLECT_JOB]
    assert [r["status"] for r in collected] == ["succeeded"]
    key = f"{invoice['id']}:1"
    assert processor.calls == {key: 2} and processor.charged == {key: 1}
    [payment] = ok(api.get("/payments"))["data"]
    assert (payment["status"], payment["amount"]) == ("succeeded", "100.00")
    assert ok(api.get(f"/invoices/{invoice['id']}"))["status"] == "paid"
    assert [t for t, _ in events(kassa, prefix="payment.")] == [
        "payment.created", "payment.updated", "payment.succeeded"]


def test_a_lost_processor_answer_is_asked_again_with_the_same_key(kassa, api, catalog) -> None:
    class Unreachable(Idempotent):
        def charge(self, *args, **kwargs):
            result = super().charge(*args, **kwargs)
            if sum(self.calls.values()) == 1:
                raise TimeoutError("the processor charged, but its answer was lost")
            return result

    processor = Unreachable()
    kassa.processors["sandbox"] = processor
    subscribe(api)
    [invoice] = invoices(api)
    assert invoice["status"] == "issued"
    ok(api.post("/clock/advance", json={"to": "2026-12-01T01:00:00Z"}))
    assert processor.calls == {f"{invoice['id']}:1": 2}
    assert processor.charged == {f"{invoice['id']}:1": 1}
    assert [p["status"] for p in ok(api.get("/payments"))["data"]] == ["succeeded"]
    assert ok(api.get(f"/invoices/{invoice['id']}"))["status"] == "paid"


def test_a_job_left_by_a_dead_process_is_run_by_the_worker(kassa, api, catalog) -> None:
    """The request commits the invoice and its collect job; when the process dies before
    running it (here: a context that does not run jobs), the job runner collects later."""
    from kassa.services.billing import invoice_actions

    ctx = replace(kassa.ctx("sandbox"), jobs=None)
    invoice = invoice_actions.create_one_time(ctx, {
        "customer_id": CUSTOMER, "auto_pay": True,
        "lines": [{"description": "Setup", "amount": "40.00"}]})
    assert invoice["status"] == "issued"
    with kassa.engine.connect() as conn:
        assert list(conn.execute(select(jobs.c.type, jobs.c.status)).all()) == [
            (collection.COLLECT_JOB, "queued")]
    ran = kassa.jobs.run(kassa.ctx("sandbox"))
    assert [r["type"] for r in ran] == [collection.COLLECT_JOB]
    assert ok(api.get(f"/invoices/{invoice['id']}"))["status"] == "paid"


def test_an_asynchronous_charge_stays_processing_until_settled(kassa, api, catalog) -> None:
    class Ach(SandboxProcessor):
        def charge(self, method, amount, currency, *, idempotency_key, previous_failures):
            return ProcessorResult("processing", "ach_" + idempotency_key)

    kassa.processors["sandbox"] = Ach()
    subscribe(api)
    [invoice] = invoices(api)
    [payment] = ok(api.get("/payments"))["data"]
    assert (invoice["status"], invoice["amount_due"]) == ("issued", "100.00")
    assert (payment["status"], payment["processor_ref"]) == ("processing", f"ach_{invoice['id']}:1")
    refused = api.post(f"/invoices/{invoice['id']}/retry-payment")
    assert refused.status_code == 422 and "processing" in refused.json()["detail"]
    seen = len(events(kassa))
    settled = collection.settle_payment(kassa.ctx("sandbox"), payment["id"],
                                        ProcessorResult("succeeded", payment["processor_ref"]))
    assert settled["status"] == "succeeded"
    assert ok(api.get(f"/invoices/{invoice['id']}"))["status"] == "paid"
    assert [t for t, _ in events(kassa)[seen:]] == [
        "payment.updated", "payment.succeeded", "invoice.paid"]
    again = pytest.raises(Exception, collection.settle_payment, kassa.ctx("sandbox"),
                          payment["id"], ProcessorResult("failed"))
    assert "succeeded" in str(again.value)


def test_an_asynchronous_failure_marks_the_invoice_payment_failed(kassa, api, catalog) -> None:
    class Sepa(SandboxProcessor):
        def charge(self, method, amount, currency, *, idempotency_key, previous_failures):
            return ProcessorResult("processing", "sepa_1")

    kassa.processors["sandbox"] = Sepa()
    subscribe(api)
    [payment] = ok(api.get("/payments"))["data"]
    collection.settle_payment(kassa.ctx("sandbox"), payment["id"],
                              ProcessorResult("failed", "sepa_1", "insufficient_funds"))
    [invoice] = invoices(api)
    [payment] = ok(api.get("/payments"))["data"]
    assert (invoice["status"], payment["status"], payment["failure_reason"]) == (
        "payment_failed", "failed", "insufficient_funds")
