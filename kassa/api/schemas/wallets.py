"""Wallets and their transactions: request and response schemas."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from kassa.api.schemas.common import (
    CurrencyCode,
    DecimalString,
    Metadata,
    NonNegativeMoney,
    ResponseSchema,
    Schema,
    Timestamp,
)
from kassa.api.schemas.invoices import Invoice


class WalletCreate(Schema):
    customer_id: Annotated[str, Field(min_length=1, max_length=255)]
    currency: CurrencyCode | None = None
    name: Annotated[str, Field(max_length=255)] | None = None
    metadata: Metadata = {}


class WalletAmount(Schema):
    amount: NonNegativeMoney
    reason: Annotated[str, Field(max_length=2000)] | None = None


class Wallet(ResponseSchema):
    id: str
    customer_id: str
    name: str | None
    currency: str
    current_balance: DecimalString
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
    updated_at: Timestamp


class WalletTopUp(ResponseSchema):
    invoice: Invoice = Field(description="The top-up invoice; paying it credits the wallet")
    wallet: Wallet
