"""Webhook messages: created by the outbox fan-out (or a test), listed, retried and recovered.

A message is one event for one endpoint. Its id (``msg_...``) is the ``webhook-id`` of every
attempt, and its ``body`` the exact JSON sent and signed each time. Attempts run as
``webhook.deliver`` jobs (see ``kassa.services.webhook_delivery``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping

from kassa.domain.errors import Conflict
from kassa.domain.webhooks import EVENT_TYPES, TEST_EVENT_TYPE
from kassa.ids import new_id
from kassa.resources import render
from kassa.resources.webhooks import WebhookAttempt, WebhookMessage, WebhookMessageDetail
from kassa.services.context import Ctx
from kassa.services.serialize import rfc3339
from kassa.store.queries import ListQuery, Page, fetch_page, get_row, in_filter
from kassa.store.tables import webhook_attempts, webhook_endpoints, webhook_messages
from kassa.store.types import json_dumps
from kassa.store.uow import UnitOfWork

DELIVER_JOB = "webhook.deliver"
STATUSES = ("pending", "succeeded", "failed")

SORTABLE = {
    "created_at": webhook_messages.c.created_at,
    "updated_at": webhook_messages.c.updated_at,
}


def _status(value: str) -> str:
    if value not in STATUSES:
        raise ValueError(f"{value!r} is not a message status ({', '.join(STATUSES)})")
    return value


FILTERS = {
    "id": in_filter(webhook_messages.c.id),
    "status": in_filter(webhook_messages.c.status, _status),
    "event_type": in_filter(webhook_messages.c.event_type),
    "event_id": in_filter(webhook_messages.c.event_id),
}


def envelope(event_type: str, timestamp: datetime, data: Any) -> str:
    """The body every endpoint receives: ``{"type", "timestamp", "data"}`` as compact JSON."""
    return json_dumps({"type": event_type, "timestamp": rfc3339(timestamp), "data": data})


def _message(row: Mapping[str, Any], model: type[WebhookMessage] = WebhookMessage,
             **extra: Any) -> dict[str, Any]:
    """The message as the API shows it: its payload is the body it sends, parsed."""
    return render(model, row, payload=orjson.loads(row["body"]), **extra)


def _message_row(uow: UnitOfWork, endpoint_id: str, event_id: str | None, event_type: str,
                 body: str) -> dict[str, Any]:
    return {
        "environment": uow.environment,
        "id": new_id("msg"),
        "endpoint_id": endpoint_id,
        "event_id": event_id,
        "event_type": event_type,
        "body": body,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": uow.now,
        "last_attempt_at": None,
        "delivered_at": None,
        "created_at": uow.now,
        "updated_at": uow.now,
    }


def fan_out(uow: UnitOfWork, events: Sequence[RowMapping]) -> None:
    """Outbox consumer: one message (and its first delivery job) per event and matching endpoint.

    Only public event types are delivered; an endpoint's ``event_types`` filter (empty = all)
    picks among them. A message is unique per (endpoint, event), so dispatching an event twice
    creates nothing new.
    """
    deliverable = [e for e in events if e["type"] in EVENT_TYPES]
    if not deliverable:
        return
    endpoints = uow.conn.execute(
        select(webhook_endpoints.c.id, webhook_endpoints.c.event_types).where(
            webhook_endpoints.c.environment == uow.environment,
            webhook_endpoints.c.enabled.is_(True),
        )
    ).all()
    rows = []
    for event in deliverable:
        body = envelope(event["type"], event["occurred_at"], event["data"])
        for endpoint in endpoints:
            if not endpoint.event_types or event["type"] in endpoint.event_types:
                rows.append(_message_row(uow, endpoint.id, event["id"], event["type"], body))
    if not rows:
        return
    dialect = postgresql if uow.dialect == "postgresql" else sqlite
    stmt = (
        dialect.insert(webhook_messages)
        .on_conflict_do_nothing(index_elements=["environment", "endpoint_id", "event_id"])
        .returning(webhook_messages.c.id)
    )
    created = uow.conn.execute(stmt, rows).scalars().all()
    _queue_attempts(uow, [(message_id, 1, "scheduled") for message_id in created])


def _queue_attempts(uow: UnitOfWork, attempts: Sequence[tuple[str, int, str]]) -> None:
    uow.enqueue_many(DELIVER_JOB, [
        ({"message_id": message_id, "attempt": attempt, "trigger": trigger}, uow.now)
        for message_id, attempt, trigger in attempts
    ])


def create_test_message(uow: UnitOfWork, endpoint: Mapping[str, Any]) -> dict[str, Any]:
    """A ``webhook.test`` message to ``endpoint`` only, attempted now and then on the retry
    schedule like any message."""
    data = {"endpoint_id": endpoint["id"], "message": "A test event from Kassa."}
    row = _message_row(uow, endpoint["id"], None, TEST_EVENT_TYPE,
                       envelope(TEST_EVENT_TYPE, uow.now, data))
    uow.conn.execute(webhook_messages.insert(), row)
    _queue_attempts(uow, [(row["id"], 1, "scheduled")])
    return _message(row)


def _endpoint(conn: Any, environment: str, endpoint_id: str) -> RowMapping:
    return get_row(conn, webhook_endpoints, environment, endpoint_id, what="Webhook endpoint")


def list_messages(ctx: Ctx, endpoint_id: str, query: ListQuery) -> Page:
    """The endpoint's messages; ``?status=failed`` lists what needs attention."""
    with ctx.uow(read_only=True) as uow:
        _endpoint(uow.conn, uow.environment, endpoint_id)
        page = fetch_page(
            uow.conn, webhook_messages, uow.environment, query, sortable=SORTABLE,
            filters=FILTERS, where=[webhook_messages.c.endpoint_id == endpoint_id],
        )
    return page.map(_message)


