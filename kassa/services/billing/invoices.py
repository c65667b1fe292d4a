"""Invoices: stored from line drafts, issued (numbered, credits and wallet applied, collection
requested), paid, listed. The ``Invoice`` and its status rules are in
``kassa.domain.billing.invoice``; rows become invoices and are written back in
``invoice_store``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from kassa.domain.billing.boundary import LineDraft
from kassa.domain.billing.invoice import Invoice
from kassa.domain.contracts import due_date, utc_date
from kassa.domain.errors import InvalidRequest
from kassa.domain.money import in_minor_units
from kassa.ids import new_id
from kassa.services.billing import credits, invoice_store, numbering
from kassa.services.billing import wallet_ledger as ledger
from kassa.services.billing.invoice_store import load, load_many, save
from kassa.services.customers import customer_filter
from kassa.resources import render_object
from kassa.resources.invoices import Invoice as InvoiceResponse
from kassa.services.serialize import money
from kassa.store.queries import ListQuery, Page, fetch_page, in_filter
from kassa.store.tables import invoices
from kassa.store.uow import UnitOfWork

# Charges what an invoice has due once the transaction asking for it commits (collection.py).
COLLECT_JOB = "collect_payment"
# Renders and stores an issued invoice's PDF (kassa.services.billing.documents).
RENDER_JOB = "render_document"


def invoice_view(invoice: Invoice) -> dict[str, Any]:
    """The invoice as responses and event payloads show it (``kassa.resources.invoices``)."""
    return render_object(InvoiceResponse, invoice)


# ------------------------------------------------------------------ creating


def prepare(
    uow: UnitOfWork,
    *,
    customer_id: str,
    currency: str,
    kind: str,
    lines: Sequence[LineDraft],
    payment_terms: str,
    auto_pay: bool,
    subscription_id: str | None = None,
    billing_key: str | None = None,
    memo: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    wallet_id: str | None = None,
    invoice_id: str | None = None,
    fx: Mapping[str, Any] | None = None,
) -> Invoice:
    """A draft invoice (not written yet); ``invoice_id`` when it was chosen before (credit
    already consumed for it)."""
    return Invoice.draft(
        id=invoice_id or new_id("inv"), line_id=lambda: new_id("il"), customer_id=customer_id,
        currency=currency, kind=kind, lines=lines, payment_terms=payment_terms,
        auto_pay=auto_pay, at=uow.now, subscription_id=subscription_id, billing_key=billing_key,
        memo=memo, metadata=metadata, wallet_id=wallet_id, fx=fx,
    )


def store(uow: UnitOfWork, drafts: Sequence[Invoice]) -> list[Invoice]:
    """Insert draft invoices; one whose billing_key exists already is skipped (idempotence).
    Returns the invoices actually written."""
    if not drafts:
        return []
    written = invoice_store.insert_new(uow, drafts)
    for invoice in written:
        carried = invoice.carried_to_credit
        if carried:
            credits.add_grant(uow, invoice.customer_id, carried, currency=invoice.currency,
                              reason=f"Credit carried from invoice {invoice.id}", source="invoice")
    uow.emit_many("invoice.created", [
        {"id": i.id, "customer_id": i.customer_id, "subscription_id": i.subscription_id,
         "total": money(i.total), "currency": i.currency}
        for i in written
    ])
    return written


# ------------------------------------------------------------------ issuing


def issue_many(uow: UnitOfWork, batch: Sequence[Invoice]) -> list[Invoice]:
    """Number, date, apply credits and wallet, then ask for the collection (auto-pay) of each
    draft in ``batch`` (a collect job, see ``collect_later``); the invoices as issued.

    Set-based for billing runs: one numbering update, one query to find who has credit or a
    wallet, one update and one outbox insert for the whole batch.
    """
    for invoice in batch:
        invoice.require_draft()
    numbers = numbering.reserve(uow, "invoice", len(batch))
    today = utc_date(uow.now)
    payable = sorted({i.customer_id for i in batch if i.kind != "top_up" and i.amount_due > 0})
    with_credit = credits.customers_with_money(uow.conn, uow.environment, payable)
    with_wallet = ledger.customers_with_balance(uow.conn, uow.environment, payable)
    issued = invoice_store.save_all(uow, [
        apply_balances(uow, invoice.issued(number, today, due_date(today, invoice.payment_terms),
                                           uow.now),
                       credit=invoice.customer_id in with_credit,
                       wallet=invoice.customer_id in with_wallet)
        for invoice, number in zip(batch, numbers, strict=True)
    ], invoice_store.ISSUE_FIELDS)
    uow.emit_many("invoice.issued", [invoice_view(i) for i in issued])
    if uow.settings is None or uow.settings.render_pdfs_on_issue:
        uow.enqueue_many(RENDER_JOB, [({"kind": "invoice", "id": i.id}, uow.now) for i in issued],
                         dedupe_keys=[f"{RENDER_JOB}:invoice:{i.id}" for i in issued])
    done = []
    for invoice in issued:
        if invoice.amount_due <= 0:
            invoice = mark_paid(uow, invoice)
        elif invoice.auto_pay:
            collect_later(uow, invoice.id)
        done.append(invoice)
    return done


def collect_later(uow: UnitOfWork, invoice_id: str, method_id: str | None = None) -> str:
    """Enqueue the collection of what the invoice has due, run as soon as this transaction
    commits (unless its context leaves jobs to the runner); the id its payment will have."""
    payment_id = new_id("pay")
    uow.enqueue(COLLECT_JOB, {"invoice_id": invoice_id, "payment_id": payment_id,
                              "payment_method_id": method_id}, run_after_commit=True)
    return payment_id


def apply_balances(uow: UnitOfWork, invoice: Invoice, *, credit: bool = True,
                   wallet: bool = True) -> Invoice:
    """Spend monetary credit (earliest expiry, lowest priority, oldest first), then wallet
    balance, on what ``invoice`` has due; the caller stores the result. Never on a top-up."""
    if invoice.kind == "top_up" or invoice.amount_due <= 0:
        return invoice
    if credit:
        invoice = invoice.with_credits(credits.apply_money(
            uow, invoice.customer_id, invoice.currency, invoice.amount_due, invoice.id))
    if wallet and invoice.amount_due > 0:
        invoice = invoice.with_wallet(ledger.apply(
            uow, invoice.customer_id, invoice.currency, invoice.amount_due, invoice.id))
    return invoice


def mark_paid(uow: UnitOfWork, invoice: Invoice) -> Invoice:
    """Store ``invoice`` as paid (with what else changed on it), crediting a top-up's wallet."""
    invoice = save(uow, invoice.paid(uow.now))
    if invoice.kind == "top_up" and invoice.wallet_id:
        ledger.credit_top_up(uow, invoice)
    uow.emit("invoice.paid", invoice_view(invoice))
    return invoice


