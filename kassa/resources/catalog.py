"""Products and metrics as the API and webhooks show them."""

from __future__ import annotations

from typing import Any

from kassa.resources.fields import ResponseSchema, TimestampText


class Product(ResponseSchema):
    id: str
    name: str
    description: str | None
    fee_type: str
    payment_terms: str
    billing_frequency: str | None
    metric_ids: list[str]
    sku: str | None
    unit_label_singular: str | None
    unit_label_plural: str | None
    metadata: dict[str, Any]
    created_at: TimestampText
    updated_at: TimestampText
    archived_at: TimestampText | None


class Metric(ResponseSchema):
    id: str
    name: str
    description: str | None
    event_name: str
    aggregation: dict[str, Any]
    filter_groups: list[dict[str, Any]]
    metadata: dict[str, Any]
    created_at: TimestampText
    updated_at: TimestampText
    archived_at: TimestampText | None
