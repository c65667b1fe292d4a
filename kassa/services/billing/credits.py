"""Credit grants: promotional or compensating credit, monetary or in units of a metric.

Applied to invoices as they are issued (or on request), earliest expiry first, then lowest
priority value, then oldest. Grants are locked in a fixed order before they are read, so two
applications running at once can never spend more than the balance.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, insert, nulls_last, select, update

from kassa.domain.errors import InvalidRequest, InvalidTransition
from kassa.domain.money import ZERO, in_minor_units
from kassa.ids import new_id
from kassa.resources import render, renderer
from kassa.resources.credits import CreditGrant
from kassa.services.common import get_object
from kassa.services.context import Ctx
from kassa.services.customers import list_customer_records, live_customer, resolve_customer
from kassa.services.serialize import money
from kassa.store.queries import ListQuery, Page, among, get_row
from kassa.store.tables import credit_grants, credit_ledger, metrics
from kassa.store.uow import UnitOfWork

ORDER = (
    nulls_last(credit_grants.c.expires_at.asc()),
    credit_grants.c.priority.asc(),
    credit_grants.c.seq.asc(),
)


def _ledger(uow: UnitOfWork, grant: Mapping[str, Any], kind: str, amount: Decimal,
            invoice_id: str | None = None) -> None:
    uow.conn.execute(
        insert(credit_ledger),
        {
            "environment": uow.environment,
            "grant_id": grant["id"],
            "customer_id": grant["customer_id"],
            "invoice_id": invoice_id,
            "kind": kind,
            "amount": amount,
            "created_at": uow.now,
        },
    )


def add_grant(
    uow: UnitOfWork,
    customer_id: str,
    amount: Decimal,
    *,
    currency: str | None,
    reason: str | None,
    source: str = "manual",
    kind: str = "monetary",
    metric_id: str | None = None,
    priority: int = 100,
    expires_at: datetime | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Grant credit inside the caller's transaction; emits ``account.credits.granted``."""
    row = {
        "environment": uow.environment,
        "id": new_id("cg"),
        "customer_id": customer_id,
        "type": kind,
        "currency": currency if kind == "monetary" else None,
        "metric_id": metric_id if kind == "units" else None,
        "amount": amount,
        "remaining": amount,
        "priority": priority,
        "reason": reason,
        "source": source,
        "status": "active",
        "expires_at": expires_at,
        "metadata": dict(metadata or {}),
        "created_at": uow.now,
        "updated_at": uow.now,
    }
    uow.conn.execute(insert(credit_grants), row)
    _ledger(uow, row, "grant", amount)
    view = render(CreditGrant, row)
    uow.emit("account.credits.granted", {**view, "balance": balance(uow.conn, uow.environment, customer_id)})
    return row


