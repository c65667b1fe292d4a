"""Usage events: request and response shapes, for the OpenAPI document.

``POST /events`` does not validate through these models: at thousands of events per request
the service checks the parsed JSON directly (``kassa.domain.usage_events``) so that one bad event
fails alone. The models describe exactly what it accepts and returns.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from kassa.api.schemas.common import ResponseSchema
from kassa.domain.usage_events import (
    MAX_EVENTS_PER_REQUEST,
    MAX_NAME_LENGTH,
    MAX_PROPERTIES,
)


class EventIn(BaseModel):
    account: str = Field(
        max_length=MAX_NAME_LENGTH, description="Customer id or alias", examples=["acme-crm-17"]
    )
    event_name: str = Field(max_length=MAX_NAME_LENGTH, examples=["api_call"])
    unique_id: str = Field(
        max_length=MAX_NAME_LENGTH,
        description="Idempotency key of the event: a repeat is stored once, forever",
    )
    timestamp: str | None = Field(
        None,
        description="RFC 3339; defaults to now. At most 5 minutes ahead of the environment's "
        "clock; any past instant is accepted (backfills).",
        examples=["2026-07-01T12:00:00Z"],
    )
    properties: dict[str, str | int | float | bool] = Field(
        {},
        max_length=MAX_PROPERTIES,
        description="At most 50 flat properties; numbers are kept exactly as sent",
    )


class EventBatch(BaseModel):
    events: list[EventIn] = Field(min_length=1, max_length=MAX_EVENTS_PER_REQUEST)


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
    timestamp: str
    properties: dict[str, Any]
    received_at: str
    updated_at: str


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


class EventExplanation(ResponseSchema):
    event: StoredEvent
    counted: bool
    reason: str | None = Field(description="no_customer | no_metric | filtered_out | ... | null")
    explanation: str
    metrics: list[MetricVerdict]


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its local ``$defs`` references expanded (for ``openapi_extra``)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)  # type: ignore[no-any-return]


EVENT_BATCH_SCHEMA = _inlined(EventBatch.model_json_schema())
