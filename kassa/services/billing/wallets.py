"""Wallets: a customer's prepaid balance in one currency.

Funded by paid top-ups (``payment`` credit) and wallet grants (``credit_grant`` credit), spent on
invoices after promotional credits (``payment`` debit), reduced by hand (``manual_debit``) or by a
credit note on a top-up (``credit_note`` debit), and refilled when an invoice it paid is voided
(``refund`` credit).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update

from kassa.domain.billing.boundary import LineDraft
from kassa.domain.errors import Conflict, InvalidRequest, InvalidTransition
from kassa.domain.currencies import minor_units
from kassa.domain.money import ZERO, decimal_str, in_minor_units, round_money
from kassa.ids import new_id
from kassa.services.billing import invoices as inv
from kassa.services.common import get_object, merge_metadata
from kassa.services.context import Ctx
from kassa.services.customers import customer_filter, lock_customer, resolve_customer
from kassa.services.serialize import money, rfc3339
from kassa.store.queries import ListQuery, Page, among, fetch_page, get_row, in_filter
from kassa.store.tables import wallet_transactions, wallets
from kassa.store.uow import UnitOfWork


def wallet_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "customer_id": row["customer_id"],
        "name": row["name"],
        "currency": row["currency"],
        "current_balance": money(row["balance"]),
        "status": row["status"],
        "metadata": dict(row["metadata"]),
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
    }


def transaction_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "wallet_id": row["wallet_id"],
        "type": row["type"],
        "direction": row["direction"],
        "amount": money(row["amount"]),
        "balance_after": money(row["balance_after"]),
        "invoice_id": row["invoice_id"],
        "reason": row["reason"],
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["created_at"]),
    }


def _move(uow: UnitOfWork, wallet: dict[str, Any], kind: str, amount: Decimal, *,
          invoice_id: str | None = None, reason: str | None = None, prefix: str = "wtx") -> dict:
    """Credit (amount > 0) or debit (amount < 0) ``wallet`` and record the transaction."""
    balance = wallet["balance"] + amount
    if balance < 0:
        raise InvalidRequest(
            f"Wallet {wallet['id']} holds {money(wallet['balance'])}; it cannot go below zero.",
            field="amount",
        )
    uow.conn.execute(update(wallets).where(
        wallets.c.environment == uow.environment, wallets.c.id == wallet["id"]
    ).values(balance=balance, updated_at=uow.now))
    wallet.update(balance=balance, updated_at=uow.now)
    row = {
        "environment": uow.environment,
        "id": new_id(prefix),
        "wallet_id": wallet["id"],
        "type": kind,
        "direction": "credit" if amount > 0 else "debit",
        "amount": abs(amount),
        "balance_after": balance,
        "invoice_id": invoice_id,
        "grant_id": None,
        "reason": reason,
        "created_at": uow.now,
    }
    uow.conn.execute(insert(wallet_transactions), row)
    uow.emit("wallet.transaction.created", {**transaction_view(row), "customer_id": wallet["customer_id"]})
    return row


def _load(uow: UnitOfWork, wallet_id: str) -> dict[str, Any]:
    wallet = dict(get_row(uow.conn, wallets, uow.environment, wallet_id, what="Wallet",
                          for_update=True))
    if wallet["status"] != "active":
        raise InvalidTransition(f"Wallet {wallet_id} is {wallet['status']}.")
    return wallet


def create_wallet(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    with ctx.uow() as uow:
        customer = resolve_customer(uow.conn, uow.environment, data["customer_id"])
        # One active wallet per currency: lock the customer so that two creations in parallel
        # cannot both see none (SQLite writers are serialized already).
        lock_customer(uow.conn, uow.environment, customer["id"])
        currency = data.get("currency") or customer["currency"]
        taken = uow.conn.execute(select(wallets.c.id).where(
            wallets.c.environment == uow.environment, wallets.c.customer_id == customer["id"],
            wallets.c.currency == currency, wallets.c.status == "active",
        )).first()
        if taken:
            raise Conflict(f"Customer {customer['id']} already has an active {currency} wallet "
                           f"({taken.id}).", field="currency")
        row = {
            "environment": uow.environment,
            "id": new_id("wlt"),
            "customer_id": customer["id"],
            "name": data.get("name"),
            "currency": currency,
            "balance": round_money(ZERO, currency),
            "status": "active",
            "metadata": merge_metadata({}, data.get("metadata") or {}),
            "created_at": uow.now,
            "updated_at": uow.now,
        }
        uow.conn.execute(insert(wallets), row)
        uow.emit("wallet.created", wallet_view(row))
        uow.commit()
    return wallet_view(row)


def top_up(ctx: Ctx, wallet_id: str, amount: Decimal) -> dict[str, Any]:
    """Invoice a top-up; the wallet is credited when that invoice is paid."""
    with ctx.uow() as uow:
        wallet = _load(uow, wallet_id)
        amount = _exact(amount, wallet["currency"])
        draft = inv.prepare(
            uow,
            customer_id=wallet["customer_id"],
            currency=wallet["currency"],
            kind="top_up",
            lines=[LineDraft(kind="top_up", amount=amount,
                             description=f"Wallet top-up ({wallet['id']})")],
            payment_terms="due_on_receipt",
            auto_pay=True,
            wallet_id=wallet["id"],
        )
        invoice = inv.store(uow, [draft])[0]
        inv.issue_many(uow, ctx.processor, [invoice])
        view = {"invoice": inv.view_of(uow.conn, uow.environment, invoice),
                "wallet": wallet_view(_reload(uow, wallet_id))}
        uow.commit()
    return view


def _positive(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded to the currency's minor unit, which must leave something to move (0.004
    USD rounds to nothing: it made a 0.00 transaction)."""
    rounded = round_money(amount, currency)
    if rounded <= 0:
        smallest = decimal_str(Decimal(1).scaleb(-minor_units(currency)))
        raise InvalidRequest(f"The amount must be at least {smallest} {currency}.", field="amount")
    return rounded


