"""Credit notes: request and response schemas."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from kassa.api.schemas.common import Instant, NonNegativeMoney, Schema, problem

CreditReason = Literal[
    "duplicate", "fraudulent", "order_change", "product_unsatisfactory", "service_issue",
    "billing_error", "other",
]


Resolution = Literal["refund", "credit"]


class CreditNoteLineCreate(Schema):
    invoice_line_id: Annotated[str, Field(max_length=80)] | None = None
    description: Annotated[str, Field(max_length=500)] | None = None
    amount: NonNegativeMoney


class CreditNoteCreate(Schema):
    invoice_id: Annotated[str, Field(min_length=1, max_length=80)]
    lines: Annotated[list[CreditNoteLineCreate], Field(min_length=1, max_length=200)] | None = None
    amount: NonNegativeMoney | None = None
    reason: CreditReason = "other"
    memo: Annotated[str, Field(max_length=2000)] | None = None
    resolution: Resolution | None = Field(
        None, description="Apply the note at once, in the same request: refund to the "
        "original payment, or store as credit (as POST /credit-notes/{id}/apply does); "
        "omitted, the note stays a draft")
    credit_grant_expires_at: Instant | None = Field(
        None, description="When the credit left over for the customer's balance expires "
        "(a credit resolution's grant; later than now); omitted: never")

    @model_validator(mode="after")
    def _one(self) -> CreditNoteCreate:
        if (self.lines is None) == (self.amount is None):
            raise problem("amount", "give amount or lines, not both")
        return self


class CreditNoteApply(Schema):
    resolution: Resolution
    credit_grant_expires_at: Instant | None = Field(
        None, description="When the credit grant expires (credit only; replaces the note's)")