def settle(uow: UnitOfWork, invoice: Invoice, amount: Decimal) -> Invoice:
    """Record ``amount`` received against ``invoice``; paid once nothing is due."""
    invoice = invoice.settled(amount)
    return mark_paid(uow, invoice) if invoice.amount_due <= 0 else save(uow, invoice)


# ------------------------------------------------------------------ reading


INVOICE_FILTERS = {
    "subscription_id": in_filter(invoices.c.subscription_id),
    "status": in_filter(invoices.c.status),
    "kind": in_filter(invoices.c.kind),
    "number": in_filter(invoices.c.number),
    "currency": in_filter(invoices.c.currency, str.upper),
    "issued_from": lambda v: invoices.c.issue_date >= date.fromisoformat(v[0]),
    "issued_to": lambda v: invoices.c.issue_date < date.fromisoformat(v[0]),
    "period_from": lambda v: invoices.c.billing_period_start >= date.fromisoformat(v[0]),
    "period_to": lambda v: invoices.c.billing_period_start < date.fromisoformat(v[0]),
}


def list_invoices(ctx: Any, query: ListQuery) -> Page:
    with ctx.uow(read_only=True) as uow:
        page = fetch_page(
            uow.conn, invoices, uow.environment, query,
            sortable={"created_at": invoices.c.created_at, "issue_date": invoices.c.issue_date,
                      "due_date": invoices.c.due_date, "number": invoices.c.number},
            filters={**INVOICE_FILTERS, "customer_id": customer_filter(
                uow.conn, uow.environment, invoices.c.customer_id)},
        )
        found = {i.id: i for i in invoice_store.invoices_of(uow.conn, uow.environment,
                                                            page.rows)}
    return page.map(lambda r: invoice_view(found[r["id"]]))


def get_invoice(ctx: Any, invoice_id: str) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        return invoice_view(load(uow, invoice_id))


def check_amount(amount: Decimal, limit: Decimal, field: str, what: str, currency: str) -> Decimal:
    """``amount`` at the currency's scale, once it is positive, in minor units and within
    ``limit``."""
    if amount <= 0:
        raise InvalidRequest("The amount must be positive.", field=field)
    amount = in_minor_units(amount, currency, field=field)
    if amount > limit:
        raise InvalidRequest(f"The amount exceeds {what} ({money(limit)}).", field=field)
    return amount
