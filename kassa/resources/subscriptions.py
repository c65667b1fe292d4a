"""Subscriptions and their versions as the API and webhooks show them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from kassa.resources.fields import DateString, From, ResponseSchema, Timestamp


class DateRange(ResponseSchema):
    start: DateString | None
    end: DateString | None


class PendingChange(ResponseSchema):
    version_id: Annotated[str, From("id")]  # rendered from the published Version
    effective_at: Timestamp | None
    description: str | None


class Subscription(ResponseSchema):
    id: str
    customer_id: str
    plan_id: str | None
    name: str | None
    currency: str = Field(description="What it bills in: its customer's currency")
    price_currency: Annotated[str, From("prices_in")] = Field(
        description="What its items' prices are in (its plan's currency); when it differs "
        "from currency, each price bills from its currency_options in currency, else converted "
        "at the exchange rate of each invoice date")
    status: str
    current_version_id: str | None
    pending_changes: list[PendingChange]
    contract: dict[str, Any]
    renewal: dict[str, Any]
    billing: dict[str, Any]
    current_term: DateRange | None
    current_period: DateRange | None
    discount: dict[str, Any] | None
    minimum_spend: dict[str, Any] | None
    maximum_spend: dict[str, Any] | None
    price_escalation: dict[str, Any] | None
    cancellation: dict[str, Any] | None
    pause: dict[str, Any] | None
    metadata: dict[str, Any]
    activated_at: Timestamp | None
    canceled_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class Version(ResponseSchema):
    id: str
    subscription_id: str
    number: int
    status: str
    effective: str | None
    effective_at: Timestamp | None
    description: str | None
    plan_id: str | None
    proration: str | None
    source_version_id: str | None
    items: list[dict[str, Any]]
    published_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class VersionList(ResponseSchema):
    data: list[Version]


class VersionDeleted(Version):
    deleted: bool
