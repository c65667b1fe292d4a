"""Credit notes: money given back against an issued invoice, as a refund to the original
payment (asked of the processor after the commit, see ``refunds``) or as credit. Never more than the invoice total (across its credit notes), and a refund
never more than what was paid and not yet refunded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update

from kassa.domain.errors import InvalidRequest, InvalidTransition
from kassa.domain.money import ZERO, round_money
from kassa.ids import new_id
from kassa.resources import render, renderer
from kassa.resources.credit_notes import CreditNote
from kassa.services.billing import credits, numbering, payments
from kassa.services.billing import invoices as inv
from kassa.services.billing import wallet_ledger as ledger
from kassa.services.common import get_object
from kassa.services.context import Ctx
from kassa.services.customers import list_customer_records
from kassa.services.serialize import money
from kassa.store.queries import ListQuery, Page, get_row
from kassa.store.tables import credit_notes
from kassa.store.tables import payments as payments_table
from kassa.store.uow import UnitOfWork

CREDITABLE = ("issued", "paid", "payment_failed", "overdue")


def _credited(uow: UnitOfWork, invoice_id: str) -> Decimal:
    rows = uow.conn.execute(select(credit_notes.c.amount).where(
        credit_notes.c.environment == uow.environment, credit_notes.c.invoice_id == invoice_id,
        credit_notes.c.status != "void",
    )).scalars()
    return sum(rows, ZERO)


def left_to_credit(uow: UnitOfWork, invoice: inv.Invoice) -> Decimal:
    """What credit notes may still give back on ``invoice``: its total less its notes."""
    return invoice.total - _credited(uow, invoice.id)


def refundable(paid: list[dict[str, Any]]) -> Decimal:
    """What can still be refunded of an invoice's succeeded payments ``paid``."""
    return sum((p["amount"] - p["amount_refunded"] for p in paid), ZERO)


def succeeded_payments(uow: UnitOfWork, invoice_id: str) -> list[dict[str, Any]]:
    """The invoice's succeeded payments, latest first (the order refunds take them in)."""
    return [dict(r) for r in uow.conn.execute(select(payments_table).where(
        payments_table.c.environment == uow.environment,
        payments_table.c.invoice_id == invoice_id,
        payments_table.c.status == "succeeded",
    ).order_by(payments_table.c.seq.desc())).mappings()]