def _exact(amount: Decimal, currency: str) -> Decimal:
    """``amount`` as ``_positive`` takes it, and no finer than the minor unit: money that leaves
    a card or the wallet is refused at 0.005 USD, as a payment is."""
    _positive(amount, currency)
    return in_minor_units(amount, currency, field="amount")


def _reload(uow: UnitOfWork, wallet_id: str) -> dict[str, Any]:
    return dict(get_row(uow.conn, wallets, uow.environment, wallet_id, what="Wallet"))


def credit_top_up(uow: UnitOfWork, invoice: Mapping[str, Any]) -> None:
    wallet = dict(get_row(uow.conn, wallets, uow.environment, invoice["wallet_id"], what="Wallet",
                          for_update=True))
    _move(uow, wallet, "payment", invoice["total"], invoice_id=invoice["id"],
          reason="Top-up paid")


def top_up_left(uow: UnitOfWork, invoice: Mapping[str, Any]) -> Decimal:
    """What the wallet a paid top-up credited still holds (all of it can have been spent)."""
    wallet = get_row(uow.conn, wallets, uow.environment, invoice["wallet_id"], what="Wallet",
                     for_update=True)
    return min(wallet["balance"], invoice["total"])


def take_back_top_up(uow: UnitOfWork, invoice: Mapping[str, Any], amount: Decimal,
                     reason: str) -> None:
    """Debit a top-up's wallet by what a credit note gives back on it (refused below zero)."""
    wallet = dict(get_row(uow.conn, wallets, uow.environment, invoice["wallet_id"],
                          what="Wallet", for_update=True))
    _move(uow, wallet, "credit_note", -amount, invoice_id=invoice["id"], reason=reason)


def grant(ctx: Ctx, wallet_id: str, amount: Decimal, reason: str | None) -> dict[str, Any]:
    with ctx.uow() as uow:
        wallet = _load(uow, wallet_id)
        row = _move(uow, wallet, "credit_grant", _positive(amount, wallet["currency"]),
                    reason=reason, prefix="wgr")
        uow.commit()
    return transaction_view(row)


