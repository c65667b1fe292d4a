"""Invoices as stored: a row becomes an ``Invoice`` in one place (``invoices_of``) and an
``Invoice`` is written back in one place (``insert``, ``save_all``). The ``amount_due`` column
(lists and reports filter on it) is always written from ``Invoice.amount_due``, and the reports'
rollups of invoices (``kassa.store.invoice_rollups``) change in the same statements' transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from decimal import Decimal
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kassa.domain.billing.invoice import OPEN, Invoice, InvoiceLine
from kassa.domain.money import ZERO
from kassa.store import invoice_rollups
from kassa.store.queries import among, get_row
from kassa.store.tables import credit_notes, invoice_lines, invoices
from kassa.store.uow import UnitOfWork

_STORED = frozenset(c.name for c in invoices.columns) - {"seq", "environment", "amount_due"}
INVOICE_FIELDS = tuple(f.name for f in fields(Invoice) if f.name in _STORED)
LINE_FIELDS = tuple(f.name for f in fields(InvoiceLine))
# What changes once an invoice is stored (everything else is fixed by its draft), and the
# part of it issuing changes (a billing run writes thousands at once: fewer columns to bind).
STATE_FIELDS = ("number", "status", "issue_date", "due_date", "issued_at", "credits_applied",
                "wallet_applied", "amount_paid", "amount_credited", "amount_due", "paid_at",
                "voided_at", "overdue_at", "updated_at")
ISSUE_FIELDS = ("number", "status", "issue_date", "due_date", "issued_at", "credits_applied",
                "wallet_applied", "amount_due", "updated_at")
_invoice_values = attrgetter(*INVOICE_FIELDS)


# ------------------------------------------------------------------ reading


def from_row(row: Mapping[str, Any], lines: Sequence[Mapping[str, Any]],
             credited_as_refund: Decimal = ZERO) -> Invoice:
    """The ``Invoice`` of a stored row and its line rows."""
    values = {name: row[name] for name in INVOICE_FIELDS}
    values["metadata"] = dict(row["metadata"])
    return Invoice(**values, credited_as_refund=credited_as_refund,
                   lines=tuple(InvoiceLine(**{n: line[n] for n in LINE_FIELDS}) for line in lines))


def invoices_of(conn: Connection, environment: str,
                rows: Sequence[Mapping[str, Any]]) -> list[Invoice]:
    """The invoices of stored rows, with their lines (one query for them all)."""
    found = lines_of(conn, environment, [row["id"] for row in rows])
    refunded = _credited_as_refund(conn, environment, [
        row["id"] for row in rows if row["status"] in OPEN and row["amount_credited"] > 0])
    return [from_row(row, found[row["id"]], refunded.get(row["id"], ZERO)) for row in rows]


def load(uow: UnitOfWork, invoice_id: str, *, for_update: bool = False) -> Invoice:
    row = get_row(uow.conn, invoices, uow.environment, invoice_id, what="Invoice",
                  for_update=for_update)
    return invoices_of(uow.conn, uow.environment, [row])[0]


def load_many(uow: UnitOfWork, invoice_ids: Sequence[str], *,
              for_update: bool = False) -> dict[str, Invoice]:
    """The invoices of ``invoice_ids`` that exist, by id (locked in id order with
    ``for_update``: no deadlock between two batches)."""
    wanted = sorted(set(invoice_ids))
    if not wanted:
        return {}
    stmt = select(invoices).where(invoices.c.environment == uow.environment,
                                  among(uow.conn, invoices.c.id, wanted)).order_by(invoices.c.id)
    if for_update:
        stmt = stmt.with_for_update()
    rows = uow.conn.execute(stmt).mappings().all()
    return {i.id: i for i in invoices_of(uow.conn, uow.environment, rows)}


def lines_of(conn: Connection, environment: str,
             invoice_ids: Sequence[str]) -> dict[str, list[Mapping[str, Any]]]:
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


def _credited_as_refund(conn: Connection, environment: str,
                        invoice_ids: list[str]) -> dict[str, Decimal]:
    """What credit notes resolved as refunds gave back on each open invoice (it is not off
    what is due). Only an open invoice a credit note was applied to needs it."""
    found: dict[str, Decimal] = {}
    if not invoice_ids:
        return found
    rows = conn.execute(select(credit_notes.c.invoice_id, credit_notes.c.amount).where(
        credit_notes.c.environment == environment,
        among(conn, credit_notes.c.invoice_id, invoice_ids),
        credit_notes.c.resolution == "refund",
        credit_notes.c.status.in_(("applied", "pending_refund")),
    ))
    for invoice_id, amount in rows:
        found[invoice_id] = found.get(invoice_id, ZERO) + amount
    return found


# ------------------------------------------------------------------ writing


def row_of(environment: str, invoice: Invoice) -> dict[str, Any]:
    row = dict(zip(INVOICE_FIELDS, _invoice_values(invoice), strict=True))
    row.update(environment=environment, amount_due=invoice.amount_due)
    return row


def line_row(environment: str, line: InvoiceLine) -> dict[str, Any]:
    return {**vars(line), "environment": environment}  # a line's fields are its columns


def insert_new(uow: UnitOfWork, drafts: Sequence[Invoice]) -> list[Invoice]:
    """Insert draft invoices and their lines; one whose billing_key exists already is skipped
    (idempotence). Returns the invoices written."""
    rows = [row_of(uow.environment, draft) for draft in drafts]
    keyed = [row for row in rows if row["billing_key"]]
    plain = [row for row in rows if not row["billing_key"]]
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
    written = [draft for draft in drafts if draft.id in done]
    invoice_rollups.inserted(uow.conn, uow.environment,
                             [row for row in rows if row["id"] in done])
    line_rows = [line_row(uow.environment, line) for draft in written for line in draft.lines]
    if line_rows:
        uow.conn.execute(insert(invoice_lines), line_rows)
    return written


def save_all(uow: UnitOfWork, batch: Sequence[Invoice],
             changed: Sequence[str] = STATE_FIELDS) -> list[Invoice]:
    """Write what changed on stored invoices (their state, or only the ``changed`` part of it;
    ``amount_due`` from the property) in one statement, stamped with ``uow.now``; the invoices
    as written."""
    saved = [i if i.updated_at == uow.now else replace(i, updated_at=uow.now) for i in batch]
    if saved:
        keys, values = [f"_{name}" for name in changed], attrgetter(*changed)
        counted = [name for name in changed if name in invoice_rollups.FIELDS]
        if counted:  # what the rollups count may change: read it first
            last = {i.id: i for i in saved}  # an invoice twice in a batch: its last write wins
            stored = invoice_rollups.before_update(uow.conn, uow.environment, list(last))
        uow.conn.execute(
            update(invoices)
            .where(invoices.c.environment == uow.environment, invoices.c.id == bindparam("_id"))
            .values({name: bindparam(key) for name, key in zip(changed, keys, strict=True)}),
            [{"_id": i.id, **dict(zip(keys, values(i), strict=True))} for i in saved],
        )
        if counted:
            invoice_rollups.updated(uow.conn, uow.environment, stored, {
                i.id: {name: getattr(i, name) for name in counted} for i in last.values()})
    return saved


def save(uow: UnitOfWork, invoice: Invoice) -> Invoice:
    return save_all(uow, [invoice])[0]
