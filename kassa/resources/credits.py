"""Credit grants and balances as the API and webhooks show them."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from kassa.resources.fields import DecimalString, ResponseSchema, Timestamp


class CreditGrant(ResponseSchema):
    id: str
    customer_id: str
    type: str
    currency: str | None
    metric_id: str | None
    amount: DecimalString
    remaining: DecimalString
    priority: int
    reason: str | None
    source: str
    status: str
    expires_at: Timestamp | None
    metadata: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp


class MonetaryBalance(ResponseSchema):
    currency: str
    amount: DecimalString


class UnitBalance(ResponseSchema):
    metric_id: str | None = Field(description="None for unit credit good for any metric")
    amount: DecimalString


class CreditBalance(ResponseSchema):
    customer_id: str
    monetary: list[MonetaryBalance]
    units: list[UnitBalance]