def debit(ctx: Ctx, wallet_id: str, amount: Decimal, reason: str | None) -> dict[str, Any]:
    with ctx.uow() as uow:
        wallet = _load(uow, wallet_id)
        row = _move(uow, wallet, "manual_debit", -_exact(amount, wallet["currency"]),
                    reason=reason)
        uow.commit()
    return transaction_view(row)


def customers_with_balance(conn: Any, environment: str, customer_ids: list[str]) -> set[str]:
    """Which of ``customer_ids`` have an active wallet (one query for a batch)."""
    if not customer_ids:
        return set()
    return set(conn.execute(select(wallets.c.customer_id).where(
        wallets.c.environment == environment, among(conn, wallets.c.customer_id, customer_ids),
        wallets.c.status == "active",
    ).distinct()).scalars())


def apply(uow: UnitOfWork, customer_id: str, currency: str, wanted: Decimal,
          invoice_id: str) -> Decimal:
    """Pay up to ``wanted`` of an invoice from the customer's wallet in that currency."""
    if wanted <= 0:
        return ZERO
    stmt = select(wallets).where(
        wallets.c.environment == uow.environment, wallets.c.customer_id == customer_id,
        wallets.c.currency == currency, wallets.c.status == "active",
    ).order_by(wallets.c.id)
    if uow.dialect == "postgresql":
        stmt = stmt.with_for_update()
    taken = ZERO
    for row in uow.conn.execute(stmt).mappings().all():
        wallet = dict(row)
        use = min(wallet["balance"], wanted - taken)
        if use > 0:
            _move(uow, wallet, "payment", -use, invoice_id=invoice_id, reason="Invoice payment")
            taken += use
    return taken


def restore(uow: UnitOfWork, invoice: Mapping[str, Any]) -> None:
    """Give back to the wallet what it paid on a voided invoice."""
    rows = uow.conn.execute(select(wallet_transactions).where(
        wallet_transactions.c.environment == uow.environment,
        wallet_transactions.c.invoice_id == invoice["id"],
        wallet_transactions.c.type == "payment",
        wallet_transactions.c.direction == "debit",
    )).mappings().all()
    for row in rows:
        wallet = dict(get_row(uow.conn, wallets, uow.environment, row["wallet_id"], what="Wallet",
                              for_update=True))
        _move(uow, wallet, "refund", row["amount"], invoice_id=invoice["id"],
              reason=f"Invoice {invoice['id']} voided")


def get_wallet(ctx: Ctx, wallet_id: str) -> dict[str, Any]:
    return get_object(ctx, wallets, wallet_id, what="Wallet", view=wallet_view)


def list_wallets(ctx: Ctx, query: ListQuery) -> Page:
    with ctx.uow(read_only=True) as uow:
        page = fetch_page(
            uow.conn, wallets, uow.environment, query,
            sortable={"created_at": wallets.c.created_at},
            filters={"customer_id": customer_filter(uow.conn, uow.environment,
                                                    wallets.c.customer_id),
                     "currency": in_filter(wallets.c.currency, str.upper),
                     "status": in_filter(wallets.c.status)},
        )
    return page.map(wallet_view)


def list_transactions(ctx: Ctx, query: ListQuery, *, wallet_id: str | None = None,
                      kind: str | None = None) -> Page:
    with ctx.uow(read_only=True) as uow:
        where = []
        if wallet_id:
            get_row(uow.conn, wallets, uow.environment, wallet_id, what="Wallet")
            where.append(wallet_transactions.c.wallet_id == wallet_id)
        if kind:
            where.append(wallet_transactions.c.type == kind)
        page = fetch_page(
            uow.conn, wallet_transactions, uow.environment, query,
            sortable={"created_at": wallet_transactions.c.created_at},
            filters={"wallet_id": in_filter(wallet_transactions.c.wallet_id),
                     "type": in_filter(wallet_transactions.c.type)},
            where=where,
        )
    return page.map(transaction_view)
