"""Payment methods, payments and refunds: request and response schemas."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from kassa.api.schemas.common import Flag, NonNegativeMoney, Schema, problem
from kassa.api.schemas.invoices import Invoice
from kassa.resources.fields import ResponseSchema
from kassa.resources.payments import Payment


class ManualPayment(Schema):
    amount: NonNegativeMoney
    method: Literal["wire", "ach", "sepa", "card", "wallet"] = "wire"
    reference: Annotated[str, Field(max_length=255)] | None = None


class RetryPayment(Schema):
    payment_method_id: Annotated[str, Field(max_length=80)] | None = None


class PaymentMethodCreate(Schema):
    type: Literal["card", "ach", "sepa", "wire", "wallet"]
    details: dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=255)]] = Field(
        {}, description="Display details only (brand, last4, bank...); never card numbers"
    )
    test_behavior: Literal["succeed", "decline", "decline_once"] | None = Field(
        None, description="Sandbox only: how the simulated processor answers"
    )
    default: Flag = False

    @model_validator(mode="after")
    def _no_secrets(self) -> PaymentMethodCreate:
        for key, value in self.details.items():
            digits = "".join(ch for ch in value if ch.isdigit())
            if len(digits) >= 12:
                raise problem(f"details.{key}", "looks like a full account or card number; "
                              "store only display details such as last4")
        return self


class InvoicePayment(ResponseSchema):
    payment: Payment | None = Field(description="None when credits and the wallet covered it all")
    invoice: Invoice
