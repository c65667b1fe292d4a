"""Wallets and their transactions as the API and webhooks show them."""

from __future__ import annotations

from typing import Annotated, Any

from kassa.resources.fields import DecimalString, From, ResponseSchema, Timestamp


class Wallet(ResponseSchema):
    id: str
    customer_id: str
    name: str | None
    currency: str
    current_balance: Annotated[DecimalString, From("balance")]
    status: str
    metadata: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp


class WalletTransaction(ResponseSchema):
    id: str
    wallet_id: str
    type: str
    direction: str
    amount: DecimalString
    balance_after: DecimalString
    invoice_id: str | None
    reason: str | None
    created_at: Timestamp
    updated_at: Annotated[Timestamp, From("created_at")]  # a transaction never changes
