"""Platform tables: API keys, clocks, idempotency records and the transactional outbox."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, String, Table, UniqueConstraint, column

from kassa.store.tables.base import env_column, id_column, metadata, seq_column
from kassa.store.types import JSONDoc, UTCDateTime

api_keys = Table(
    "api_keys",
    metadata,
    seq_column(),
    id_column(),
    env_column(),
    Column("name", String(255), nullable=False),
    Column("prefix", String(32), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
    UniqueConstraint("id"),
)

clocks = Table(
    "clocks",
    metadata,
    Column("environment", String(16), primary_key=True),
    Column("frozen_at", UTCDateTime()),
    Column("updated_at", UTCDateTime(), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    seq_column(),
    env_column(),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # in_flight | done
    Column("response_status", Integer),
    Column("response_headers", JSONDoc()),
    Column("response_body", LargeBinary),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    UniqueConstraint("environment", "key"),
    Index(None, "expires_at"),
)

# Every domain event, written in the same transaction as the change that caused it. The
# dispatcher (kassa.queue.outbox) hands each event to its consumers (webhook fan-out, later
# automations) once, and stamps ``dispatched_at`` in the same transaction.
outbox_events = Table(
    "outbox_events",
    metadata,
    seq_column(),
    id_column(),
    env_column(),
    Column("type", String(80), nullable=False),
    Column("data", JSONDoc(), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("dispatched_at", UTCDateTime()),
    UniqueConstraint("id"),
    Index(None, "environment", "type", "occurred_at"),
    Index(None, "environment", "occurred_at"),
    # Only the events still to dispatch: the dispatcher's scan stays small as the outbox grows.
    Index(
        "ix_outbox_events_undispatched",
        "environment",
        "occurred_at",
        postgresql_where=column("dispatched_at").is_(None),
        sqlite_where=column("dispatched_at").is_(None),
    ),
)
