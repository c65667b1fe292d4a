"""Invoices: the one-time invoice request and the invoice response."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from kassa.api.schemas.common import (
    CurrencyCode,
    DecimalValue,
    Metadata,
    NonNegativeMoney,
    Schema,
    problem,
)
from kassa.api.schemas.subscriptions import PaymentTerms
from kassa.resources.fields import DateString, DecimalString, ResponseSchema, Timestamp

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
    payment_terms: PaymentTerms | None = None
    auto_issue: bool = True
    auto_pay: bool = False
    memo: Annotated[str, Field(max_length=2000)] | None = None
    metadata: Metadata = {}


class ApplyCredits(Schema):
    amount: NonNegativeMoney | None = Field(None, description="Default: as much as is due")


class InvoiceLine(ResponseSchema):
    id: str
    kind: str
    description: str
    product_id: str | None
    bundle_id: str | None
    metric_id: str | None
    quantity: DecimalString | None
    unit_amount: DecimalString | None
    amount: DecimalString
    period_start: DateString | None
    period_end: DateString | None
    details: dict[str, Any]


class Invoice(ResponseSchema):
    id: str | None = Field(description="None on an upcoming invoice, which is not stored")
    number: str | None
    customer_id: str
    subscription_id: str | None
    kind: str
    status: str
    currency: str
    billing_period_start: DateString | None
    billing_period_end: DateString | None
    issue_date: DateString | None
    due_date: DateString | None
    payment_terms: str
    line_items: list[InvoiceLine]
    subtotal: DecimalString
    discount: DecimalString
    tax: DecimalString
    total: DecimalString
    credits_applied: DecimalString
    wallet_applied: DecimalString
    amount_paid: DecimalString
    amount_credited: DecimalString
    amount_due: DecimalString
    memo: str | None
    metadata: dict[str, Any]
    issued_at: Timestamp | None
    paid_at: Timestamp | None
    voided_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class UpcomingInvoice(Invoice):
    billing_date: Timestamp
