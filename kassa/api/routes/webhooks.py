"""Webhook endpoints, their messages, and the events to fetch what was missed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kassa.api.deps import EnvCtx, Listing, page_body, shown_once
from kassa.api.schemas.common import ListResponse
from kassa.api.schemas.webhooks import RecoverRequest, WebhookEndpointCreate, WebhookEndpointUpdate
from kassa.resources.webhooks import (
    RecoverResult,
    WebhookEndpoint,
    WebhookEndpointDeleted,
    WebhookEndpointWithSecret,
    WebhookEvent,
    WebhookEventTypes,
    WebhookMessage,
    WebhookMessageDetail,
)
from kassa.services import webhook_endpoints as endpoints
from kassa.services import webhook_events as events
from kassa.services import webhook_messages as messages

router = APIRouter(prefix="/webhook-endpoints", tags=["webhooks"])
messages_router = APIRouter(prefix="/webhook-messages", tags=["webhooks"])
events_router = APIRouter(prefix="/webhook-events", tags=["webhooks"])
event_types_router = APIRouter(prefix="/webhook-event-types", tags=["webhooks"])


@router.post("", status_code=201, response_model=WebhookEndpointWithSecret,
             dependencies=[shown_once("secret")])
def create_endpoint(body: WebhookEndpointCreate, ctx: EnvCtx) -> dict[str, Any]:
    """Create an endpoint. The response carries its ``whsec_`` secret: the only time it is shown
    (a replay with the same ``Idempotency-Key`` answers the note in its place)."""
    return endpoints.create_endpoint(ctx, body.model_dump())


@router.get("", response_model=ListResponse[WebhookEndpoint])
def list_endpoints(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: id, enabled."""
    return page_body(endpoints.list_endpoints(ctx, query))


@router.get("/{endpoint_id}", response_model=WebhookEndpoint)
def get_endpoint(endpoint_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return endpoints.get_endpoint(ctx, endpoint_id)


@router.patch("/{endpoint_id}", response_model=WebhookEndpoint)
def update_endpoint(endpoint_id: str, body: WebhookEndpointUpdate, ctx: EnvCtx) -> dict[str, Any]:
    """Change url, description, event_types or enabled. Disabling fails pending messages."""
    return endpoints.update_endpoint(ctx, endpoint_id, body.model_dump(exclude_unset=True))


@router.delete("/{endpoint_id}", response_model=WebhookEndpointDeleted)
def delete_endpoint(endpoint_id: str, ctx: EnvCtx) -> dict[str, Any]:
    """Delete the endpoint, its messages and their attempts."""
    return endpoints.delete_endpoint(ctx, endpoint_id)


@router.post("/{endpoint_id}/rotate-secret", response_model=WebhookEndpointWithSecret,
             dependencies=[shown_once("secret")])
def rotate_secret(endpoint_id: str, ctx: EnvCtx) -> dict[str, Any]:
    """A new secret, shown once (a replay with the same ``Idempotency-Key`` answers the note in
    its place); the previous one keeps signing (alongside) for 24 hours."""
    return endpoints.rotate_secret(ctx, endpoint_id)


@router.post("/{endpoint_id}/test", status_code=202, response_model=WebhookMessage)
def send_test(endpoint_id: str, ctx: EnvCtx) -> dict[str, Any]:
    """Queue a ``webhook.test`` message to this endpoint (retried on the usual schedule); follow
    it at /webhook-messages/{id}."""
    return endpoints.send_test(ctx, endpoint_id)


@router.get("/{endpoint_id}/messages", response_model=ListResponse[WebhookMessage])
def list_messages(endpoint_id: str, ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: status (pending, succeeded, failed), event_type, event_id, id."""
    return page_body(messages.list_messages(ctx, endpoint_id, query))


@router.post("/{endpoint_id}/recover", status_code=202, response_model=RecoverResult)
def recover(endpoint_id: str, body: RecoverRequest, ctx: EnvCtx) -> dict[str, Any]:
    """Attempt again every failed message created since ``since``."""
    return messages.recover_messages(ctx, endpoint_id, body.since)


@messages_router.get("/{message_id}", response_model=WebhookMessageDetail)
def get_message(message_id: str, ctx: EnvCtx) -> dict[str, Any]:
    """A message with all its delivery attempts."""
    return messages.get_message(ctx, message_id)


@messages_router.post("/{message_id}/retry", status_code=202, response_model=WebhookMessage)
def retry_message(message_id: str, ctx: EnvCtx) -> dict[str, Any]:
    """Attempt a failed message again now (or resend a delivered one)."""
    return messages.retry_message(ctx, message_id)


@events_router.get("", response_model=ListResponse[WebhookEvent])
def list_events(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Events as webhooks carry them. Filters: type (any of), since (RFC 3339), id."""
    return page_body(events.list_events(ctx, query))


@event_types_router.get("", response_model=WebhookEventTypes)
def list_event_types(ctx: EnvCtx) -> dict[str, Any]:
    """Every event type an endpoint can subscribe to, with what its ``data`` carries."""
    return {"data": events.event_types()}
