"""What Kassa keeps of a payment processor's own records (Stripe).

``processor_customers``: the processor's customer of each Kassa customer, created on first need
(the first hosted setup) and kept. ``processor_events``: the processor's webhook events already
applied, so a redelivered event changes nothing twice (its effects commit with its row).
"""

from __future__ import annotations

from sqlalchemy import Column, PrimaryKeyConstraint, String, Table, UniqueConstraint

from kassa.store.tables.base import env_column, metadata
from kassa.store.types import UTCDateTime

processor_customers = Table(
    "processor_customers",
    metadata,
    env_column(),
    Column("processor", String(20), nullable=False),
    Column("customer_id", String(80), nullable=False),
    Column("reference", String(200), nullable=False),  # Stripe: cus_...
    Column("created_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("environment", "processor", "customer_id"),
    UniqueConstraint("environment", "processor", "reference"),
)

processor_events = Table(
    "processor_events",
    metadata,
    env_column(),
    Column("processor", String(20), nullable=False),
    Column("event_id", String(255), nullable=False),  # Stripe: evt_...
    Column("type", String(100), nullable=False),
    Column("outcome", String(40), nullable=False),  # applied | unchanged | ignored
    Column("received_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("environment", "processor", "event_id"),
)
