"""Overdue invoices: due work that marks open invoices past their due date."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from kassa.domain.contracts import midnight, utc_date
from kassa.services.billing import invoice_store, invoices
from kassa.store.tables import invoices as invoice_table


def next_overdue(conn: Connection, environment: str) -> datetime | None:
    """The first instant an issued or failed invoice is past its due date."""
    first = conn.execute(
        select(func.min(invoice_table.c.due_date)).where(
            invoice_table.c.environment == environment,
            invoice_table.c.status.in_(("issued", "payment_failed")),
        )
    ).scalar_one()
    return None if first is None else midnight(first + timedelta(days=1))


def mark_overdue(ctx: Any) -> list[dict[str, Any]]:
    """Every open invoice past its due date becomes ``overdue``, with ``invoice.overdue``."""
    with ctx.uow() as uow:
        today = utc_date(uow.now)
        stmt = select(invoice_table).where(
            invoice_table.c.environment == uow.environment,
            invoice_table.c.status.in_(("issued", "payment_failed")),
            invoice_table.c.due_date < today,
        )
        if uow.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = uow.conn.execute(stmt).mappings().all()
        due = invoice_store.invoices_of(uow.conn, uow.environment, rows)
        overdue = invoice_store.save_all(uow, [invoice.overdue(uow.now) for invoice in due])
        uow.emit_many("invoice.overdue", [invoices.invoice_view(i) for i in overdue])
        ran = [{"type": "invoice.overdue", "invoice_id": i.id} for i in overdue]
        uow.commit()
    return ran
