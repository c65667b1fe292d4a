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
job waits the schedule's n-th interval; not while Settings → Subscriptions names an active
dunning automation, which then does the retrying. ``COLLECT_RETRY`` is another thing: it reruns a job that
could not reach the processor or record its answer, with the same payment and idempotency key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
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
from kassa.services.billing import invoice_store
from kassa.services.billing import invoices as inv
from kassa.services.billing import payments as pay
from kassa.services.billing import wallet_ledger as ledger
from kassa.services.context import Ctx
from kassa.store.queries import among, get_row
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


@dataclass(frozen=True)
class Prefetched:
    """What a batch's prefetch read for one of its collect jobs (None: nothing to charge)."""

    attempt: Attempt | None


@dataclass(frozen=True)
class Charged:
    """A charge the processor answered for, to record as the job completes."""

    attempt: Attempt
    result: ProcessorResult


def prefetch(ctx: Ctx, batch: list[Job]) -> dict[str, Prefetched]:
    """What each collect job of a batch charges, read in one transaction for them all."""
    if ctx.processor is None:
        return {}
    with ctx.uow(read_only=True) as uow:
        found = next_attempts(uow, [job.payload for job in batch])
    return {job.id: Prefetched(a) for job, a in zip(batch, found, strict=True)}


def collect(ctx: Ctx, job: Job) -> JobResult | None:
    """The ``collect_payment`` job: read, charge outside any transaction, then record (with
    the batch's other charges: ``record_charges``)."""
    if ctx.processor is None:
        return None  # no processor configured: invoices are paid by recorded payments
    if isinstance(job.prefetched, Prefetched):
        attempt = job.prefetched.attempt
    else:
        with ctx.uow(read_only=True) as uow:
            attempt = next_attempt(uow, job.payload)
    if attempt is None:
        return None
    result = ctx.processor.charge(
        attempt.method, attempt.amount, attempt.currency, idempotency_key=attempt.key,
        previous_failures=attempt.previous_failures,
    )
    return JobResult(outcome=Charged(attempt, result),
                     info={"invoice_id": attempt.invoice_id, "payment_id": attempt.payment_id,
                           "status": result.status})


def record_charges(uow: UnitOfWork, items: list[tuple[Job, Charged]]) -> None:
    """The collect jobs' ``finish_batch``: their charges recorded as the jobs complete."""
    record_many(uow, [(charged.attempt, charged.result) for _, charged in items])


def next_attempt(uow: UnitOfWork, payload: dict[str, Any]) -> Attempt | None:
    """What to charge for a collect job; None when nothing is (left) to charge."""
    return next_attempts(uow, [payload])[0]


def next_attempts(uow: UnitOfWork, payloads: Sequence[Mapping[str, Any]]) -> list[Attempt | None]:
    """``next_attempt`` of each payload, in a few queries for them all."""
    found = inv.load_many(uow, [p["invoice_id"] for p in payloads])
    recorded = _existing(uow, [p["payment_id"] for p in payloads])
    open_ = {p["invoice_id"] for p in payloads if p["invoice_id"] in found
             and found[p["invoice_id"]].is_open and found[p["invoice_id"]].amount_due > 0}
    wanted = [p for p in payloads if p["invoice_id"] in open_ and p["payment_id"] not in recorded]
    methods = pay.chargeable_methods(uow, [(found[p["invoice_id"]].customer_id,
                                            p["payment_method_id"]) for p in wanted])
    paid_before = _counts(uow, payments.c.invoice_id, open_)
    failures = _counts(uow, payments.c.payment_method_id,
                       {m["id"] for m in methods if m is not None}, payments.c.status == "failed")
    attempts: dict[str, Attempt] = {}
    for payload, method in zip(wanted, methods, strict=True):
        if method is not None:
            invoice = found[payload["invoice_id"]]
            attempts[payload["payment_id"]] = Attempt(
                invoice.id, payload["payment_id"], method, invoice.amount_due, invoice.currency,
                paid_before.get(invoice.id, 0) + 1, failures.get(method["id"], 0))
    return [attempts.get(p["payment_id"]) for p in payloads]  # only those wanted are there


def _existing(uow: UnitOfWork, payment_ids: Sequence[str]) -> set[str]:
    return set(uow.conn.execute(select(payments.c.id).where(
        payments.c.environment == uow.environment, among(uow.conn, payments.c.id,
                                                         sorted(set(payment_ids))),
    )).scalars()) if payment_ids else set()


def _counts(uow: UnitOfWork, column: Any, values: set[str], *where: Any) -> dict[str, int]:
    """How many payments have each of ``values`` in ``column`` (and ``where``)."""
    if not values:
        return {}
    return {key: count for key, count in uow.conn.execute(
        select(column, func.count()).where(
            payments.c.environment == uow.environment, among(uow.conn, column, sorted(values)),
            *where).group_by(column))}


