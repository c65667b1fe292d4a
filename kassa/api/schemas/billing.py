"""Invoices, payments, credits, wallets and credit notes: request and response schemas."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from kassa.api.schemas.common import (
    Instant,
    CurrencyCode,
    DecimalValue,
    Metadata,
    NonNegativeMoney,
    ResponseSchema,
    Schema,
    problem,
)
from kassa.api.schemas.subscriptions import PaymentTerms

PositiveMoney = NonNegativeMoney
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


class ManualPayment(Schema):
    amount: PositiveMoney
    method: Literal["wire", "ach", "sepa", "card", "wallet"] = "wire"
    reference: Annotated[str, Field(max_length=255)] | None = None


class RetryPayment(Schema):
    payment_method_id: Annotated[str, Field(max_length=80)] | None = None


class ApplyCredits(Schema):
    amount: PositiveMoney | None = Field(None, description="Default: as much as is due")


class PaymentMethodCreate(Schema):
    type: Literal["card", "ach", "sepa", "wire", "wallet"]
    details: dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=255)]] = Field(
        {}, description="Display details only (brand, last4, bank...); never card numbers"
    )
    test_behavior: Literal["succeed", "decline", "decline_once"] | None = Field(
        None, description="Sandbox only: how the simulated processor answers"
    )
    default: bool = False

    @model_validator(mode="after")
    def _no_secrets(self) -> PaymentMethodCreate:
        for key, value in self.details.items():
            digits = "".join(ch for ch in value if ch.isdigit())
            if len(digits) >= 12:
                raise problem(f"details.{key}", "looks like a full account or card number; "
                              "store only display details such as last4")
        return self


class CreditGrantCreate(Schema):
    customer_id: Annotated[str, Field(min_length=1, max_length=255)]
    type: Literal["monetary", "units"] = "monetary"
    amount: DecimalValue
    currency: CurrencyCode | None = None
    metric_id: Annotated[str, Field(max_length=80)] | None = None
    expires_at: Instant | None = None
    priority: Annotated[int, Field(ge=0, le=1_000_000)] = 100
    reason: Annotated[str, Field(max_length=2000)] | None = None
    metadata: Metadata = {}

    @model_validator(mode="after")
    def _shape(self) -> CreditGrantCreate:
        if self.amount <= 0:
            raise problem("amount", "must be positive")
        if self.type == "monetary" and self.metric_id is not None:
            raise problem("metric_id", "only unit credits are tied to a metric")
        if self.type == "units" and self.currency is not None:
            raise problem("currency", "unit credits have no currency")
        return self


class WalletCreate(Schema):
    customer_id: Annotated[str, Field(min_length=1, max_length=255)]
    currency: CurrencyCode | None = None
    name: Annotated[str, Field(max_length=255)] | None = None
    metadata: Metadata = {}


class WalletAmount(Schema):
    amount: PositiveMoney
    reason: Annotated[str, Field(max_length=2000)] | None = None


class CreditNoteLine(Schema):
    invoice_line_id: Annotated[str, Field(max_length=80)] | None = None
    description: Annotated[str, Field(max_length=500)] | None = None
    amount: PositiveMoney


CreditReason = Literal[
    "duplicate", "fraudulent", "order_change", "product_unsatisfactory", "service_issue",
    "billing_error", "other",
]


class CreditNoteCreate(Schema):
    invoice_id: Annotated[str, Field(min_length=1, max_length=80)]
    lines: Annotated[list[CreditNoteLine], Field(min_length=1, max_length=200)] | None = None
    amount: PositiveMoney | None = None
    reason: CreditReason = "other"
    memo: Annotated[str, Field(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _one(self) -> CreditNoteCreate:
        if (self.lines is None) == (self.amount is None):
            raise problem("amount", "give amount or lines, not both")
        return self


class CreditNoteApply(Schema):
    resolution: Literal["refund", "credit"]


class Invoice(ResponseSchema):
    id: str | None
    number: str | None
    customer_id: str
    status: str
    currency: str
    line_items: list[dict[str, Any]]
    subtotal: str
    total: str
    amount_due: str
