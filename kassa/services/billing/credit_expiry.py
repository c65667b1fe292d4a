"""Credit expiry: due work that expires active grants past their ``expires_at``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from kassa.resources import render
from kassa.resources.credits import CreditGrant
from kassa.services.billing import credits
from kassa.services.context import Ctx
from kassa.services.serialize import money
from kassa.store.tables import credit_grants


def next_expiry(conn: Connection, environment: str) -> datetime | None:
    """When the next active grant expires."""
    return conn.execute(
        select(func.min(credit_grants.c.expires_at)).where(
            credit_grants.c.environment == environment, credit_grants.c.status == "active"
        )
    ).scalar_one()


def expire_due(ctx: Ctx) -> list[dict[str, Any]]:
    """Every active grant past ``expires_at`` expires, with ``account.credits.expired``."""
    ran = []
    with ctx.uow() as uow:
        stmt = select(credit_grants).where(
            credit_grants.c.environment == uow.environment,
            credit_grants.c.status == "active",
            credit_grants.c.expires_at <= uow.now,
        ).order_by(credit_grants.c.id)
        if uow.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        for row in uow.conn.execute(stmt).mappings().all():
            grant = dict(row)
            unused = grant["remaining"]
            credits.close_grant(uow, grant, "expired")
            uow.emit("account.credits.expired",
                     {**render(CreditGrant, grant), "expired_amount": money(unused)})
            ran.append({"type": "credit_grant.expired", "grant_id": grant["id"],
                        "unused": money(unused)})
        uow.commit()
    return ran