def get_message(ctx: Ctx, message_id: str) -> dict[str, Any]:
    """A message with every attempt, oldest first."""
    with ctx.uow(read_only=True) as uow:
        row = get_row(uow.conn, webhook_messages, uow.environment, message_id,
                      what="Webhook message")
        attempts = uow.conn.execute(
            select(webhook_attempts)
            .where(webhook_attempts.c.environment == uow.environment,
                   webhook_attempts.c.message_id == message_id)
            .order_by(webhook_attempts.c.attempt, webhook_attempts.c.seq)
        ).mappings().all()
    return _message(row, WebhookMessageDetail,
                    delivery_attempts=[render(WebhookAttempt, a) for a in attempts])


def _requeue(uow: UnitOfWork, messages: Sequence[RowMapping]) -> None:
    """Make ``messages`` pending again with one manual attempt each, now."""
    if not messages:
        return
    uow.conn.execute(
        update(webhook_messages)
        .where(webhook_messages.c.seq.in_([m["seq"] for m in messages]))
        .values(status="pending", next_attempt_at=uow.now, updated_at=uow.now)
    )
    _queue_attempts(uow, [(m["id"], m["attempts"] + 1, "manual") for m in messages])


def retry_message(ctx: Ctx, message_id: str) -> dict[str, Any]:
    """Attempt a failed (or resend a delivered) message once, now."""
    with ctx.uow() as uow:
        row = get_row(uow.conn, webhook_messages, uow.environment, message_id,
                      what="Webhook message", for_update=True)
        if row["status"] == "pending":
            raise Conflict(
                f"Webhook message {message_id!r} is already pending; its next attempt is at "
                f"{rfc3339(row['next_attempt_at'])}."
            )
        endpoint = _endpoint(uow.conn, uow.environment, row["endpoint_id"])
        if not endpoint["enabled"]:
            raise Conflict(f"Webhook endpoint {endpoint['id']!r} is disabled; enable it first.")
        _requeue(uow, [row])
        uow.commit()
    return _message({**row, "status": "pending", "next_attempt_at": uow.now,
                         "updated_at": uow.now})


def recover_messages(ctx: Ctx, endpoint_id: str, since: datetime) -> dict[str, Any]:
    """Attempt again, once each, every failed message of the endpoint created since ``since``."""
    with ctx.uow() as uow:
        endpoint = _endpoint(uow.conn, uow.environment, endpoint_id)
        if not endpoint["enabled"]:
            raise Conflict(f"Webhook endpoint {endpoint_id!r} is disabled; enable it first.")
        failed = uow.conn.execute(
            select(webhook_messages)
            .where(
                webhook_messages.c.environment == uow.environment,
                webhook_messages.c.endpoint_id == endpoint_id,
                webhook_messages.c.status == "failed",
                webhook_messages.c.created_at >= since,
            )
            .order_by(webhook_messages.c.created_at, webhook_messages.c.seq)
        ).mappings().all()
        _requeue(uow, failed)
        uow.commit()
    return {"endpoint_id": endpoint_id, "since": rfc3339(since), "recovered": len(failed)}
