"""Webhook endpoints, messages, attempts and events."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kassa.api.schemas.common import Flag, Instant, LongText, Schema

Url = Annotated[str, Field(min_length=1, max_length=2048, examples=["https://example.com/hooks"])]
EventTypes = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=80)]],
    Field(max_length=100, description="Event types to receive; empty or absent: all of them"),
]


class WebhookEndpointCreate(Schema):
    url: Url
    description: LongText | None = None
    event_types: EventTypes = Field(default_factory=list)
    enabled: Flag = True


class WebhookEndpointUpdate(Schema):
    url: Url = None  # type: ignore[assignment]  # absent: unchanged; null is refused
    description: LongText | None = None
    event_types: EventTypes | None = None
    enabled: Flag = None  # type: ignore[assignment]


class RecoverRequest(Schema):
    since: Instant