class Recording:
    """The payments of one transaction being recorded, and what they change, written together
    by ``write``: the invoices as they end up, the new payments, the updated ones, the events
    in the order they happened and the retries scheduled."""

    def __init__(self, uow: UnitOfWork, invoices: dict[str, inv.Invoice]) -> None:
        self.uow = uow
        self.invoices = invoices
        self.changed: dict[str, inv.Invoice] = {}
        self.new: list[dict[str, Any]] = []
        self.updated: list[dict[str, Any]] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.declines: dict[str, int] = {}  # invoice → declined payments (stored + these)
        self._stored_declines: dict[str, int] | None = None

    def emit(self, event_type: str, data: dict[str, Any]) -> None:
        self.events.append((event_type, data))

    def save(self, invoice: inv.Invoice) -> inv.Invoice:
        """``invoice`` as it will be written (stamped now)."""
        invoice = replace(invoice, updated_at=self.uow.now)
        self.invoices[invoice.id] = self.changed[invoice.id] = invoice
        return invoice

    def emit_now(self) -> None:
        """Write the events so far (what is written next emits its own after them)."""
        self.uow.emit_all(self.events)
        self.events = []

    def declined(self, invoice_id: str) -> int:
        """The invoice's declined payments once this one is counted."""
        if self._stored_declines is None:
            self._stored_declines = _counts(self.uow, payments.c.invoice_id, set(self.invoices),
                                            payments.c.status == "failed")
        count = self.declines.get(invoice_id, self._stored_declines.get(invoice_id, 0)) + 1
        self.declines[invoice_id] = count
        return count

    def write(self) -> None:
        uow = self.uow
        if self.new:
            uow.conn.execute(insert(payments), self.new)
        for payment in self.updated:
            uow.conn.execute(update(payments).where(
                payments.c.environment == uow.environment, payments.c.id == payment["id"],
            ).values(status=payment["status"], processor_ref=payment["processor_ref"],
                     failure_reason=payment["failure_reason"], updated_at=uow.now))
        invoice_store.save_all(uow, list(self.changed.values()))
        self.emit_now()


def record(uow: UnitOfWork, attempt: Attempt, result: ProcessorResult) -> None:
    """Write the payment the processor answered for, with its events and effects."""
    record_many(uow, [(attempt, result)])


def record_many(uow: UnitOfWork, charges: Sequence[tuple[Attempt, ProcessorResult]]) -> None:
    """``record`` of each charge, in order, in a few statements for them all."""
    if not charges:
        return
    recording = Recording(uow, inv.load_many(uow, [a.invoice_id for a, _ in charges],
                                             for_update=True))
    for attempt, result in charges:
        invoice = recording.invoices[attempt.invoice_id]
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
        recording.emit("payment.created", render(Payment, payment))
        if result.status != "processing":
            _conclude(recording, payment, result)
        recording.new.append(payment)  # inserted as it ends up
    recording.write()


def conclude(uow: UnitOfWork, payment: dict[str, Any], invoice: inv.Invoice,
             result: ProcessorResult) -> None:
    """A processing payment succeeded (the invoice is settled by it) or failed."""
    recording = Recording(uow, {invoice.id: invoice})
    _conclude(recording, payment, result)
    recording.updated.append(payment)
    recording.write()


def _conclude(recording: Recording, payment: dict[str, Any], result: ProcessorResult) -> None:
    uow = recording.uow
    payment.update({
        "status": result.status,
        "processor_ref": result.reference or payment["processor_ref"],
        "failure_reason": result.failure_reason,
        "updated_at": uow.now,
    })
    recording.emit("payment.updated", render(Payment, payment))
    invoice = recording.invoices[payment["invoice_id"]]
    if result.succeeded:
        recording.emit("payment.succeeded", render(Payment, payment))
        if invoice.is_open:  # else: paid some other way since; refund by hand
            settled = invoice.settled(payment["amount"])
            if settled.amount_due > 0:
                recording.save(settled)
                return
            paid = recording.save(settled.paid(uow.now))  # as inv.mark_paid does
            if paid.kind == "top_up" and paid.wallet_id:
                recording.emit_now()
                ledger.credit_top_up(uow, paid)
            recording.emit("invoice.paid", inv.invoice_view(paid))
    else:
        recording.emit("payment.failed", render(Payment, payment))
        if invoice.status == "issued":  # an overdue invoice stays overdue
            recording.save(invoice.payment_failed())
        _retry_later(recording, invoice.id)


def _retry_later(recording: Recording, invoice_id: str) -> None:
    """Enqueue the next charge of the retry schedule after the invoice's latest decline; it
    charges the customer's default method of that time (a card updated since is the one used)."""
    uow = recording.uow
    if environment_settings.dunning_automation(uow.conn, uow.environment) is not None:
        return  # Settings → Subscriptions names an active dunning automation: it retries
    schedule = environment_settings.invoicing(uow).payment_retry_hours
    declined = recording.declined(invoice_id)
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
