"""Customers: request and response schemas."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from kassa.api.schemas.common import (
    CurrencyCode,
    Flag,
    Metadata,
    MetadataPatch,
    Name,
    Percentage,
    Schema,
    client_id,
    unique,
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str | None) -> str | None:
    if value is not None and not _EMAIL.match(value):
        raise ValueError("must be an email address such as billing@example.com")
    return value


Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]
Tag = Annotated[str, Field(min_length=1, max_length=100)]
AddressLine = Annotated[str, Field(min_length=1, max_length=200)]
TaxId = Annotated[str, Field(min_length=1, max_length=50)]


def _country(value: object) -> object:
    if isinstance(value, str) and not re.fullmatch("[A-Z]{2}", value):
        raise ValueError("must be a two-letter country code such as DE or US")
    return value


class Address(Schema):
    """A postal address; every part optional (null or left out: none)."""

    line1: AddressLine | None = None
    line2: AddressLine | None = None
    city: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    state: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    postal_code: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    country: Annotated[str, Field(pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. DE"),
                       BeforeValidator(_country)] | None = None
Alias = Annotated[str, Field(min_length=1, max_length=255)]


class CustomerCreate(Schema):
    id: Annotated[str | None, client_id("plain")] = Field(
        None, description="Optional id to keep when importing; generated when omitted"
    )
    name: Name
    email: Email | None = None
    billing_email: Email | None = Field(None, description="Where invoices go (null: email)")
    billing_address: Address | None = None
    tax_id: TaxId | None = Field(None, description="VAT number or other tax id")
    currency: CurrencyCode | None = Field(None, description="Defaults to the environment's")
    segment: Annotated[str, Field(max_length=100)] | None = None
    tags: Annotated[list[Tag], Field(max_length=50), AfterValidator(unique)] = []
    aliases: Annotated[list[Alias], Field(max_length=20), AfterValidator(unique)] = []
    metadata: Metadata = {}
    tax_rate: Percentage | None = Field(None, description="Tax percentage, e.g. \"20.00\"")
    tax_exempt: Flag = False


class CustomerUpdate(Schema):
    name: Name | None = None
    email: Email | None = None
    billing_email: Email | None = None
    billing_address: Address | None = Field(None, description="Replaces the address (null: none)")
    tax_id: TaxId | None = None
    currency: CurrencyCode | None = None
    segment: Annotated[str, Field(max_length=100)] | None = None
    tags: Annotated[list[Tag], Field(max_length=50), AfterValidator(unique)] | None = None
    aliases: Annotated[list[Alias], Field(max_length=20), AfterValidator(unique)] | None = None
    metadata: MetadataPatch | None = Field(
        None, description="Merged into the stored metadata; a null value removes the key"
    )
    tax_rate: Percentage | None = None
    tax_exempt: Flag | None = None

    not_nullable = ("name", "currency", "tax_exempt")
