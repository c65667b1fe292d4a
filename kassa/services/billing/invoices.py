"""Invoices: stored from line drafts, issued (numbered, credits and wallet applied, collection
requested), voided, listed. Status: draft → issued → paid | payment_failed | overdue, or void."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kassa.domain.billing.boundary import LineDraft
from kassa.domain.billing.totals import totals
from kassa.domain.contracts import due_date, utc_date
from kassa.domain.errors import InvalidRequest, InvalidTransition
from kassa.domain.money import ZERO, in_minor_units, round_money
from kassa.ids import new_id
from kassa.services.billing import credits, numbering
from kassa.services.billing import wallet_ledger as ledger
from kassa.services.customers import customer_filter
from kassa.services.serialize import iso_date, money, rfc3339
from kassa.store.queries import ListQuery, Page, among, fetch_page, get_row, in_filter
from kassa.store.tables import invoice_lines, invoices
from kassa.store.uow import UnitOfWork

OPEN = ("issued", "payment_failed", "overdue")
# Charges what an invoice has due once the transaction asking for it commits (collection.py).
COLLECT_JOB = "collect_payment"


def line_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "description": row["description"],
        "product_id": row["product_id"],
        "bundle_id": row["bundle_id"],
        "metric_id": row["metric_id"],
        "quantity": money(row["quantity"]),
        "unit_amount": money(row["unit_amount"]),
        "amount": money(row["amount"]),
        "period_start": iso_date(row["period_start"]),
        "period_end": iso_date(row["period_end"]),
        "details": row["details"],
    }


def invoice_view(row: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "number": row["number"],
        "customer_id": row["customer_id"],
        "subscription_id": row["subscription_id"],
        "kind": row["kind"],
        "status": row["status"],
        "currency": row["currency"],
        "billing_period_start": iso_date(row["billing_period_start"]),
        "billing_period_end": iso_date(row["billing_period_end"]),
        "issue_date": iso_date(row["issue_date"]),
        "due_date": iso_date(row["due_date"]),
        "payment_terms": row["payment_terms"],
        "line_items": [line_view(line) for line in lines],
        "subtotal": money(row["subtotal"]),
        "discount": money(row["discount"]),
        "tax": money(row["tax"]),
        "total": money(row["total"]),
        "credits_applied": money(row["credits_applied"]),
        "wallet_applied": money(row["wallet_applied"]),
        "amount_paid": money(row["amount_paid"]),
        "amount_credited": money(row["amount_credited"]),
        "amount_due": money(row["amount_due"]),
        "memo": row["memo"],
        "metadata": dict(row["metadata"]),
        "issued_at": rfc3339(row["issued_at"]),
        "paid_at": rfc3339(row["paid_at"]),
        "voided_at": rfc3339(row["voided_at"]),
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
    }


def lines_of(conn: Connection, environment: str, invoice_ids: Sequence[str]) -> dict[str, list]:
    found: dict[str, list] = {i: [] for i in invoice_ids}
    if not invoice_ids:
        return found
    rows = conn.execute(
        select(invoice_lines)
        .where(invoice_lines.c.environment == environment,
               among(conn, invoice_lines.c.invoice_id, list(invoice_ids)))
        .order_by(invoice_lines.c.invoice_id, invoice_lines.c.position)
    ).mappings()
    for row in rows:
        found[row["invoice_id"]].append(row)
    return found


def view_of(conn: Connection, environment: str, invoice: Mapping[str, Any]) -> dict[str, Any]:
    return invoice_view(invoice, lines_of(conn, environment, [invoice["id"]])[invoice["id"]])


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
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The rows of a draft invoice (not written yet); ``invoice_id`` when it was chosen before
    (credit already consumed for it)."""
    invoice_id = invoice_id or new_id("inv")
    lines = list(lines)
    total = totals(lines, currency)
    carried = ZERO
    if total.total < 0:  # more credit than charge: the rest goes to the credit balance
        carried = -total.total
        lines.append(LineDraft(kind="adjustment", amount=carried,
                               description="Carried to credit balance"))
        total = totals(lines, currency)
        metadata = {**(metadata or {}), "carried_to_credit": money(carried)}
    periods = [line.period for line in lines if line.period]
    zero = round_money(ZERO, currency)
    row = {
        "environment": uow.environment,
        "id": invoice_id,
        "number": None,
        "customer_id": customer_id,
        "subscription_id": subscription_id,
        "kind": kind,
        "billing_key": billing_key,
        "currency": currency,
        "status": "draft",
        "billing_period_start": min((p[0] for p in periods), default=None),
        "billing_period_end": max((p[1] for p in periods), default=None),
        "issue_date": None,
        "due_date": None,
        "payment_terms": payment_terms,
        "auto_pay": auto_pay,
        "subtotal": total.subtotal,
        "discount": total.discount,
        "tax": total.tax,
        "total": total.total,
        "credits_applied": zero,
        "wallet_applied": zero,
        "amount_paid": zero,
        "amount_due": total.total,
        "amount_credited": zero,
        "memo": memo,
        "metadata": dict(metadata or {}),
        "wallet_id": wallet_id,
        "issued_at": None,
        "paid_at": None,
        "voided_at": None,
        "overdue_at": None,
        "created_at": uow.now,
        "updated_at": uow.now,
    }
    line_rows = [
        {
            "environment": uow.environment,
            "id": new_id("il"),
            "invoice_id": invoice_id,
            "position": position,
            "kind": line.kind,
            "description": line.description or line.kind.replace("_", " ").capitalize(),
            "product_id": line.product_id,
            "bundle_id": line.bundle_id,
            "metric_id": line.metric_id,
            "quantity": line.quantity,
            "unit_amount": line.unit_amount,
            "amount": line.amount,
            "period_start": line.period[0] if line.period else None,
            "period_end": line.period[1] if line.period else None,
            "details": line.details,
        }
        for position, line in enumerate(lines)
    ]
    return row, line_rows


