"""Customers as the API and webhooks show them."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from kassa.resources.fields import DecimalString, ResponseSchema, Timestamp


class Address(ResponseSchema):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Customer(ResponseSchema):
    id: str
    name: str
    email: str | None
    billing_email: str | None = Field(
        None, description="Where invoices and billing emails go (null: email)")
    billing_address: Address | None = None
    tax_id: str | None = None
    currency: str
    segment: str | None
    tags: list[str]
    aliases: list[str]
    metadata: dict[str, Any]
    tax_rate: DecimalString | None
    tax_exempt: bool
    created_at: Timestamp
    updated_at: Timestamp
    archived_at: Timestamp | None
