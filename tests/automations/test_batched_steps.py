"""Steps that a batch of step jobs performs together: retry_payment of several executions in
one transaction, their charges in one batch of collect jobs. Each execution's payment is retried
exactly once, also when the job runner's time slice ends in the middle of the batch, and a step
whose invoice cannot be retried fails alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from kassa.queue import runner as job_runner
from kassa.store.tables import outbox_events

from tests.automations.helpers import activate, advance, execution, executions
from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import card
from tests.scenarios.seed_catalog import ok

RETRY_NEXT_DAY = {
    "name": "Retry the next day",
    "trigger": {"type": "event", "event": "payment.failed"},
    "conditions": {"if": "{{trigger.failureCount}} == 1"},
    "steps": [
        {"type": "delay", "duration": "1d"},
        {"type": "action", "action": "retry_payment"},
    ],
}
CUSTOMERS = 4


def _failing_invoices(api) -> list[dict]:
    """CUSTOMERS customers with a declining card, each with a declined 100.00 invoice."""
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))
    advance(api, "2026-12-01T00:00:01Z")  # the automations consumer starts
    found = []
    for n in range(CUSTOMERS):
        customer = ok(api.post("/customers", json={
            "id": f"cus_batch{n}", "name": f"Batch {n}", "email": f"b{n}@example.test"}), 201)
        card(api, customer["id"], "decline")
        ok(api.post("/subscriptions", json={
            "customer_id": customer["id"], "currency": "USD", "auto_activate": True,
            "contract": {"period_type": "monthly_rolling", "start_date": "2026-12-01"},
            "billing": {"payment_terms": "net_30", "auto_pay_invoices": True},
            "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}]}),
            201)
        [invoice] = ok(api.get("/invoices", params={"customer_id": customer["id"]}))["data"]
        assert invoice["status"] == "payment_failed"
        found.append(invoice)
    return found


def _payments(api, invoice: dict) -> list[str]:
    return [p["status"] for p in ok(api.get("/payments", params={
        "invoice_id": invoice["id"]}))["data"]]


@pytest.mark.parametrize("slice_seconds", [job_runner.RUN_SLICE_SECONDS, 0.0],
                         ids=["whole batch", "slice over after the first job"])
def test_each_execution_retries_its_payment_once(api, kassa, monkeypatch,
                                                 slice_seconds) -> None:
    automation = activate(api, ok(api.post("/automations", json=RETRY_NEXT_DAY), 201)["id"])
    found = _failing_invoices(api)
    advance(api, "2026-12-01T01:00:00Z")  # the executions start and wait a day
    assert [r["status"] for r in executions(api, automation["id"])] == ["waiting"] * CUSTOMERS
    # The slice ends after the first job of a batch: the others, their payments retried by the
    # batch already, are recorded, not handed back to be retried again.
    monkeypatch.setattr(job_runner, "RUN_SLICE_SECONDS", slice_seconds)
    advance(api, "2026-12-02T01:00:00Z")
    for invoice in found:
        assert _payments(api, invoice) == ["failed", "failed"]
    runs = executions(api, automation["id"])
    assert [r["status"] for r in runs] == ["completed"] * CUSTOMERS
    for run in runs:
        [delay, retry] = execution(api, automation["id"], run["id"])["steps"]
        assert (retry["action"], retry["status"], retry["attempts"]) == (
            "retry_payment", "succeeded", 1)
        assert retry["output"]["paymentStatus"] == "failed"
        assert retry["output"]["invoiceStatus"] == "payment_failed"
    # Each retried payment's events in their order: created, updated, failed.
    with kassa.engine.connect() as conn:
        rows = conn.execute(select(outbox_events.c.type, outbox_events.c.data).where(
            outbox_events.c.type.like("payment.%"),
            outbox_events.c.occurred_at >= datetime(2026, 12, 2, tzinfo=UTC),
        ).order_by(outbox_events.c.seq)).all()
    by_payment: dict[str, list[str]] = {}
    for event_type, data in rows:
        by_payment.setdefault(data["id"], []).append(event_type)
    assert len(by_payment) == CUSTOMERS
    assert set(map(tuple, by_payment.values())) == {
        ("payment.created", "payment.updated", "payment.failed")}


def test_a_step_whose_invoice_was_paid_meanwhile_fails_alone(api) -> None:
    automation = activate(api, ok(api.post("/automations", json=RETRY_NEXT_DAY), 201)["id"])
    found = _failing_invoices(api)
    advance(api, "2026-12-01T01:00:00Z")
    paid = found[1]
    ok(api.post(f"/invoices/{paid['id']}/payments", json={"amount": "100.00",
                                                           "reference": "wire 7"}), 201)
    advance(api, "2026-12-02T01:00:00Z")
    assert _payments(api, paid) == ["succeeded", "failed"]  # newest first: no retry
    for invoice in found[:1] + found[2:]:
        assert _payments(api, invoice) == ["failed", "failed"]
    runs = {r["id"]: r for r in executions(api, automation["id"])}
    failed = [r for r in runs.values() if r["status"] == "failed"]
    assert len(failed) == 1 and len(runs) == CUSTOMERS
    retry = execution(api, automation["id"], failed[0]["id"])["steps"][1]
    assert retry["status"] == "failed"
    assert retry["error"] == f"Cannot collect a payment for invoice {paid['id']}: it is paid."
