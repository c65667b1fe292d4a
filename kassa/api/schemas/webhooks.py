"""Webhook endpoints, messages, attempts and events."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from kassa.api.schemas.common import Instant, LongText, ResponseSchema, Schema

Url = Annotated[str, Field(min_length=1, max_length=2048, examples=["https://example.com/hooks"])]
EventTypes = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=80)]],
    Field(max_length=100, description="Event types to receive; empty or absent: all of them"),
]


class WebhookEndpointCreate(Schema):
    url: Url
    description: LongText | None = None
    event_types: EventTypes = Field(default_factory=list)
    enabled: bool = True


class WebhookEndpointUpdate(Schema):
    url: Url = None  # type: ignore[assignment]  # absent: unchanged; null is refused
    description: LongText | None = None
    event_types: EventTypes | None = None
    enabled: bool = None  # type: ignore[assignment]


class WebhookEndpoint(ResponseSchema):
    id: str
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    created_at: str
    updated_at: str


class WebhookEndpointWithSecret(WebhookEndpoint):
    secret: str = Field(description="whsec_... : shown only in this response")


class WebhookEndpointDeleted(WebhookEndpoint):
    deleted: bool


class WebhookAttempt(ResponseSchema):
    id: str
    attempt: int
    trigger: str
    attempted_at: str
    succeeded: bool
    status_code: int | None
    duration_ms: int
    response: str | None
    error: str | None


class WebhookMessage(ResponseSchema):
    id: str
    endpoint_id: str
    event_id: str | None
    event_type: str
    status: str
    attempts: int
    next_attempt_at: str | None
    last_attempt_at: str | None
    delivered_at: str | None
    payload: dict[str, Any]
    created_at: str
    updated_at: str


class WebhookMessageDetail(WebhookMessage):
    delivery_attempts: list[WebhookAttempt]


class RecoverRequest(Schema):
    since: Instant


class RecoverResult(ResponseSchema):
    endpoint_id: str
    since: str
    recovered: int


class WebhookEventType(ResponseSchema):
    type: str
    data: str
    emitted: bool


class WebhookEventTypes(ResponseSchema):
    data: list[WebhookEventType]


class WebhookEvent(ResponseSchema):
    id: str
    type: str
    timestamp: str
    data: Any
    created_at: str
    updated_at: str
