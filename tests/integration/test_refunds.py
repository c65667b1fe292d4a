"""Refunding a credit note is its own job, as collecting is: the processor is asked after the
credit note's transaction commits, with no row locked, and the outcome is recorded in the
job's own transaction."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select, text

from kassa.payments import ProcessorResult
from kassa.services.billing import credit_notes, refunds
from kassa.store.engine import reader
from kassa.store.tables import jobs
from tests.integration import test_collection
from tests.integration.test_collection import Probe, subscribe
from tests.scenarios.billing_helpers import invoices
from tests.scenarios.helpers import event_data, events
from tests.scenarios.seed_catalog import ok


catalog = test_collection.catalog  # the same fixture: the catalog and a card


class RefundProbe(Probe):
    """Also sees, while asked to refund, whether rows are locked and the note's status."""

    def __init__(self, engine, answer: str = "succeeded") -> None:
        super().__init__(engine)
        self.answer = answer
        self.refunds: list[tuple[str, str, str]] = []

    def refund(self, payment, amount, *, idempotency_key):
        with reader(self.engine) as conn:
            note = conn.execute(text("SELECT status FROM credit_notes WHERE id = (SELECT "
                                     "credit_note_id FROM refunds WHERE id = :id)"),
                                {"id": idempotency_key}).scalar()
        self.refunds.append((self._locks(), str(note), str(amount)))
        return ProcessorResult(self.answer, f"ref_{idempotency_key}")


def _paid_invoice(api) -> dict:
    subscribe(api)  # December billed and paid by card at once
    [invoice] = invoices(api)
    assert invoice["status"] == "paid"
    return invoice


def _note(api, invoice: dict, amount: str = "40.00") -> dict:
    return ok(api.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": amount}), 201)


def test_the_refund_is_asked_after_the_credit_note_commits_with_no_lock_held(
        kassa, api, catalog) -> None:
    probe = RefundProbe(kassa.engine)
    kassa.processors["sandbox"] = probe
    invoice = _paid_invoice(api)
    note = _note(api, invoice)
    applied = ok(api.post(f"/credit-notes/{note['id']}/apply", json={"resolution": "refund"}))
    assert applied["status"] == "applied"  # the request still answers after refunding
    assert probe.refunds == [("free", "pending_refund", "40.00")]
    refund = ok(api.get(f"/refunds/{applied['refund_id']}"))
    assert (refund["status"], refund["amount"]) == ("succeeded", "40.00")
    [payment] = ok(api.get("/payments"))["data"]
    assert payment["amount_refunded"] == "40.00"
    assert [t for t, _ in events(kassa, prefix="refund.")] == ["refund.updated"]
    assert [t for t, _ in events(kassa, prefix="credit_note.")] == [
        "credit_note.created", "credit_note.applied"]
    with kassa.engine.connect() as conn:
        assert conn.execute(select(jobs.c.id)).all() == []


def test_a_refused_refund_leaves_the_note_pending_and_the_payment_unrefunded(
        kassa, api, catalog) -> None:
    kassa.processors["sandbox"] = RefundProbe(kassa.engine, answer="failed")
    invoice = _paid_invoice(api)
    note = _note(api, invoice)
    applied = ok(api.post(f"/credit-notes/{note['id']}/apply", json={"resolution": "refund"}))
    assert applied["status"] == "pending_refund"
    assert ok(api.get(f"/refunds/{applied['refund_id']}"))["status"] == "failed"
    [payment] = ok(api.get("/payments"))["data"]
    assert payment["amount_refunded"] == "0.00"
    # A pending_refund note is not credited until its refund succeeds.
    assert ok(api.get(f"/invoices/{invoice['id']}"))["amount_credited"] == "0.00"


def test_a_refund_job_left_by_a_dead_process_is_run_by_the_worker(kassa, api, catalog) -> None:
    """The note commits pending_refund with its job (the payment counts the refund at once);
    the job runner asks for the refund later."""
    invoice = _paid_invoice(api)
    note = _note(api, invoice, "100.00")
    ctx = replace(kassa.ctx("sandbox"), jobs=None)
    pending = credit_notes.apply_credit_note(ctx, note["id"], "refund")
    assert pending["status"] == "pending_refund"
    assert ok(api.get(f"/refunds/{pending['refund_id']}"))["status"] == "pending"
    [payment] = ok(api.get("/payments"))["data"]
    assert payment["amount_refunded"] == "100.00"
    with kassa.engine.connect() as conn:
        queued = conn.execute(select(jobs.c.type).where(jobs.c.status == "queued")).scalars()
        assert list(queued) == [refunds.REFUND_JOB]
    assert [r["type"] for r in kassa.jobs.run(kassa.ctx("sandbox"))] == [refunds.REFUND_JOB]
    assert ok(api.get(f"/credit-notes/{note['id']}"))["status"] == "applied"
    assert ok(api.get(f"/refunds/{pending['refund_id']}"))["status"] == "succeeded"


class Unreachable(RefundProbe):
    """A processor that cannot be reached for refunds (charges still work)."""

    def refund(self, payment, amount, *, idempotency_key):
        self.refunds.append(("asked", idempotency_key, str(amount)))
        raise ConnectionError("processor unreachable")


def test_a_refund_given_up_after_its_retries_fails_and_no_longer_counts_on_the_payment(
        kassa, api, catalog) -> None:
    probe = Unreachable(kassa.engine)
    kassa.processors["sandbox"] = probe
    invoice = _paid_invoice(api)
    note = _note(api, invoice)
    applied = ok(api.post(f"/credit-notes/{note['id']}/apply", json={"resolution": "refund"}))
    assert applied["status"] == "pending_refund"
    [payment] = ok(api.get("/payments"))["data"]
    assert payment["amount_refunded"] == "40.00"  # counted while the refund is pending
    ok(api.post("/clock/advance", json={"to": "2026-12-01T00:10:00Z"}))  # retried, not given up
    assert 1 < len(probe.refunds) < refunds.REFUND_RETRY.max_attempts
    assert ok(api.get(f"/refunds/{applied['refund_id']}"))["status"] == "pending"
    ok(api.post("/clock/advance", json={"to": "2026-12-05T00:00:00Z"}))
    assert len(probe.refunds) == refunds.REFUND_RETRY.max_attempts
    assert {key for _, key, _ in probe.refunds} == {applied["refund_id"]}  # one idempotency key
    assert ok(api.get(f"/refunds/{applied['refund_id']}"))["status"] == "failed"
    [payment] = ok(api.get("/payments"))["data"]
    assert payment["amount_refunded"] == "0.00"
    assert ok(api.get(f"/credit-notes/{note['id']}"))["status"] == "pending_refund"
    assert [(d["id"], d["status"]) for d in event_data(kassa, "refund.updated")] == [
        (applied["refund_id"], "failed")]
    with kassa.engine.connect() as conn:
        assert list(conn.execute(select(jobs.c.status)).scalars()) == ["failed"]
