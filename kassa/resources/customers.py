"""Customers as the API and webhooks show them."""

from __future__ import annotations

from typing import Any

from kassa.resources.fields import DecimalString, ResponseSchema, Timestamp


class Customer(ResponseSchema):
    id: str
    name: str
    email: str | None
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
