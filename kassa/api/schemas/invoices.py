"""Invoices: the one-time invoice request (the response models are in ``kassa.resources``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from kassa.api.schemas.common import (
    CurrencyCode,
    DecimalValue,
    Flag,
    Metadata,
    NonNegativeMoney,
    Schema,
    problem,
)
from kassa.api.schemas.subscriptions import PaymentTerms
from kassa.resources.invoices import Invoice, InvoiceLine, UpcomingInvoice

Text = Annotated[str, Field(min_length=1, max_length=500)]


class OneTimeLine(Schema):
    description: Text
    product_id: Annotated[str, Field(max_length=80)] | None = None
    quantity: DecimalValue | None = None
    unit_amount: NonNegativeMoney | None = None
    amount: NonNegativeMoney | None = None

    @model_validator(mode="after")
    def _amounts(self) -> OneTimeLine:
        if self.amount is None and self.unit_amount is None:
            raise problem("amount", "give amount, or unit_amount with quantity")
        if self.amount is not None and self.unit_amount is not None:
            raise problem("unit_amount", "give amount or unit_amount, not both")
        if self.quantity is not None and self.quantity <= 0:
            raise problem("quantity", "must be positive")
        return self


class OneTimeInvoice(Schema):
    customer_id: Annotated[str, Field(min_length=1, max_length=255)]
    currency: CurrencyCode | None = None
    lines: Annotated[list[OneTimeLine], Field(min_length=1, max_length=200)]
    payment_terms: PaymentTerms | None = Field(None, description="Default: Settings → Invoicing")
    auto_issue: Flag | None = Field(None, description="Default: Settings → Invoicing")
    auto_pay: Flag | None = Field(None, description="Default: Settings → Invoicing")
    memo: Annotated[str, Field(max_length=2000)] | None = None
    metadata: Metadata = {}


class ApplyCredits(Schema):
    amount: NonNegativeMoney | None = Field(None, description="Default: as much as is due")


__all__ = ["ApplyCredits", "Invoice", "InvoiceLine", "OneTimeInvoice", "OneTimeLine",
           "UpcomingInvoice"]
