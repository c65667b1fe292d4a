"""Platform tables: API keys, clocks, idempotency records and the transactional outbox."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from kassa.store.tables.base import SeqType, env_column, id_column, metadata, seq_column
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

# Every domain event, written in the same transaction as the change that caused it. Each named
# consumer (kassa.queue.outbox: webhook fan-out, automations...) reads it once, on its own, through
# its pending row in ``outbox_deliveries``.
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
    UniqueConstraint("id"),
    Index(None, "environment", "type", "occurred_at"),
    Index(None, "environment", "occurred_at"),
)

# The consumers this database delivers to. ``UnitOfWork.emit`` writes one pending delivery per
# consumer listed here, so a row exists from the consumer's first start (``started_at``); ``start``
# is where it began reading: "now", "beginning" or an RFC 3339 instant (see ``replay``).
outbox_consumers = Table(
    "outbox_consumers",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("start", String(40), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
)

# One event still to hand to one consumer, deleted in the transaction that consumes it. A batch
# that failed waits until ``available_at`` (environment time) with its ``last_error``; after too
# many attempts ``failed_at`` parks it until a replay.
outbox_deliveries = Table(
    "outbox_deliveries",
    metadata,
    Column("consumer", String(64), primary_key=True),
    # outbox_events.seq. No foreign key: rows are only ever selected from the events, and a
    # per-row check would slow down every event written on PostgreSQL.
    Column("event_seq", SeqType, primary_key=True),
    env_column(),
    Column("available_at", UTCDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("failed_at", UTCDateTime()),
    Index(None, "environment", "consumer", "available_at", "event_seq"),
)
