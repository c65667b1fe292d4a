"""Stored usage events, ingestion results and the event debugger's explanation."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from kassa.resources.fields import ResponseSchema, TimestampText


class IngestResponse(ResponseSchema):
    ingested: list[str] = Field(description="unique_ids stored by this request")
    duplicates: list[str] = Field(
        description="unique_ids already stored (earlier request or earlier in this batch): "
        "not an error, not stored again"
    )
    updated: list[str] = Field(description="With upsert=true: events whose properties changed")
    failed: list[str] = Field(description="unique_ids (or events[i]) refused")
    errors: dict[str, str] = Field(description="Why each failed event was refused")


class StoredEvent(ResponseSchema):
    unique_id: str
    event_name: str
    account: str
    customer_id: str | None
    subscription_id: str | None = Field(
        None, description="The subscription the event names (null: billed to the one that owns "
        "its metric at its time)")
    timestamp: str
    properties: dict[str, Any]
    received_at: TimestampText
    updated_at: TimestampText


class FailedFilter(ResponseSchema):
    group: int
    filter: int
    field: str
    operator: str
    value: Any
    description: str
    actual: Any


class SubscriptionCheckView(ResponseSchema):
    status: str = Field(description="unavailable | in_use | not_in_use")
    detail: str
    subscription_ids: list[str]


class MetricVerdict(ResponseSchema):
    metric_id: str
    metric_name: str
    aggregation: dict[str, Any]
    counted: bool
    reason: str | None = Field(
        description="no_customer | filtered_out | no_value | no_subscription, or null"
    )
    detail: str
    failed_filters: list[FailedFilter]
    subscriptions: SubscriptionCheckView
    billed_to: str | None = Field(
        None, description="The one subscription whose usage the event is, or null")
    billed_to_because: str | None = Field(
        None, description="Why that subscription: the event names it, it is the only one "
        "billing the metric, or the earliest-started of several")


class EventExplanation(ResponseSchema):
    event: StoredEvent
    counted: bool
    reason: str | None = Field(description="no_customer | no_metric | filtered_out | ... | null")
    explanation: str
    metrics: list[MetricVerdict]
