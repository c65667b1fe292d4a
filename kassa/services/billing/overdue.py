"""Overdue invoices: due work that marks open invoices past their due date."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from kassa.domain.contracts import midnight, utc_date
from kassa.services.billing import invoices
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
    ran = []
    with ctx.uow() as uow:
        today = utc_date(uow.now)
        stmt = select(invoice_table).where(
            invoice_table.c.environment == uow.environment,
            invoice_table.c.status.in_(("issued", "payment_failed")),
            invoice_table.c.due_date < today,
        )
        if uow.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        for row in uow.conn.execute(stmt).mappings().all():
            invoice = dict(row)
            invoices.save(uow, invoice, {"status": "overdue", "overdue_at": uow.now})
            uow.emit("invoice.overdue", invoices.view_of(uow.conn, uow.environment, invoice))
            ran.append({"type": "invoice.overdue", "invoice_id": invoice["id"]})
        uow.commit()
    return ran