def create_grant(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    with ctx.uow() as uow:
        customer = live_customer(uow.conn, uow.environment, data["customer_id"])
        kind = data.get("type", "monetary")
        if data.get("expires_at") is not None and data["expires_at"] <= uow.now:
            raise InvalidRequest("expires_at must be in the future.", field="expires_at")
        if kind == "monetary":
            currency = data.get("currency") or customer["currency"]
            amount = in_minor_units(data["amount"], currency, field="amount")
            metric_id = None
        else:
            currency = None
            amount = data["amount"]
            metric_id = data.get("metric_id")
            if metric_id:
                get_row(uow.conn, metrics, uow.environment, metric_id, what="Metric")
        row = add_grant(
            uow,
            customer["id"],
            amount,
            currency=currency,
            reason=data.get("reason"),
            kind=kind,
            metric_id=metric_id,
            priority=data.get("priority", 100),
            expires_at=data.get("expires_at"),
            metadata=data.get("metadata"),
        )
        uow.commit()
    return render(CreditGrant, row)


def void_grant(ctx: Ctx, grant_id: str) -> dict[str, Any]:
    with ctx.uow() as uow:
        grant = dict(get_row(uow.conn, credit_grants, uow.environment, grant_id,
                             what="Credit grant", for_update=True))
        if grant["status"] != "active":
            raise InvalidTransition(f"Credit grant {grant_id} is {grant['status']}; only an active grant can be voided.")
        close_grant(uow, grant, "voided")
        uow.commit()
    return render(CreditGrant, grant)


def close_grant(uow: UnitOfWork, grant: dict[str, Any], status: str) -> None:
    if grant["remaining"]:
        _ledger(uow, grant, {"voided": "void", "expired": "expire"}[status], -grant["remaining"])
    values = {"status": status, "remaining": grant["remaining"] * 0, "updated_at": uow.now}
    uow.conn.execute(
        update(credit_grants)
        .where(credit_grants.c.environment == uow.environment, credit_grants.c.id == grant["id"])
        .values(**values)
    )
    grant.update(values)


def balance(conn: Connection, environment: str, customer_id: str) -> dict[str, Any]:
    """Remaining active credit: money per currency, units per metric."""
    rows = conn.execute(
        select(credit_grants.c.type, credit_grants.c.currency, credit_grants.c.metric_id,
               credit_grants.c.remaining)
        .where(
            credit_grants.c.environment == environment,
            credit_grants.c.customer_id == customer_id,
            credit_grants.c.status == "active",
        )
    ).all()
    monetary: dict[str, Decimal] = {}
    units: dict[str, Decimal] = {}
    for row in rows:
        if row.type == "monetary":
            monetary[row.currency] = monetary.get(row.currency, ZERO) + row.remaining
        else:
            key = row.metric_id or "*"
            units[key] = units.get(key, ZERO) + row.remaining
    return {
        "monetary": [{"currency": c, "amount": money(a)} for c, a in sorted(monetary.items())],
        "units": [{"metric_id": None if m == "*" else m, "amount": money(a)}
                  for m, a in sorted(units.items())],
    }


def _active_grants(conn: Connection, environment: str, customer_id: str, now: datetime,
                   where: Any, *, lock: bool) -> list[dict[str, Any]]:
    """Active, unexpired grants in use order. With ``lock`` (PostgreSQL), every active grant
    matching ``where`` is locked first, in id order, so concurrent spenders queue."""
    base = and_(
        credit_grants.c.environment == environment,
        credit_grants.c.customer_id == customer_id,
        credit_grants.c.status == "active",
        where,
    )
    if lock and conn.dialect.name == "postgresql":
        conn.execute(select(credit_grants.c.id).where(base).order_by(credit_grants.c.id)
                     .with_for_update()).all()
    expiring = (credit_grants.c.expires_at.is_(None)) | (credit_grants.c.expires_at > now)
    rows = conn.execute(select(credit_grants).where(base, expiring).order_by(*ORDER)).mappings()
    return [dict(r) for r in rows]


def _locked_grants(uow: UnitOfWork, customer_id: str, where: Any) -> list[dict[str, Any]]:
    return _active_grants(uow.conn, uow.environment, customer_id, uow.now, where, lock=True)


def _draw(grants: list[dict[str, Any]], wanted: Decimal) -> list[tuple[dict[str, Any], Decimal]]:
    """Which grants cover up to ``wanted``, in their order, and how much of each; the grants'
    ``remaining`` is reduced in memory."""
    draws: list[tuple[dict[str, Any], Decimal]] = []
    taken = ZERO
    for grant in grants:
        if taken >= wanted:
            break
        use = min(grant["remaining"], wanted - taken)
        if use <= 0:
            continue
        grant["remaining"] -= use
        draws.append((grant, use))
        taken += use
    return draws


def _consume(uow: UnitOfWork, grants: list[dict[str, Any]], wanted: Decimal,
             invoice_id: str | None) -> Decimal:
    taken = ZERO
    for grant, use in _draw(grants, wanted):
        grant["status"] = "exhausted" if grant["remaining"] == 0 else "active"
        uow.conn.execute(
            update(credit_grants)
            .where(credit_grants.c.environment == uow.environment, credit_grants.c.id == grant["id"])
            .values(remaining=grant["remaining"], status=grant["status"], updated_at=uow.now)
        )
        _ledger(uow, grant, "apply", -use, invoice_id)
        taken += use
    return taken


def apply_money(uow: UnitOfWork, customer_id: str, currency: str, wanted: Decimal,
                invoice_id: str) -> Decimal:
    """Spend up to ``wanted`` of the customer's monetary credit on an invoice."""
    if wanted <= 0:
        return ZERO
    grants = _locked_grants(uow, customer_id, (credit_grants.c.type == "monetary")
                            & (credit_grants.c.currency == currency))
    before = sum((g["remaining"] for g in grants), ZERO)
    taken = _consume(uow, grants, wanted, invoice_id)
    if taken and before - taken == 0:
        depleted = {"customer_id": customer_id, "currency": currency, "invoice_id": invoice_id,
                    "balance": balance(uow.conn, uow.environment, customer_id)}
        uow.emit("account.credits.balance_depleted", depleted)
        uow.emit("credits.depleted", depleted)  # the automations' name for the same event
    return taken


def apply_units(uow: UnitOfWork, customer_id: str, metric_id: str, wanted: Decimal,
                invoice_id: str | None) -> Decimal:
    """Spend up to ``wanted`` units of credit for ``metric_id`` (grants of that metric, or of
    any metric)."""
    if wanted <= 0:
        return ZERO
    grants = _locked_grants(uow, customer_id, (credit_grants.c.type == "units")
                            & ((credit_grants.c.metric_id == metric_id)
                               | credit_grants.c.metric_id.is_(None)))
    return _consume(uow, grants, wanted, invoice_id)


def preview_units(conn: Connection, environment: str, customer_id: str, now: datetime,
                  wanted: list[tuple[str, Decimal]]) -> list[Decimal]:
    """What ``apply_units`` would spend for each (metric_id, units) in turn, spending nothing:
    the upcoming invoice shows usage net of unit credits as the billing run will bill it."""
    grants = _active_grants(conn, environment, customer_id, now, credit_grants.c.type == "units",
                            lock=False)
    return [
        sum((use for _, use in _draw(
            [g for g in grants if g["metric_id"] in (None, metric_id)], units)), ZERO)
        for metric_id, units in wanted
    ]


def customers_with_money(conn: Connection, environment: str, customer_ids: list[str]) -> set[str]:
    """Which of ``customer_ids`` hold active monetary credit (one query for a batch)."""
    return _holding(conn, environment, customer_ids, "monetary")


def has_unit_credit(conn: Connection, environment: str, customer_ids: list[str]) -> set[str]:
    """Which of ``customer_ids`` hold active unit credit (one query for a batch)."""
    return _holding(conn, environment, customer_ids, "units")


def _holding(conn: Connection, environment: str, customer_ids: list[str], kind: str) -> set[str]:
    if not customer_ids:
        return set()
    return set(conn.execute(
        select(credit_grants.c.customer_id).where(
            credit_grants.c.environment == environment,
            among(conn, credit_grants.c.customer_id, customer_ids),
            credit_grants.c.type == kind,
            credit_grants.c.status == "active",
        ).distinct()
    ).scalars())


def restore(uow: UnitOfWork, invoice_id: str) -> None:
    """Give back the credit an invoice consumed (the invoice is voided)."""
    for grant_id, total in _ledger_sums(uow, invoice_id):
        give_back = -total
        if give_back <= 0:
            continue
        grant = dict(get_row(uow.conn, credit_grants, uow.environment, grant_id,
                             what="Credit grant", for_update=True))
        if grant["status"] in ("voided", "expired"):
            continue
        remaining = grant["remaining"] + give_back
        uow.conn.execute(
            update(credit_grants)
            .where(credit_grants.c.environment == uow.environment, credit_grants.c.id == grant_id)
            .values(remaining=remaining, status="active", updated_at=uow.now)
        )
        _ledger(uow, grant, "restore", give_back, invoice_id)


def _ledger_sums(uow: UnitOfWork, invoice_id: str) -> list[tuple[str, Decimal]]:
    """Per-grant sums computed in Python: SQLite stores the amounts as exact text."""
    sums: dict[str, Decimal] = {}
    for grant_id, amount in uow.conn.execute(
        select(credit_ledger.c.grant_id, credit_ledger.c.amount).where(
            credit_ledger.c.environment == uow.environment,
            credit_ledger.c.invoice_id == invoice_id,
            credit_ledger.c.kind.in_(["apply", "restore"]),
        )
    ):
        sums[grant_id] = sums.get(grant_id, ZERO) + amount
    return list(sums.items())


def get_grant(ctx: Ctx, grant_id: str) -> dict[str, Any]:
    return get_object(ctx, credit_grants, grant_id, what="Credit grant", view=renderer(CreditGrant))


def list_grants(ctx: Ctx, query: ListQuery) -> Page:
    return list_customer_records(ctx, credit_grants, query, view=renderer(CreditGrant),
                                 columns=("status", "type"), sortable=("created_at", "expires_at"))


def customer_balance(ctx: Ctx, customer_ref: str) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        customer = resolve_customer(uow.conn, uow.environment, customer_ref)
        return {"customer_id": customer["id"], **balance(uow.conn, uow.environment, customer["id"])}
