"""Webhook endpoints, messages, attempts and events as the API shows them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from kassa.resources.fields import SHOWN_ONCE, From, ResponseSchema, TimestampText


# The endpoint as the API shows it: never its secret.
class WebhookEndpoint(ResponseSchema):
    id: str
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    created_at: TimestampText
    updated_at: TimestampText


class WebhookEndpointWithSecret(WebhookEndpoint):
    secret: str = Field(description=f"whsec_... : shown only in this response; a replay with the "
                        f"same Idempotency-Key answers {SHOWN_ONCE!r} instead")


class WebhookEndpointDeleted(WebhookEndpoint):
    deleted: bool


class WebhookAttempt(ResponseSchema):
    id: str
    attempt: int
    trigger: str
    attempted_at: TimestampText
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
    next_attempt_at: TimestampText | None
    last_attempt_at: TimestampText | None
    delivered_at: TimestampText | None
    payload: dict[str, Any]
    created_at: TimestampText
    updated_at: TimestampText


class WebhookMessageDetail(WebhookMessage):
    delivery_attempts: list[WebhookAttempt]


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


# An event as its webhook envelope, with its id; it never changes after it happened.
class WebhookEvent(ResponseSchema):
    id: str
    type: str
    timestamp: Annotated[TimestampText, From("occurred_at")]
    data: Any
    created_at: Annotated[TimestampText, From("occurred_at")]
    updated_at: Annotated[TimestampText, From("occurred_at")]
