"""Credit notes as the API and webhooks show them."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kassa.resources.fields import DecimalString, ResponseSchema, Stored, Timestamp


class CreditNoteLine(ResponseSchema):
    invoice_line_id: str | None
    description: str
    amount: DecimalString


class CreditNote(ResponseSchema):
    id: str
    number: str | None
    invoice_id: str
    customer_id: str
    currency: str
    status: str
    reason: str
    memo: str | None
    lines: Annotated[list[CreditNoteLine], Stored()]  # stored as they are shown
    amount: DecimalString
    resolution: str | None
    refund_id: str | None
    credit_grant_id: str | None
    credit_grant_expires_at: Timestamp | None = Field(
        None, description="When the credit grant of a credit resolution expires (null: never)")
    applied_at: Timestamp | None
    voided_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp
