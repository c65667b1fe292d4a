"""Collecting an invoice: the ``collect_payment`` job, and the outcome of a charge.

Issuing an auto-pay invoice (or retry-payment) commits the invoice with a collect job; the job
runs as that commit returns (or later, in the job runner), in three steps, so that no
transaction is open and no row locked while the processor is asked:

1. read what to charge (invoice, method, the invoice's attempt number) and close the read;
2. charge with the key ``<invoice>:<attempt>``: a job run again after a crash asks again with
   the same key, and the processor answers with the first charge instead of charging twice;
3. record the payment and its effects in the transaction that completes the job, so it is
   recorded once (a job whose completion rolled back runs again; the payment's id is chosen
   when the job is enqueued, and a payment recorded already is not recorded again).

A processor may answer ``processing`` (bank debits): the payment stays processing and the
invoice open until ``settle_payment`` brings the outcome (a provider's webhook).

A declined payment is charged again on the environment's retry schedule (Settings → Invoicing,
``payment_retry_hours``; none by default): after the invoice's n-th declined payment, a collect
job waits the schedule's n-th interval. ``COLLECT_RETRY`` is another thing: it reruns a job that
could not reach the processor or record its answer, with the same payment and idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update

from kassa.domain.errors import InvalidRequest, InvalidTransition, NotFound
from kassa.domain.money import ZERO, round_money
from kassa.ids import new_id
from kassa.payments import ProcessorResult
from kassa.queue import Job
from kassa.queue.retry import RetryPolicy
from kassa.queue.runner import JobResult
from kassa.resources import render
from kassa.resources.payments import Payment
from kassa.services import environment_settings
from kassa.services.billing import invoices as inv
from kassa.services.billing import payments as pay
from kassa.services.context import Ctx
from kassa.store.queries import get_row
from kassa.store.tables import payments
from kassa.store.uow import UnitOfWork

COLLECT_JOB = inv.COLLECT_JOB
# A run fails when the processor cannot be reached or the outcome cannot be recorded.
COLLECT_RETRY = RetryPolicy(max_attempts=8, initial=timedelta(minutes=1), cap=timedelta(hours=6))


@dataclass(frozen=True)
class Attempt:
    """One charge of an invoice, as read before the processor is asked."""

    invoice_id: str
    payment_id: str
    method: dict[str, Any]
    amount: Decimal
    currency: str
    number: int  # the invoice's n-th payment
    previous_failures: int  # declined payments with this method so far

    @property
    def key(self) -> str:
        return f"{self.invoice_id}:{self.number}"


def collect(ctx: Ctx, job: Job) -> JobResult | None:
    """The ``collect_payment`` job: read, charge outside any transaction, then record."""
    if ctx.processor is None:
        return None  # no processor configured: invoices are paid by recorded payments
    with ctx.uow(read_only=True) as uow:
        attempt = next_attempt(uow, job.payload)
    if attempt is None:
        return None
    result = ctx.processor.charge(
        attempt.method, attempt.amount, attempt.currency, idempotency_key=attempt.key,
        previous_failures=attempt.previous_failures,
    )
    return JobResult(
        finish=lambda uow: record(uow, attempt, result),
        info={"invoice_id": attempt.invoice_id, "payment_id": attempt.payment_id,
              "status": result.status},
    )


def next_attempt(uow: UnitOfWork, payload: dict[str, Any]) -> Attempt | None:
    """What to charge for a collect job; None when nothing is (left) to charge."""
    invoice = inv.load(uow, payload["invoice_id"])
    if not invoice.is_open or invoice.amount_due <= 0:
        return None
    if _payment(uow, payload["payment_id"]) is not None:
        return None  # recorded already
    try:
        method = pay.chargeable_method(uow, invoice.customer_id, payload["payment_method_id"])
    except NotFound:  # detached since
        return None
    if method is None:
        return None
    paid_before = uow.conn.execute(select(func.count()).select_from(payments).where(
        payments.c.environment == uow.environment, payments.c.invoice_id == invoice.id,
    )).scalar_one()
    failures = uow.conn.execute(select(func.count()).select_from(payments).where(
        payments.c.environment == uow.environment, payments.c.payment_method_id == method["id"],
        payments.c.status == "failed",
    )).scalar_one()
    return Attempt(invoice.id, payload["payment_id"], method, invoice.amount_due,
                   invoice.currency, paid_before + 1, failures)


def record(uow: UnitOfWork, attempt: Attempt, result: ProcessorResult) -> None:
    """Write the payment the processor answered for, with its events and effects."""
    invoice = inv.load(uow, attempt.invoice_id, for_update=True)
    payment = {
        "environment": uow.environment,
        "id": attempt.payment_id,
        "customer_id": invoice.customer_id,
        "invoice_id": invoice.id,
        "payment_method_id": attempt.method["id"],
        "method": attempt.method["type"],
        "amount": attempt.amount,
        "amount_refunded": round_money(ZERO, attempt.currency),
        "currency": attempt.currency,
        "status": "processing",
        "failure_reason": None,
        "processor_ref": result.reference if result.status == "processing" else None,
        "reference": None,
        "created_at": uow.now,
        "updated_at": uow.now,
    }
    uow.conn.execute(insert(payments), payment)
    uow.emit("payment.created", render(Payment, payment))
    if result.status != "processing":
        conclude(uow, payment, invoice, result)


def conclude(uow: UnitOfWork, payment: dict[str, Any], invoice: inv.Invoice,
             result: ProcessorResult) -> None:
    """A processing payment succeeded (the invoice is settled by it) or failed."""
    values = {
        "status": result.status,
        "processor_ref": result.reference or payment["processor_ref"],
        "failure_reason": result.failure_reason,
        "updated_at": uow.now,
    }
    uow.conn.execute(update(payments).where(
        payments.c.environment == uow.environment, payments.c.id == payment["id"]
    ).values(**values))
    payment.update(values)
    uow.emit("payment.updated", render(Payment, payment))
    if result.succeeded:
        uow.emit("payment.succeeded", render(Payment, payment))
        if invoice.is_open:  # else: paid some other way since; refund by hand
            inv.settle(uow, invoice, payment["amount"])
    else:
        uow.emit("payment.failed", render(Payment, payment))
        if invoice.status == "issued":  # an overdue invoice stays overdue
            inv.save(uow, invoice.payment_failed())
        _retry_later(uow, invoice.id)


def _retry_later(uow: UnitOfWork, invoice_id: str) -> None:
    """Enqueue the next charge of the retry schedule after the invoice's latest decline; it
    charges the customer's default method of that time (a card updated since is the one used)."""
    schedule = environment_settings.invoicing(uow).payment_retry_hours
    declined = uow.conn.execute(select(func.count()).select_from(payments).where(
        payments.c.environment == uow.environment, payments.c.invoice_id == invoice_id,
        payments.c.status == "failed",
    )).scalar_one()
    if declined > len(schedule):
        return
    uow.enqueue(COLLECT_JOB, {"invoice_id": invoice_id, "payment_id": new_id("pay"),
                              "payment_method_id": None},
                run_at=uow.now + timedelta(hours=schedule[declined - 1]),
                dedupe_key=f"payment_retry:{invoice_id}:{declined}")


def settle_payment(ctx: Ctx, payment_id: str, result: ProcessorResult) -> dict[str, Any]:
    """The outcome of a payment the processor answered ``processing`` for (its webhook)."""
    if result.status == "processing":
        raise InvalidRequest("A payment is settled as succeeded or failed.", field="status")
    with ctx.uow() as uow:
        found = get_row(uow.conn, payments, uow.environment, payment_id, what="Payment")
        invoice = inv.load(uow, found["invoice_id"], for_update=True)
        payment = dict(get_row(uow.conn, payments, uow.environment, payment_id,
                               what="Payment", for_update=True))
        if payment["status"] != "processing":
            raise InvalidTransition(f"Payment {payment_id} is {payment['status']}; only a "
                                    "processing payment can be settled.")
        conclude(uow, payment, invoice, result)
        uow.commit()
    return render(Payment, payment)


def _payment(uow: UnitOfWork, payment_id: str) -> Any:
    return uow.conn.execute(select(payments.c.id).where(
        payments.c.environment == uow.environment, payments.c.id == payment_id)).first()