def store(uow: UnitOfWork, drafts: Sequence[tuple[dict, list[dict]]]) -> list[dict[str, Any]]:
    """Insert draft invoices; one whose billing_key exists already is skipped (idempotence).
    Returns the invoices actually written (their line rows in ``_lines``, not stored)."""
    if not drafts:
        return []
    keyed = [row for row, _ in drafts if row["billing_key"]]
    plain = [row for row, _ in drafts if not row["billing_key"]]
    done: set[str] = set()
    if keyed:
        dialect = postgresql if uow.dialect == "postgresql" else sqlite
        # No RETURNING: an executemany of one short statement (psycopg pipelines it and parses
        # it once; a multi-row VALUES with RETURNING is re-parsed for every chunk). Fresh ids
        # tell afterwards which rows this statement wrote.
        stmt = dialect.insert(invoices).on_conflict_do_nothing(
            index_elements=["environment", "billing_key"])
        uow.conn.execute(stmt, keyed)
        done |= set(uow.conn.execute(
            select(invoices.c.id).where(invoices.c.environment == uow.environment,
                                        among(uow.conn, invoices.c.id, [row["id"] for row in keyed]))
        ).scalars())
    if plain:
        uow.conn.execute(insert(invoices), plain)
        done |= {row["id"] for row in plain}
    written = []
    all_lines = []
    for row, lines in drafts:
        if row["id"] in done:
            row["_lines"] = lines
            written.append(row)
            all_lines += lines
    if all_lines:
        uow.conn.execute(insert(invoice_lines), all_lines)
    for row in written:
        carried = row["metadata"].get("carried_to_credit")
        if carried:
            credits.add_grant(uow, row["customer_id"], Decimal(carried), currency=row["currency"],
                              reason=f"Credit carried from invoice {row['id']}", source="invoice")
    uow.emit_many("invoice.created", [
        {"id": row["id"], "customer_id": row["customer_id"],
         "subscription_id": row["subscription_id"], "total": money(row["total"]),
         "currency": row["currency"]}
        for row in written
    ])
    return written


def save(uow: UnitOfWork, invoice: dict[str, Any], values: Mapping[str, Any]) -> None:
    values = {**values, "updated_at": uow.now}
    uow.conn.execute(
        update(invoices)
        .where(invoices.c.environment == uow.environment, invoices.c.id == invoice["id"])
        .values(**values)
    )
    invoice.update(values)


# ------------------------------------------------------------------ issuing


