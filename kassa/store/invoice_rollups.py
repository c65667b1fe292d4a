"""The invoice rollups (``revenue_days``, ``receivable_days``) kept in step with the invoice
rows: ``inserted`` and ``updated`` are called by ``kassa.services.billing.invoice_store``, the
one writer of invoices, in the transaction that writes them; ``rebuild`` makes them afresh from
the invoices (migration 0015, a benchmark's bulk-copied rows).

An invoice counts in revenue on its issue day while its status is one of ``REVENUE_STATUSES``
and it is not a top-up; in the receivables of its currency, issue day and due day while it is
open (``OPEN_STATUSES``), with its ``amount_due``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from kassa.store.decimal_sums import DecimalSum
from kassa.store.queries import among
from kassa.store.rollups import Deltas, add, insert_all
from kassa.store.tables import invoices, receivable_days, revenue_days

REVENUE_STATUSES = ("issued", "payment_failed", "overdue", "paid")
OPEN_STATUSES = ("issued", "payment_failed", "overdue")
NO_DUE_DATE = date(9999, 12, 31)  # receivable_days.due_date of an invoice without one
# The columns the rollups read: a change to any of them may move an invoice between rows.
FIELDS = ("status", "kind", "currency", "issue_date", "due_date", "total", "amount_due")

Row = Mapping[str, Any]


def _count(environment: str, row: Row, sign: int, revenue: Deltas, owed: Deltas) -> None:
    day = row["issue_date"]
    if day is None:
        return
    if row["status"] in REVENUE_STATUSES and row["kind"] != "top_up":
        revenue.add((environment, day, row["currency"]), sign * Decimal(row["total"]), sign)
    if row["status"] in OPEN_STATUSES:
        owed.add((environment, row["currency"], day, row["due_date"] or NO_DUE_DATE),
                 sign * Decimal(row["amount_due"]), sign)


def _apply(conn: Connection, environment: str, removed: Iterable[Row],
           added: Iterable[Row]) -> None:
    revenue, owed = Deltas(), Deltas()
    for row in removed:
        _count(environment, row, -1, revenue, owed)
    for row in added:
        _count(environment, row, 1, revenue, owed)
    add(conn, revenue_days, revenue)
    add(conn, receivable_days, owed)


def inserted(conn: Connection, environment: str, rows: Iterable[Row]) -> None:
    """Invoice rows just inserted."""
    _apply(conn, environment, (), rows)


def before_update(conn: Connection, environment: str, ids: Sequence[str]) -> dict[str, Row]:
    """The rollup columns of the invoices ``ids`` as stored, locked until the transaction ends
    (on PostgreSQL: a concurrent writer of the same invoice waits, then reads what this one
    wrote), read before ``updated`` changes them."""
    query = (select(invoices.c.id, *(invoices.c[name] for name in FIELDS))
             .where(invoices.c.environment == environment, among(conn, invoices.c.id, list(ids)))
             .order_by(invoices.c.id))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return {row["id"]: row for row in conn.execute(query).mappings()}


def updated(conn: Connection, environment: str, stored: Mapping[str, Row],
            changes: Mapping[str, Mapping[str, Any]]) -> None:
    """Invoices updated: ``stored`` as ``before_update`` read them, ``changes`` the values
    written over them, by invoice id."""
    old = [stored[i] for i in changes if i in stored]
    _apply(conn, environment, old, [{**stored[i], **changes[i]} for i in changes if i in stored])


def rebuild(conn: Connection) -> None:
    """Both rollups made afresh from every invoice (grouped SQL, exact sums)."""
    conn.execute(revenue_days.delete())
    conn.execute(receivable_days.delete())
    i = invoices.c
    total = DecimalSum(conn.dialect.name, i.total)
    revenue = Deltas()
    for row in conn.execute(
        select(i.environment, i.issue_date, i.currency, func.count().label("n"), *total.columns)
        .where(i.issue_date.is_not(None), i.status.in_(REVENUE_STATUSES), i.kind != "top_up")
        .group_by(i.environment, i.issue_date, i.currency)
    ).mappings():
        revenue.add((row["environment"], row["issue_date"], row["currency"]), total.of(row),
                    row["n"])
    due = DecimalSum(conn.dialect.name, i.amount_due)
    owed = Deltas()
    for row in conn.execute(
        select(i.environment, i.currency, i.issue_date, i.due_date, func.count().label("n"),
               *due.columns)
        .where(i.issue_date.is_not(None), i.status.in_(OPEN_STATUSES))
        .group_by(i.environment, i.currency, i.issue_date, i.due_date)
    ).mappings():
        owed.add((row["environment"], row["currency"], row["issue_date"],
                  row["due_date"] or NO_DUE_DATE), due.of(row), row["n"])
    insert_all(conn, revenue_days, revenue)
    insert_all(conn, receivable_days, owed)
