"""Usage events: what customers did, as sent to ``POST /events``; metrics aggregate them in SQL.

Design notes (the table is the ingestion hot path and the billing query's input):

- ``timestamp_us`` is the event's instant as BIGINT microseconds since the Unix epoch (UTC) on
  both databases, not a TIMESTAMPTZ / text datetime. The billing query is a half-open range
  ``start_us <= timestamp_us < end_us`` inside one (environment, customer_id, event_name) index
  prefix: an 8-byte integer compares natively on both databases, where SQLite's text datetimes are
  26 bytes and compare correctly only while every writer uses the identical format. Ingestion
  binds a plain int (no datetime adaptation per row) and the two backends share one semantics.
  ``received_at``/``updated_at`` are bookkeeping, never range-scanned, so they keep the usual
  ``UTCDateTime``.
- ``(environment, unique_id)`` is unique: the deduplication key, kept forever.
- ``ix_usage_events_environment_customer_id_event_name_timestamp_us`` serves the aggregation
  (equality on the first three columns, range on the fourth) and, because SQLite appends the
  rowid (= ``seq``) to every index, the "latest value" lookup in (timestamp, seq) order as well.
- ``ix_usage_events_unattributed`` is partial: it indexes only events whose account matched no
  customer, so the debugger finds them by account without taxing normal ingestion.
- No foreign key to customers: customers are never deleted (only archived), and a per-row FK
  check would be paid on every ingested event.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table, UniqueConstraint, text

from kassa.store.tables.base import env_column, metadata, seq_column
from kassa.store.types import ExactDecimal, ISODate, JSONDoc, UTCDateTime

usage_events = Table(
    "usage_events",
    metadata,
    seq_column(),
    env_column(),
    Column("unique_id", String(255), nullable=False),
    Column("event_name", String(255), nullable=False),
    Column("account", String(255), nullable=False),  # customer id or alias, as sent
    Column("customer_id", String(80)),  # resolved at ingestion; NULL when nothing matched
    # The subscription the event names (checked at ingestion to be its customer's); NULL: it is
    # billed to the customer's subscription that owns its metric then (services/usage/owners).
    Column("subscription_id", String(80)),
    Column("timestamp_us", BigInteger, nullable=False),
    Column("properties", JSONDoc(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("environment", "unique_id"),
    Index(None, "environment", "customer_id", "event_name", "timestamp_us"),
    Index(
        "ix_usage_events_unattributed",
        "environment",
        "account",
        sqlite_where=text("customer_id IS NULL"),
        postgresql_where=text("customer_id IS NULL"),
    ),
)

# A usage threshold: when a metric's usage in the current billing period passes ``value``,
# ``usage.threshold_exceeded`` is emitted, once per period.
usage_thresholds = Table(
    "usage_thresholds",
    metadata,
    seq_column(),
    env_column(),
    Column("id", String(80), nullable=False),
    Column("customer_id", String(80), nullable=False),
    Column("subscription_id", String(80)),
    Column("metric_id", String(80), nullable=False),
    Column("value", ExactDecimal(), nullable=False),
    Column("status", String(16), nullable=False),  # active | archived
    Column("last_period_start", ISODate()),  # the period it was last exceeded in
    Column("last_exceeded_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("environment", "id"),
    Index(None, "environment", "customer_id", "status"),
)

# Events that arrived for a billing period already invoiced: the next invoice bills the
# difference as an adjustment. One row per customer and event name, with the earliest such
# event's instant; consumed (deleted) by the invoice that settles them.
usage_late_marks = Table(
    "usage_late_marks",
    metadata,
    Column("environment", String(16), primary_key=True),
    Column("customer_id", String(80), primary_key=True),
    Column("event_name", String(255), primary_key=True),
    Column("earliest_us", BigInteger, nullable=False),
)
