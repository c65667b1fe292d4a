"""Wallets and their transactions: request and response schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kassa.api.schemas.common import CurrencyCode, Metadata, NonNegativeMoney, Schema
from kassa.api.schemas.invoices import Invoice
from kassa.resources.fields import ResponseSchema
from kassa.resources.wallets import Wallet


class WalletCreate(Schema):
    customer_id: Annotated[str, Field(min_length=1, max_length=255)]
    currency: CurrencyCode | None = None
    name: Annotated[str, Field(max_length=255)] | None = None
    metadata: Metadata = {}


class WalletAmount(Schema):
    amount: NonNegativeMoney
    reason: Annotated[str, Field(max_length=2000)] | None = None


class WalletTopUp(ResponseSchema):
    invoice: Invoice = Field(description="The top-up invoice; paying it credits the wallet")
    wallet: Wallet
