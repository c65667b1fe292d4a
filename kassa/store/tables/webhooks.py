"""Webhook endpoints, the messages sent to them and every delivery attempt."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)

from kassa.store.tables.base import resource_table
from kassa.store.types import JSONDoc, UTCDateTime

webhook_endpoints = resource_table(
    "webhook_endpoints",
    Column("url", String(2048), nullable=False),
    Column("description", Text),
    Column("event_types", JSONDoc(), nullable=False),  # [] = every event type
    Column("enabled", Boolean, nullable=False),
    # Kept to sign, sealed under the operator key (kassa.sealing: "kassa1:<key id>:..."); the
    # API returns the plaintext only at creation and rotation. After a rotation the previous
    # secret also signs until it expires, so receivers can roll over.
    Column("secret", String(255), nullable=False),
    Column("previous_secret", String(255)),
    Column("previous_secret_expires_at", UTCDateTime()),
)

# One message per (endpoint, event): its id is the Standard Webhooks ``webhook-id``, stable across
# attempts, and ``body`` the exact bytes signed and sent each time.
webhook_messages = resource_table(
    "webhook_messages",
    Column("endpoint_id", String(80), nullable=False),
    Column("event_id", String(80)),  # None for test messages
    Column("event_type", String(80), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending | succeeded | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime()),
    Column("last_attempt_at", UTCDateTime()),
    Column("delivered_at", UTCDateTime()),
    UniqueConstraint("environment", "endpoint_id", "event_id"),
    ForeignKeyConstraint(
        ["environment", "endpoint_id"],
        ["webhook_endpoints.environment", "webhook_endpoints.id"],
        ondelete="CASCADE",
    ),
    Index(None, "environment", "endpoint_id", "status", "created_at"),
    listed=False,
)

webhook_attempts = resource_table(
    "webhook_attempts",
    Column("message_id", String(80), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("trigger", String(16), nullable=False),  # scheduled | manual
    Column("attempted_at", UTCDateTime(), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("status_code", Integer),
    Column("duration_ms", Integer, nullable=False),
    Column("response", Text),  # the first 1 KB of the response body
    Column("error", Text),
    # An attempt is recorded once, even when a job whose lease ran out is run twice.
    UniqueConstraint("environment", "message_id", "attempt"),
    ForeignKeyConstraint(
        ["environment", "message_id"],
        ["webhook_messages.environment", "webhook_messages.id"],
        ondelete="CASCADE",
    ),
    listed=False,
)
