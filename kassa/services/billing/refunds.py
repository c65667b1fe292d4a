"""Refunding a credit note: the ``refund_payment`` job, as collection is the collect job.

Applying a credit note as a refund (``credit_notes.apply_credit_note``) records, in its own
transaction, a pending refund per payment it gives money back on (``payments.request_refund``:
counted as refunded on the payment at once, so no second note can refund it again) and enqueues
one ``refund_payment`` job for the note (``payments.refund_later``), run as that commit returns
(or later, in the job runner):

1. read the note's pending refunds and their payments, and close the read;
2. ask the processor for each refund with no transaction open, with the refund's id as the
   idempotency key: a job run again after a crash asks again with the same key;
3. record the outcomes in the transaction that completes the job: each refund's status (and
   ``refund.updated``), a failed refund no longer counted on its payment, and the note
   ``applied`` once every refund succeeded, else ``pending_refund`` (``credit_note.applied``).

A payment recorded by hand (a wire), or one in an environment without a processor, is refunded
by hand: its refund stays pending until confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from kassa.payments import ProcessorResult
from kassa.queue import Job
from kassa.queue.retry import RetryPolicy
from kassa.queue.runner import JobResult
from kassa.resources import render
from kassa.resources.payments import Refund
from kassa.services.billing import credit_notes
from kassa.services.billing import payments as pay
from kassa.services.context import Ctx
from kassa.store.tables import payments, refunds
from kassa.store.uow import UnitOfWork

REFUND_JOB = pay.REFUND_JOB
# A run fails when the processor cannot be reached or the outcome cannot be recorded.
REFUND_RETRY = RetryPolicy(max_attempts=8, initial=timedelta(minutes=1), cap=timedelta(hours=6))


@dataclass(frozen=True)
class Asked:
    """One refund of the note, as read before the processor is asked."""

    refund_id: str
    payment: dict[str, Any]
    amount: Decimal

    @property
    def by_processor(self) -> bool:
        return self.payment["payment_method_id"] is not None


def refund(ctx: Ctx, job: Job) -> JobResult:
    """The ``refund_payment`` job: read, ask the processor outside any transaction, record."""
    note_id = job.payload["credit_note_id"]
    with ctx.uow(read_only=True) as uow:
        asked = _pending(uow, note_id)
    results = {
        a.refund_id: ctx.processor.refund(a.payment, a.amount, idempotency_key=a.refund_id)
        for a in asked if a.by_processor and ctx.processor is not None
    }
    return JobResult(finish=lambda uow: record(uow, note_id, results),
                     info={"credit_note_id": note_id})


def _pending(uow: UnitOfWork, note_id: str) -> list[Asked]:
    rows = uow.conn.execute(
        select(refunds.c.id, refunds.c.payment_id, refunds.c.amount)
        .where(refunds.c.environment == uow.environment, refunds.c.credit_note_id == note_id,
               refunds.c.status == "pending")
        .order_by(refunds.c.seq)
    ).all()
    paid = {r["id"]: dict(r) for r in uow.conn.execute(select(payments).where(
        payments.c.environment == uow.environment,
        payments.c.id.in_({row.payment_id for row in rows}),
    )).mappings()} if rows else {}
    return [Asked(row.id, paid[row.payment_id], row.amount) for row in rows]


def record(uow: UnitOfWork, note_id: str, results: dict[str, ProcessorResult]) -> None:
    """Write what the processor answered for the note's refunds, then the note's status."""
    note = credit_notes.load_note(uow, note_id)
    rows = [dict(r) for r in uow.conn.execute(
        select(refunds).where(refunds.c.environment == uow.environment,
                              refunds.c.credit_note_id == note_id).order_by(refunds.c.seq)
    ).mappings()]
    for row in rows:
        result = results.get(row["id"])
        if result is not None and row["status"] == "pending":
            _conclude(uow, row, result)
        uow.emit("refund.updated", render(Refund, row))
    status = "applied" if all(r["status"] == "succeeded" for r in rows) else "pending_refund"
    credit_notes.record_refunded(uow, note, status)


def _conclude(uow: UnitOfWork, row: dict[str, Any], result: ProcessorResult) -> None:
    """A pending refund as the processor answered: succeeded, failed (no longer counted on its
    payment), or still processing (a bank debit's refund: it stays pending, with the
    processor's reference, until the processor's webhook brings the outcome)."""
    status = {"succeeded": "succeeded", "processing": "pending"}.get(result.status, "failed")
    row.update(status=status, processor_ref=result.reference or row["processor_ref"])
    uow.conn.execute(update(refunds).where(
        refunds.c.environment == uow.environment, refunds.c.id == row["id"]
    ).values(status=row["status"], processor_ref=row["processor_ref"], updated_at=uow.now))
    if status == "failed":
        _give_back(uow, row["payment_id"], row["amount"])


def settle_refunds(uow: UnitOfWork, payment_id: str,
                   outcomes: dict[str, ProcessorResult]) -> int:
    """The processor's refunds of a payment as they stand now ({processor reference: result},
    its webhook): each pending refund it has concluded is concluded so, and each note of them
    ``applied`` once all its refunds succeeded. How many refunds changed (0: nothing new)."""
    rows = [dict(r) for r in uow.conn.execute(
        select(refunds).where(refunds.c.environment == uow.environment,
                              refunds.c.payment_id == payment_id, refunds.c.status == "pending",
                              refunds.c.processor_ref.is_not(None)).order_by(refunds.c.seq)
    ).mappings()]
    notes: set[str] = set()
    changed = 0
    for row in rows:
        result = outcomes.get(row["processor_ref"])
        if result is None or result.status == "processing":
            continue
        _conclude(uow, row, result)
        uow.emit("refund.updated", render(Refund, row))
        changed += 1
        if row["credit_note_id"]:
            notes.add(row["credit_note_id"])
    for note_id in sorted(notes):
        statuses = uow.conn.execute(select(refunds.c.status).where(
            refunds.c.environment == uow.environment,
            refunds.c.credit_note_id == note_id)).scalars().all()
        if all(s == "succeeded" for s in statuses):
            credit_notes.record_refunded(uow, credit_notes.load_note(uow, note_id), "applied")
    return changed


def on_job_failure(uow: UnitOfWork, job: Job, error: str) -> None:
    """The job was given up (the processor could not be asked, or its answer recorded, in
    ``REFUND_RETRY.max_attempts`` runs): the note's pending processor refunds are failed, so
    their payments no longer count them and the note stays ``pending_refund`` for a person."""
    note_id = job.payload["credit_note_id"]
    given_up = ProcessorResult("failed", failure_reason=f"refund given up: {error}")
    record(uow, note_id, {a.refund_id: given_up for a in _pending(uow, note_id)
                          if a.by_processor})


def _give_back(uow: UnitOfWork, payment_id: str, amount: Decimal) -> None:
    """A refused refund is no longer counted as refunded on its payment."""
    refunded = uow.conn.execute(select(payments.c.amount_refunded).where(
        payments.c.environment == uow.environment, payments.c.id == payment_id
    )).scalar_one()
    pay.count_refunded(uow, payment_id, refunded - amount)