def issue_many(uow: UnitOfWork, batch: list[dict]) -> None:
    """Number, date, apply credits and wallet, then ask for the collection (auto-pay) of each
    draft in ``batch`` (a collect job, see ``collect_later``).

    Set-based for billing runs: one numbering update, one query to find who has credit or a
    wallet, one update and one outbox insert for the whole batch.
    """
    for invoice in batch:
        if invoice["status"] != "draft":
            raise InvalidTransition(
                f"Invoice {invoice['id']} is {invoice['status']}; only a draft can be issued."
            )
    numbers = numbering.reserve(uow, "invoice", len(batch))
    today = utc_date(uow.now)
    payable = sorted({i["customer_id"] for i in batch if i["kind"] != "top_up" and i["amount_due"] > 0})
    with_credit = credits.customers_with_money(uow.conn, uow.environment, payable)
    with_wallet = ledger.customers_with_balance(uow.conn, uow.environment, payable)
    for invoice, number in zip(batch, numbers, strict=True):
        invoice.update(number=number, status="issued", issue_date=today,
                       due_date=due_date(today, invoice["payment_terms"]), issued_at=uow.now,
                       updated_at=uow.now)
        apply_balances(uow, invoice, credit=invoice["customer_id"] in with_credit,
                       wallet=invoice["customer_id"] in with_wallet)
    fields = ("number", "status", "issue_date", "due_date", "issued_at", "credits_applied",
              "wallet_applied", "amount_due", "updated_at")
    uow.conn.execute(
        update(invoices)
        .where(invoices.c.environment == uow.environment, invoices.c.id == bindparam("_id"))
        .values({f: bindparam(f"_{f}") for f in fields}),
        [{"_id": i["id"], **{f"_{f}": i[f] for f in fields}} for i in batch],
    )
    missing = [i["id"] for i in batch if "_lines" not in i]
    found = lines_of(uow.conn, uow.environment, missing) if missing else {}
    uow.emit_many("invoice.issued", [
        invoice_view(i, i["_lines"] if "_lines" in i else found[i["id"]]) for i in batch
    ])
    for invoice in batch:
        invoice.pop("_lines", None)
        if invoice["amount_due"] <= 0:
            mark_paid(uow, invoice)
        elif invoice["auto_pay"]:
            collect_later(uow, invoice["id"])


def collect_later(uow: UnitOfWork, invoice_id: str, method_id: str | None = None) -> str:
    """Enqueue the collection of what the invoice has due, run as soon as this transaction
    commits (unless its context leaves jobs to the runner); the id its payment will have."""
    payment_id = new_id("pay")
    uow.enqueue(COLLECT_JOB, {"invoice_id": invoice_id, "payment_id": payment_id,
                              "payment_method_id": method_id}, run_after_commit=True)
    return payment_id


def apply_balances(uow: UnitOfWork, invoice: dict[str, Any], *, credit: bool = True,
                   wallet: bool = True) -> None:
    """Spend monetary credit (earliest expiry, lowest priority, oldest first), then wallet
    balance, on what ``invoice`` has due; the caller stores the amounts. Never on a top-up."""
    if invoice["kind"] == "top_up" or invoice["amount_due"] <= 0:
        return
    customer = invoice["customer_id"]
    if credit:
        used = credits.apply_money(uow, customer, invoice["currency"], invoice["amount_due"],
                                   invoice["id"])
        invoice["credits_applied"] += used
        invoice["amount_due"] -= used
    if wallet and invoice["amount_due"] > 0:
        paid = ledger.apply(uow, customer, invoice["currency"], invoice["amount_due"],
                             invoice["id"])
        invoice["wallet_applied"] += paid
        invoice["amount_due"] -= paid


def mark_paid(uow: UnitOfWork, invoice: dict[str, Any]) -> None:
    save(uow, invoice, {"status": "paid", "paid_at": uow.now, "amount_due": round_money(
        ZERO, invoice["currency"])})
    if invoice["kind"] == "top_up" and invoice["wallet_id"]:
        ledger.credit_top_up(uow, invoice)
    uow.emit("invoice.paid", view_of(uow.conn, uow.environment, invoice))


def settle(uow: UnitOfWork, invoice: dict[str, Any], amount: Decimal) -> None:
    """Record ``amount`` received against ``invoice``; paid once nothing is due."""
    save(uow, invoice, {"amount_paid": invoice["amount_paid"] + amount,
                        "amount_due": invoice["amount_due"] - amount})
    if invoice["amount_due"] <= 0:
        mark_paid(uow, invoice)


def load(uow: UnitOfWork, invoice_id: str, *, for_update: bool = False) -> dict[str, Any]:
    return dict(get_row(uow.conn, invoices, uow.environment, invoice_id, what="Invoice",
                        for_update=for_update))


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
        found = lines_of(uow.conn, uow.environment, [r["id"] for r in page.rows])
    return page.map(lambda r: invoice_view(r, found[r["id"]]))


def get_invoice(ctx: Any, invoice_id: str) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        return view_of(uow.conn, uow.environment, load(uow, invoice_id))


def require_open(invoice: Mapping[str, Any], action: str) -> None:
    if invoice["status"] not in OPEN:
        raise InvalidTransition(
            f"Cannot {action} invoice {invoice['id']}: it is {invoice['status']}."
        )


def check_amount(amount: Decimal, limit: Decimal, field: str, what: str, currency: str) -> Decimal:
    """``amount`` at the currency's scale, once it is positive, in minor units and within
    ``limit``."""
    if amount <= 0:
        raise InvalidRequest("The amount must be positive.", field=field)
    amount = in_minor_units(amount, currency, field=field)
    if amount > limit:
        raise InvalidRequest(f"The amount exceeds {what} ({money(limit)}).", field=field)
    return amount
