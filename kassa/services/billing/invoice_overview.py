"""Invoices as the dashboard shows them: a page of the list with each invoice's customer, and one
invoice with everything that moved money on it (its payments and their refunds, its credit
notes), the customer's credit and payment method, and which of the invoice actions its state
allows. Read-only; the actions themselves are the API's services (``invoice_actions``,
``payments``, ``credit_notes``)."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from kassa.domain.money import ZERO, round_money
from kassa.resources import render
from kassa.resources.credit_notes import CreditNote
from kassa.resources.payments import Payment, PaymentMethod, Refund
from kassa.services.billing import credit_notes, credits, payments
from kassa.services.billing import invoices as inv
from kassa.services.context import Ctx
from kassa.services.serialize import money
from kassa.store.queries import ListQuery, Page
from kassa.store.tables import credit_notes as credit_notes_table
from kassa.store.tables import customers
from kassa.store.tables import payments as payments_table
from kassa.store.tables import refunds

# Every status an invoice can have, in the order the dashboard offers them as filters.
STATUSES = ("draft", "issued", "payment_failed", "overdue", "paid", "void")


def list_invoices(ctx: Ctx, query: ListQuery) -> Page:
    """``invoices.list_invoices`` (filters and order as GET /invoices), each invoice with its
    ``customer`` (id, name, email): one query more for the page's customers."""
    found = inv.list_invoices(ctx, query)
    with ctx.uow(read_only=True) as uow:
        named = customers_of(uow.conn, uow.environment, {r["customer_id"] for r in found.rows})
    return found.map(lambda r: {**r, "customer": named[r["customer_id"]]})


def customers_of(conn: Connection, environment: str, ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """id -> {id, name, email} of the customers ``ids`` (one query)."""
    if not ids:
        return {}
    rows = conn.execute(select(customers.c.id, customers.c.name, customers.c.email).where(
        customers.c.environment == environment, customers.c.id.in_(sorted(ids)))).mappings()
    return {r["id"]: dict(r) for r in rows}


def invoice_details(ctx: Ctx, invoice_id: str) -> dict[str, Any]:
    """The invoice (as GET /invoices/{id}), its customer, its payments (oldest first, each
    with its refunds), its credit notes, the customer's default payment method and monetary
    credit in the invoice's currency, what is left to credit and to refund, and ``actions``:
    which of retry_payment, apply_credits, refund, credit_note and void its state allows."""
    with ctx.uow(read_only=True) as uow:
        conn, env = uow.conn, uow.environment
        invoice = inv.load(uow, invoice_id)
        customer = customers_of(conn, env, [invoice.customer_id])[invoice.customer_id]
        paid = [dict(r) for r in conn.execute(select(payments_table).where(
            payments_table.c.environment == env, payments_table.c.invoice_id == invoice.id,
        ).order_by(payments_table.c.seq)).mappings()]
        given_back: dict[str, list[dict[str, Any]]] = {p["id"]: [] for p in paid}
        if paid:
            for row in conn.execute(select(refunds).where(
                refunds.c.environment == env, refunds.c.payment_id.in_(list(given_back)),
            ).order_by(refunds.c.seq)).mappings():
                given_back[row["payment_id"]].append(render(Refund, row))
        notes = [render(CreditNote, r) for r in conn.execute(select(credit_notes_table).where(
            credit_notes_table.c.environment == env,
            credit_notes_table.c.invoice_id == invoice.id,
        ).order_by(credit_notes_table.c.seq)).mappings()]
        method = payments.default_method(uow, invoice.customer_id)
        held = credits.balance(conn, env, invoice.customer_id)["monetary"]
        left = credit_notes.left_to_credit(uow, invoice)
    currency = invoice.currency
    credit = next((Decimal(c["amount"]) for c in held if c["currency"] == currency), ZERO)
    can_refund = credit_notes.refundable([p for p in paid if p["status"] == "succeeded"])
    creditable = invoice.status in credit_notes.CREDITABLE and left > 0
    due = invoice.amount_due
    return {
        "invoice": inv.invoice_view(invoice),
        "customer": customer,
        "payments": [render(Payment, p) | {"refunds": given_back[p["id"]]} for p in paid],
        "credit_notes": notes,
        "payment_method": render(PaymentMethod, method) if method else None,
        "credit_available": money(round_money(credit, currency)),
        "credits_to_apply": money(round_money(min(credit, max(due, ZERO)), currency)),
        "left_to_credit": money(round_money(max(left, ZERO), currency)),
        "refundable": money(round_money(can_refund, currency)),
        "actions": {
            "retry_payment": invoice.is_open and due > 0,
            "apply_credits": invoice.is_open and due > 0 and credit > 0
                             and invoice.kind != "top_up",
            "refund": creditable and can_refund > 0,
            "credit_note": creditable,
            "void": (invoice.status == "draft" or invoice.is_open) and invoice.amount_paid == 0,
        },
    }
