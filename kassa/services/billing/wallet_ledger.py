"""The wallet ledger: every move of money in or out of a wallet, recorded as a transaction.

Funded by paid top-ups (``payment`` credit) and wallet grants (``credit_grant`` credit), spent on
invoices after promotional credits (``payment`` debit), reduced by hand (``manual_debit``) or by a
credit note on a top-up (``credit_note`` debit), and refilled when an invoice it paid is voided
(``refund`` credit). The wallet use cases are in ``wallets``; invoices use the ledger directly.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update

from kassa.domain.billing.invoice import Invoice
from kassa.domain.errors import InvalidRequest
from kassa.domain.money import ZERO
from kassa.ids import new_id
from kassa.resources import render
from kassa.resources.wallets import WalletTransaction
from kassa.services.serialize import money
from kassa.store.queries import among, get_row
from kassa.store.tables import wallet_transactions, wallets
from kassa.store.uow import UnitOfWork


def move(uow: UnitOfWork, wallet: dict[str, Any], kind: str, amount: Decimal, *,
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
    uow.emit("wallet.transaction.created",
             {**render(WalletTransaction, row), "customer_id": wallet["customer_id"]})
    return row


def credit_top_up(uow: UnitOfWork, invoice: Invoice) -> None:
    wallet = dict(get_row(uow.conn, wallets, uow.environment, invoice.wallet_id, what="Wallet",
                          for_update=True))
    move(uow, wallet, "payment", invoice.total, invoice_id=invoice.id, reason="Top-up paid")


def top_up_left(uow: UnitOfWork, invoice: Invoice) -> Decimal:
    """What the wallet a paid top-up credited still holds (all of it can have been spent)."""
    wallet = get_row(uow.conn, wallets, uow.environment, invoice.wallet_id, what="Wallet",
                     for_update=True)
    return min(wallet["balance"], invoice.total)


def take_back_top_up(uow: UnitOfWork, invoice: Invoice, amount: Decimal, reason: str) -> None:
    """Debit a top-up's wallet by what a credit note gives back on it (refused below zero)."""
    wallet = dict(get_row(uow.conn, wallets, uow.environment, invoice.wallet_id,
                          what="Wallet", for_update=True))
    move(uow, wallet, "credit_note", -amount, invoice_id=invoice.id, reason=reason)


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
            move(uow, wallet, "payment", -use, invoice_id=invoice_id, reason="Invoice payment")
            taken += use
    return taken


def restore(uow: UnitOfWork, invoice_id: str) -> None:
    """Give back to the wallet what it paid on a voided invoice."""
    rows = uow.conn.execute(select(wallet_transactions).where(
        wallet_transactions.c.environment == uow.environment,
        wallet_transactions.c.invoice_id == invoice_id,
        wallet_transactions.c.type == "payment",
        wallet_transactions.c.direction == "debit",
    )).mappings().all()
    for row in rows:
        wallet = dict(get_row(uow.conn, wallets, uow.environment, row["wallet_id"], what="Wallet",
                              for_update=True))
        move(uow, wallet, "refund", row["amount"], invoice_id=invoice_id,
              reason=f"Invoice {invoice_id} voided")