def create_credit_note(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    """A draft credit note; with ``resolution`` (``refund`` or ``credit``) also applied, in the
    same transaction, so a note that cannot be applied is not left behind as a draft."""
    resolution = data.get("resolution")
    with ctx.uow() as uow:
        _check_expiry(uow, data.get("credit_grant_expires_at"), resolution)
        row = _draft(uow, data)
        if resolution is not None:
            _apply(uow, row, resolution)
        view = render(CreditNote, row)
        uow.commit()
    if resolution == "refund":  # as refunded (a job run as the commit returned)
        return get_credit_note(ctx, row["id"])
    return view


def _draft(uow: UnitOfWork, data: Mapping[str, Any]) -> dict[str, Any]:
    """Insert the draft note ``data`` asks for (the invoice locked); the stored row."""
    invoice = inv.load(uow, data["invoice_id"], for_update=True)
    if invoice.status not in CREDITABLE:
        raise InvalidTransition(
            f"Invoice {invoice.id} is {invoice.status}; credit notes are for issued "
            "or paid invoices."
        )
    currency = invoice.currency
    lines: list[dict[str, Any]] = []
    if data.get("lines"):
        by_id = {line.id: line for line in invoice.lines}
        for index, line in enumerate(data["lines"]):
            source = by_id.get(line.get("invoice_line_id")) if line.get("invoice_line_id") else None
            if line.get("invoice_line_id") and source is None:
                raise InvalidRequest(
                    f"Line {line['invoice_line_id']!r} is not on invoice {invoice.id}.",
                    field=f"lines[{index}].invoice_line_id",
                )
            amount = round_money(line["amount"], currency)
            if source is not None and amount > source.amount:
                raise InvalidRequest(
                    f"The line was {money(source.amount)}; a credit cannot exceed it.",
                    field=f"lines[{index}].amount",
                )
            lines.append({"invoice_line_id": line.get("invoice_line_id"),
                          "description": line.get("description") or (source.description if source else "Credit"),
                          "amount": money(amount)})
        total = sum((Decimal(line["amount"]) for line in lines), ZERO)
    else:
        total = round_money(data["amount"], currency)
        lines = [{"invoice_line_id": None, "description": data.get("memo") or "Credit",
                  "amount": money(total)}]
    if total <= 0:
        raise InvalidRequest("A credit note must be for a positive amount.", field="amount")
    if invoice.kind == "top_up":
        _check_top_up(uow, invoice, total)
    room = left_to_credit(uow, invoice)
    if total > room:
        raise InvalidRequest(
            f"Invoice {invoice.id} has {money(room)} left to credit; this note is for "
            f"{money(total)}.",
            field="amount",
        )
    row = {
        "environment": uow.environment,
        "id": new_id("cn"),
        "number": None,
        "invoice_id": invoice.id,
        "customer_id": invoice.customer_id,
        "currency": currency,
        "status": "draft",
        "reason": data.get("reason", "other"),
        "memo": data.get("memo"),
        "lines": lines,
        "amount": total,
        "resolution": None,
        "refund_id": None,
        "credit_grant_id": None,
        "credit_grant_expires_at": data.get("credit_grant_expires_at"),
        "applied_at": None,
        "voided_at": None,
        "created_at": uow.now,
        "updated_at": uow.now,
    }
    uow.conn.execute(insert(credit_notes), row)
    uow.emit("credit_note.created", render(CreditNote, row))
    return row


def _check_top_up(uow: UnitOfWork, invoice: inv.Invoice, amount: Decimal) -> None:
    """A top-up is credited to its wallet once paid: a credit note gives back what the wallet
    still holds, and takes it out of the wallet (else the money would be both refunded and
    spendable). An unpaid top-up is voided instead."""
    if invoice.status != "paid":
        raise InvalidTransition(
            f"Top-up invoice {invoice.id} is {invoice.status}: void it instead of "
            "crediting it."
        )
    left = ledger.top_up_left(uow, invoice)
    if amount > left:
        raise InvalidRequest(
            f"Wallet {invoice.wallet_id} holds {money(left)} of this top-up; a credit note "
            f"can give back at most that, not {money(amount)}.",
            field="amount",
        )


def _save(uow: UnitOfWork, note: dict[str, Any], values: Mapping[str, Any]) -> None:
    values = {**values, "updated_at": uow.now}
    uow.conn.execute(update(credit_notes).where(
        credit_notes.c.environment == uow.environment, credit_notes.c.id == note["id"]
    ).values(**values))
    note.update(values)


def _check_expiry(uow: UnitOfWork, expires_at: datetime | None, resolution: str | None) -> None:
    """A credit grant's expiry is later than now, and only a credit resolution makes a grant."""
    field = "credit_grant_expires_at"
    if expires_at is None:
        return
    if resolution == "refund":
        raise InvalidRequest("A refund makes no credit grant; give credit_grant_expires_at "
                             "only with the credit resolution.", field=field)
    if expires_at <= uow.now:
        raise InvalidRequest("The credit grant would expire before it is made; give an "
                             "instant later than now.", field=field)


def apply_credit_note(ctx: Ctx, note_id: str, resolution: str, *,
                      expires_at: datetime | None = None) -> dict[str, Any]:
    """``refund``: back to the invoice's payments (latest first), asked of the processor by a
    ``refund_payment`` job once this commits (see ``refunds``); ``credit``: off what is still
    due on the invoice, the rest to the customer's credit balance (a grant expiring at
    ``expires_at``, else at the note's ``credit_grant_expires_at``, else never)."""
    with ctx.uow() as uow:
        note = load_note(uow, note_id)
        if note["status"] != "draft":
            raise InvalidTransition(f"Credit note {note_id} is {note['status']}; only a draft can be applied.")
        _check_expiry(uow, expires_at, resolution)
        if expires_at is not None:
            _save(uow, note, {"credit_grant_expires_at": expires_at})
        elif resolution == "refund" and note["credit_grant_expires_at"] is not None:
            _save(uow, note, {"credit_grant_expires_at": None})  # a refund makes no grant
        else:
            _check_expiry(uow, note["credit_grant_expires_at"], resolution)
        _apply(uow, note, resolution)
        view = render(CreditNote, note)
        uow.commit()
    if resolution == "refund":  # as refunded (a job run as the commit returned)
        return get_credit_note(ctx, note_id)
    return view


def _apply(uow: UnitOfWork, note: dict[str, Any], resolution: str) -> None:
    """Apply the draft ``note`` (updated in place) as a refund or as credit."""
    invoice = inv.load(uow, note["invoice_id"], for_update=True)
    if invoice.status not in CREDITABLE:  # voided since the note was drafted
        raise InvalidTransition(
            f"Invoice {invoice.id} is {invoice.status}; credit note {note['id']} can no "
            "longer be applied (void the note)."
        )
    amount: Decimal = note["amount"]
    if invoice.kind == "top_up":
        _check_top_up(uow, invoice, amount)
    number = numbering.reserve(uow, "credit_note")[0]
    if invoice.kind == "top_up":
        ledger.take_back_top_up(uow, invoice, amount, reason=f"Credit note {number}")
    if resolution == "refund":
        _refund(uow, note, invoice, number)
    else:
        _credit(uow, note, invoice, number)
    if uow.settings is None or uow.settings.render_pdfs_on_issue:  # its PDF, kept as issued
        uow.enqueue(inv.RENDER_JOB, {"kind": "credit_note", "id": note["id"]},
                    dedupe_key=f"{inv.RENDER_JOB}:credit_note:{note['id']}")


def load_note(uow: UnitOfWork, note_id: str) -> dict[str, Any]:
    return dict(get_row(uow.conn, credit_notes, uow.environment, note_id, what="Credit note",
                        for_update=True))


def _refund(uow: UnitOfWork, note: dict[str, Any], invoice: inv.Invoice, number: str) -> None:
    """Pending refunds of the note's amount, latest payment first, and the job asking for
    them; the note is pending_refund until that job records their outcome."""
    paid = succeeded_payments(uow, invoice.id)
    can_refund = refundable(paid)
    amount: Decimal = note["amount"]
    if amount > can_refund:
        raise InvalidRequest(
            f"Only {money(can_refund)} was paid on invoice {invoice.id} and not yet "
            f"refunded; refund at most that, or store the credit instead.",
            field="resolution",
        )
    left, refund_ids = amount, []
    for payment in paid:
        part = min(left, payment["amount"] - payment["amount_refunded"])
        if part <= 0:
            continue
        refund_ids.append(payments.request_refund(uow, payment, part, reason=note["reason"],
                                                  credit_note_id=note["id"]))
        left -= part
        if left <= 0:
            break
    # Not credited on the invoice yet: a pending refund counts once it succeeded
    # (``record_refunded``); the payment counts it at once, so nothing refunds it twice.
    _save(uow, note, {"status": "pending_refund", "resolution": "refund", "number": number,
                      "refund_id": refund_ids[0], "applied_at": uow.now})
    payments.refund_later(uow, note["id"])


def record_refunded(uow: UnitOfWork, note: dict[str, Any], status: str) -> None:
    """The outcome of a note's refunds (the ``refund_payment`` job): ``applied`` once every
    refund succeeded, and only then credited on its invoice; else still ``pending_refund``
    (counted nowhere as credited)."""
    if status == "applied" and note["status"] == "pending_refund":
        invoice = inv.load(uow, note["invoice_id"], for_update=True)
        inv.save(uow, invoice.credited(note["amount"], refund=True))
    _save(uow, note, {"status": status})
    uow.emit("credit_note.applied", render(CreditNote, note))


def _credit(uow: UnitOfWork, note: dict[str, Any], invoice: inv.Invoice, number: str) -> None:
    """Off what is still due (paid once nothing is), the rest to the credit balance."""
    amount: Decimal = note["amount"]
    off_invoice = min(amount, max(invoice.amount_due, ZERO))
    invoice = invoice.credited(amount, refund=False)
    if off_invoice > 0 and invoice.amount_due <= 0:
        inv.mark_paid(uow, invoice)
    else:
        inv.save(uow, invoice)
    grant_id = None
    if amount - off_invoice > 0:
        grant = credits.add_grant(
            uow, invoice.customer_id, amount - off_invoice, currency=note["currency"],
            reason=f"Credit note {number}", source="credit_note",
            expires_at=note["credit_grant_expires_at"])
        grant_id = grant["id"]
    _save(uow, note, {"status": "applied", "resolution": "credit", "number": number,
                      "credit_grant_id": grant_id, "applied_at": uow.now})
    uow.emit("credit_note.applied", render(CreditNote, note))


def void_credit_note(ctx: Ctx, note_id: str) -> dict[str, Any]:
    with ctx.uow() as uow:
        note = load_note(uow, note_id)
        if note["status"] != "draft":
            raise InvalidTransition(f"Credit note {note_id} is {note['status']}; only a draft can be voided.")
        _save(uow, note, {"status": "void", "voided_at": uow.now})
        uow.commit()
    return render(CreditNote, note)


def get_credit_note(ctx: Ctx, note_id: str) -> dict[str, Any]:
    return get_object(ctx, credit_notes, note_id, what="Credit note", view=renderer(CreditNote))


def list_credit_notes(ctx: Ctx, query: ListQuery) -> Page:
    return list_customer_records(ctx, credit_notes, query, view=renderer(CreditNote),
                                 columns=("invoice_id", "status"))
