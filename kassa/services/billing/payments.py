"""Payment methods, payments (collected through the environment's processor by the collect job,
see ``collection``, or recorded by hand for wires) and refunds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update

from kassa.domain.errors import InvalidRequest, InvalidTransition, KassaError, NotFound
from kassa.domain.money import ZERO, round_money
from kassa.ids import new_id
from kassa.resources import render, renderer
from kassa.resources.payments import Payment, PaymentMethod, Refund
from kassa.services.billing import credits
from kassa.services.billing import invoices as inv
from kassa.services.billing import wallet_ledger as ledger
from kassa.services.common import get_object
from kassa.services.context import Ctx
from kassa.services.customers import (
    list_customer_records,
    live_customer,
    lock_customer,
    resolve_customer,
)
from kassa.store.queries import ListQuery, Page, among, get_row
from kassa.store.tables import payment_methods, payments, refunds
from kassa.store.uow import UnitOfWork

# Asks the processor for a credit note's refunds once the transaction asking for them commits
# (refunds.py).
REFUND_JOB = "refund_payment"

# ------------------------------------------------------------------ payment methods


def add_method(ctx: Ctx, customer_ref: str, data: Mapping[str, Any]) -> dict[str, Any]:
    with ctx.uow() as uow:
        view = attach_method(uow, customer_ref, data)
        uow.commit()
    return view


def attach_method(uow: UnitOfWork, customer_ref: str, data: Mapping[str, Any], *,
                  processor_ref: str | None = None,
                  processor_customer: str | None = None) -> dict[str, Any]:
    """``add_method`` inside ``uow`` (a hosted checkout attaches the card in the transaction
    that completes it); the new method's view. ``processor_ref``: a method the processor
    collected (Stripe's hosted setup), charged by the processor, never simulated."""
    sandbox = uow.environment == "sandbox" and processor_ref is None
    customer = live_customer(uow.conn, uow.environment, customer_ref)
    lock_customer(uow.conn, uow.environment, customer["id"])
    behavior = data.get("test_behavior")
    if behavior is not None and not sandbox:
        raise InvalidRequest("test_behavior exists only in the sandbox.", field="test_behavior")
    if sandbox and data["type"] != "wire":
        behavior = behavior or "succeed"
    existing = uow.conn.execute(
        select(func.count()).select_from(payment_methods).where(
            payment_methods.c.environment == uow.environment,
            payment_methods.c.customer_id == customer["id"],
            payment_methods.c.detached_at.is_(None),
        )
    ).scalar_one()
    make_default = bool(data.get("default")) or existing == 0
    if make_default:
        _clear_default(uow, customer["id"])
    row = {
        "environment": uow.environment,
        "id": new_id("pm"),
        "customer_id": customer["id"],
        "type": data["type"],
        "details": dict(data.get("details") or {}),
        "test_behavior": behavior,
        "is_default": make_default,
        "processor_ref": processor_ref,
        "processor_customer": processor_customer,
        "detached_at": None,
        "created_at": uow.now,
        "updated_at": uow.now,
    }
    uow.conn.execute(insert(payment_methods), row)
    uow.emit("payment_method.attached", render(PaymentMethod, row))
    return render(PaymentMethod, row)


def _clear_default(uow: UnitOfWork, customer_id: str) -> None:
    uow.conn.execute(
        update(payment_methods)
        .where(payment_methods.c.environment == uow.environment,
               payment_methods.c.customer_id == customer_id)
        .values(is_default=False, updated_at=uow.now)
    )


def _method(uow: UnitOfWork, customer_id: str, method_id: str) -> dict[str, Any]:
    row = get_row(uow.conn, payment_methods, uow.environment, method_id, what="Payment method")
    if row["customer_id"] != customer_id or row["detached_at"] is not None:
        raise NotFound(f"Payment method {method_id!r} was not found.")
    return dict(row)


def set_default(ctx: Ctx, customer_ref: str, method_id: str) -> dict[str, Any]:
    with ctx.uow() as uow:
        customer = resolve_customer(uow.conn, uow.environment, customer_ref)
        lock_customer(uow.conn, uow.environment, customer["id"])
        method = _method(uow, customer["id"], method_id)
        _clear_default(uow, customer["id"])
        uow.conn.execute(update(payment_methods).where(
            payment_methods.c.environment == uow.environment, payment_methods.c.id == method_id
        ).values(is_default=True))
        method["is_default"] = True
        uow.commit()
    return render(PaymentMethod, method)


def detach(ctx: Ctx, customer_ref: str, method_id: str) -> dict[str, Any]:
    with ctx.uow() as uow:
        customer = resolve_customer(uow.conn, uow.environment, customer_ref)
        lock_customer(uow.conn, uow.environment, customer["id"])
        method = _method(uow, customer["id"], method_id)
        uow.conn.execute(update(payment_methods).where(
            payment_methods.c.environment == uow.environment, payment_methods.c.id == method_id
        ).values(detached_at=uow.now, is_default=False, updated_at=uow.now))
        method.update(detached_at=uow.now, is_default=False)
        uow.commit()
    return render(PaymentMethod, method)


def list_methods(ctx: Ctx, customer_ref: str) -> list[dict[str, Any]]:
    with ctx.uow(read_only=True) as uow:
        customer = resolve_customer(uow.conn, uow.environment, customer_ref)
        rows = uow.conn.execute(
            select(payment_methods).where(
                payment_methods.c.environment == uow.environment,
                payment_methods.c.customer_id == customer["id"],
                payment_methods.c.detached_at.is_(None),
            ).order_by(payment_methods.c.seq)
        ).mappings()
        return [render(PaymentMethod, r) for r in rows]


def default_method(uow: UnitOfWork, customer_id: str) -> dict[str, Any] | None:
    row = uow.conn.execute(
        select(payment_methods).where(
            payment_methods.c.environment == uow.environment,
            payment_methods.c.customer_id == customer_id,
            payment_methods.c.is_default.is_(True),
            payment_methods.c.detached_at.is_(None),
        )
    ).mappings().first()
    return None if row is None else dict(row)


# ------------------------------------------------------------------ collecting


def retry_payment(ctx: Ctx, invoice_id: str, method_id: str | None) -> dict[str, Any]:
    """Spend credit and wallet balance on the amount due, then charge the rest (``payment`` is
    None when they covered it all); the charge is a collect job, run as the request commits."""
    [answer] = retry_payments(ctx, [(invoice_id, method_id)])
    if isinstance(answer, KassaError):
        raise answer
    return answer


def retry_payments(ctx: Ctx, requests: Sequence[tuple[str, str | None]],
                   ) -> list[dict[str, Any] | KassaError]:
    """``retry_payment`` of each ``(invoice, method or None)``, in one transaction for them all
    (a batch of automation steps), their charges run together as it commits; each answers its
    result, or the error it raised, which changed nothing of it. An invoice named twice is
    retried again after the first one's charge."""
    first: dict[str, int] = {}
    for k, (invoice_id, _) in enumerate(requests):
        first.setdefault(invoice_id, k)
    answers: dict[int, dict[str, Any] | KassaError] = dict(zip(
        first.values(), _retry_all(ctx, [requests[k] for k in first.values()]), strict=True))
    for k, request in enumerate(requests):
        if k not in answers:
            answers[k] = _retry_all(ctx, [request])[0]
    return [answers[k] for k in range(len(requests))]


def _retry_all(ctx: Ctx, requests: Sequence[tuple[str, str | None]],
               ) -> list[dict[str, Any] | KassaError]:
    """``retry_payments`` of distinct invoices."""
    errors: dict[int, KassaError] = {}
    charged: dict[int, str | None] = {}
    with ctx.uow() as uow:
        loaded = inv.load_many(uow, [i for i, _ in requests], for_update=True)
        processing = _processing(uow, list(loaded))
        owners = sorted({i.customer_id for i in loaded.values()})
        with_credit = credits.customers_with_money(uow.conn, uow.environment, owners)
        with_wallet = ledger.customers_with_balance(uow.conn, uow.environment, owners)
        methods = chargeable_methods(uow, [
            (loaded[i].customer_id if i in loaded else "", m) for i, m in requests])
        for k, (invoice_id, method_id) in enumerate(requests):
            try:
                invoice = loaded.get(invoice_id)
                if invoice is None:
                    raise NotFound(f"Invoice {invoice_id!r} was not found.")
                invoice.require_open("collect a payment for")
                if invoice.amount_due <= 0:
                    raise InvalidTransition(f"Invoice {invoice_id} has nothing left to pay.")
                if invoice_id in processing:
                    raise InvalidTransition(
                        f"Payment {processing[invoice_id]} of invoice {invoice_id} is still "
                        "processing; wait for its outcome before retrying.")
                if method_id:
                    _method(uow, invoice.customer_id, method_id)  # NotFound: not the customer's
                method = methods[k] if ctx.processor is not None else None
                # Balances are spent before a missing method is found: undone then.
                with uow.conn.begin_nested() if method is None else nullcontext():
                    charged[k] = _retry_one(ctx, uow, invoice, method, credit=(
                        invoice.customer_id in with_credit), wallet=(
                        invoice.customer_id in with_wallet))
            except KassaError as exc:
                errors[k] = exc
        uow.commit()
    with ctx.uow(read_only=True) as uow:
        ids = [p for p in charged.values() if p]
        found = {r["id"]: r for r in uow.conn.execute(select(payments).where(
            payments.c.environment == uow.environment, among(uow.conn, payments.c.id, ids),
        )).mappings()} if ids else {}
        now = inv.load_many(uow, [requests[k][0] for k in charged])
        return [errors[k] if k in errors else {
            "payment": render(Payment, found[charged[k]]) if charged[k] in found else None,
            "invoice": inv.invoice_view(now[requests[k][0]])} for k in range(len(requests))]


def _retry_one(ctx: Ctx, uow: UnitOfWork, loaded: inv.Invoice, method: dict[str, Any] | None,
               *, credit: bool, wallet: bool) -> str | None:
    """Spend balances on one invoice and ask for its charge; the payment's id (None: paid)."""
    invoice = inv.apply_balances(uow, loaded, credit=credit, wallet=wallet)
    if invoice.amount_due <= 0:
        inv.mark_paid(uow, invoice)
        return None
    if invoice.amount_due < loaded.amount_due:
        inv.save(uow, invoice)
    if ctx.processor is None:
        raise InvalidRequest(
            "No payment processor is configured for this environment; record a payment "
            "with POST /invoices/{id}/payments instead."
        )
    if method is None:
        raise InvalidRequest(
            f"Customer {invoice.customer_id} has no payment method to charge; add one "
            "with POST /customers/{id}/payment-methods.",
            field="payment_method_id",
        )
    return inv.collect_later(uow, invoice.id, method["id"])


def _processing(uow: UnitOfWork, invoice_ids: list[str]) -> dict[str, str]:
    """The invoices of ``invoice_ids`` with a payment still processing: {invoice: payment}."""
    if not invoice_ids:
        return {}
    return {invoice_id: payment_id for payment_id, invoice_id in uow.conn.execute(
        select(payments.c.id, payments.c.invoice_id).where(
            payments.c.environment == uow.environment,
            among(uow.conn, payments.c.invoice_id, sorted(invoice_ids)),
            payments.c.status == "processing"))}


def chargeable_methods(uow: UnitOfWork, wanted: Sequence[tuple[str, str | None]],
                       ) -> list[dict[str, Any] | None]:
    """What a processor can charge for each ``(customer, method id or None)``: the method, or
    the customer's default; None for a wire, none, or a method that is not the customer's (or
    detached). Two queries for them all."""
    named = sorted({m for _, m in wanted if m})
    owners = sorted({c for c, m in wanted if not m and c})
    live = payment_methods.c.detached_at.is_(None)
    by_id = {r["id"]: dict(r) for r in uow.conn.execute(select(payment_methods).where(
        payment_methods.c.environment == uow.environment, live,
        among(uow.conn, payment_methods.c.id, named))).mappings()} if named else {}
    defaults = {r["customer_id"]: dict(r) for r in uow.conn.execute(select(payment_methods).where(
        payment_methods.c.environment == uow.environment, live,
        payment_methods.c.is_default.is_(True),
        among(uow.conn, payment_methods.c.customer_id, owners),
    ).order_by(payment_methods.c.seq.desc())).mappings()} if owners else {}
    found: list[dict[str, Any] | None] = []
    for customer_id, method_id in wanted:
        method = by_id.get(method_id) if method_id else defaults.get(customer_id)
        if method is not None and method["customer_id"] != customer_id:
            method = None
        found.append(None if method is None or method["type"] == "wire" else method)
    return found


def record_payment(ctx: Ctx, invoice_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A payment received outside Kassa (a wire): it settles the invoice up to its amount due."""
    with ctx.uow() as uow:
        invoice = inv.load(uow, invoice_id, for_update=True)
        invoice.require_open("record a payment on")
        amount = inv.check_amount(data["amount"], invoice.amount_due, "amount",
                                  "the amount due", invoice.currency)
        payment = {
            "environment": uow.environment,
            "id": new_id("pay"),
            "customer_id": invoice.customer_id,
            "invoice_id": invoice.id,
            "payment_method_id": None,
            "method": data.get("method", "wire"),
            "amount": amount,
            "amount_refunded": round_money(ZERO, invoice.currency),
            "currency": invoice.currency,
            "status": "succeeded",
            "failure_reason": None,
            "processor_ref": None,
            "reference": data.get("reference"),
            "created_at": uow.now,
            "updated_at": uow.now,
        }
        uow.conn.execute(insert(payments), payment)
        uow.emit("payment.created", render(Payment, payment))
        uow.emit("payment.succeeded", render(Payment, payment))
        invoice = inv.settle(uow, invoice, amount)
        view = {"payment": render(Payment, payment), "invoice": inv.invoice_view(invoice)}
        uow.commit()
    return view


def list_payments(ctx: Ctx, query: ListQuery) -> Page:
    return list_customer_records(ctx, payments, query, view=renderer(Payment),
                                 columns=("invoice_id", "status"))


def get_payment(ctx: Ctx, payment_id: str) -> dict[str, Any]:
    return get_object(ctx, payments, payment_id, what="Payment", view=renderer(Payment))


# ------------------------------------------------------------------ refunds


def request_refund(uow: UnitOfWork, payment: dict[str, Any], amount: Decimal, *,
                   reason: str | None, credit_note_id: str) -> str:
    """A pending refund of ``amount`` of ``payment``, counted as refunded on it now (the
    ``refund_payment`` job gives it back if the processor refuses, see ``refunds``); its id."""
    row = {
        "environment": uow.environment,
        "id": new_id("re"),
        "customer_id": payment["customer_id"],
        "payment_id": payment["id"],
        "credit_note_id": credit_note_id,
        "amount": amount,
        "currency": payment["currency"],
        "status": "pending",
        "reason": reason,
        "processor_ref": None,
        "created_at": uow.now,
        "updated_at": uow.now,
    }
    uow.conn.execute(insert(refunds), row)
    payment["amount_refunded"] += amount
    count_refunded(uow, payment["id"], payment["amount_refunded"])
    return str(row["id"])


def count_refunded(uow: UnitOfWork, payment_id: str, refunded: Decimal) -> None:
    """Store what was refunded of a payment so far (pending refunds included)."""
    uow.conn.execute(update(payments).where(
        payments.c.environment == uow.environment, payments.c.id == payment_id
    ).values(amount_refunded=refunded, updated_at=uow.now))


def refund_later(uow: UnitOfWork, credit_note_id: str) -> None:
    """Enqueue the refunds of a credit note, asked of the processor as soon as this
    transaction commits (unless its context leaves jobs to the runner)."""
    uow.enqueue(REFUND_JOB, {"credit_note_id": credit_note_id},
                dedupe_key=f"{REFUND_JOB}:{credit_note_id}", run_after_commit=True)


def list_refunds(ctx: Ctx, query: ListQuery) -> Page:
    return list_customer_records(ctx, refunds, query, view=renderer(Refund),
                                 columns=("payment_id", "status"))


def get_refund(ctx: Ctx, refund_id: str) -> dict[str, Any]:
    return get_object(ctx, refunds, refund_id, what="Refund", view=renderer(Refund))
