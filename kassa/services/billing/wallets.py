"""Wallets: a customer's prepaid balance in one currency (its moves: ``wallet_ledger``)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from kassa.domain.billing.boundary import LineDraft
from kassa.domain.errors import Conflict, InvalidRequest, InvalidTransition
from kassa.domain.currencies import minor_units
from kassa.domain.money import ZERO, decimal_str, in_minor_units, round_money
from kassa.ids import new_id
from kassa.resources import render, renderer
from kassa.resources.wallets import Wallet, WalletTransaction
from kassa.services.billing import invoices as inv
from kassa.services.billing import wallet_ledger as ledger
from kassa.services.common import get_object, merge_metadata
from kassa.services.context import Ctx
from kassa.services.customers import list_customer_records, live_customer, lock_customer
from kassa.store.queries import ListQuery, Page, fetch_page, get_row, in_filter
from kassa.store.tables import wallet_transactions, wallets
from kassa.store.uow import UnitOfWork


def _load(uow: UnitOfWork, wallet_id: str) -> dict[str, Any]:
    wallet = dict(get_row(uow.conn, wallets, uow.environment, wallet_id, what="Wallet",
                          for_update=True))
    if wallet["status"] != "active":
        raise InvalidTransition(f"Wallet {wallet_id} is {wallet['status']}.")
    return wallet


def create_wallet(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    with ctx.uow() as uow:
        customer = live_customer(uow.conn, uow.environment, data["customer_id"])
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
        uow.emit("wallet.created", render(Wallet, row))
        uow.commit()
    return render(Wallet, row)


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
        inv.issue_many(uow, [invoice])
        uow.commit()
    # Read after the commit: collecting the top-up (a job run as the commit returned) credits
    # the wallet.
    with ctx.uow(read_only=True) as uow:
        return {"invoice": inv.invoice_view(inv.load(uow, invoice.id)),
                "wallet": render(Wallet, _reload(uow, wallet_id))}


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


def grant(ctx: Ctx, wallet_id: str, amount: Decimal, reason: str | None) -> dict[str, Any]:
    with ctx.uow() as uow:
        wallet = _load(uow, wallet_id)
        row = ledger.move(uow, wallet, "credit_grant", _positive(amount, wallet["currency"]),
                    reason=reason, prefix="wgr")
        uow.commit()
    return render(WalletTransaction, row)


def debit(ctx: Ctx, wallet_id: str, amount: Decimal, reason: str | None) -> dict[str, Any]:
    with ctx.uow() as uow:
        wallet = _load(uow, wallet_id)
        row = ledger.move(uow, wallet, "manual_debit", -_exact(amount, wallet["currency"]),
                    reason=reason)
        uow.commit()
    return render(WalletTransaction, row)


def get_wallet(ctx: Ctx, wallet_id: str) -> dict[str, Any]:
    return get_object(ctx, wallets, wallet_id, what="Wallet", view=renderer(Wallet))


def list_wallets(ctx: Ctx, query: ListQuery) -> Page:
    return list_customer_records(ctx, wallets, query, view=renderer(Wallet),
                                 columns=("currency", "status"))


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
    return page.map(renderer(WalletTransaction))
