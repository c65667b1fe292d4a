"""Catalog tables: customers (and their aliases), products and billable metrics."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from kassa.store.tables.base import env_column, metadata, resource_table, seq_column
from kassa.store.types import ExactDecimal, JSONDoc

customers = resource_table(
    "customers",
    Column("name", String(255), nullable=False),
    Column("email", String(320)),
    # Billing details (the portal's Billing information, invoice PDFs): where invoices go, the
    # postal address ({line1, line2, city, state, postal_code, country}) and the tax id.
    Column("billing_email", String(320)),
    Column("billing_address", JSONDoc()),
    Column("tax_id", String(50)),
    Column("currency", String(3), nullable=False),
    Column("segment", String(100)),
    Column("tags", JSONDoc(), nullable=False),
    Column("aliases", JSONDoc(), nullable=False),
    Column("metadata", JSONDoc(), nullable=False),
    Column("tax_rate", ExactDecimal()),
    Column("tax_exempt", Boolean, nullable=False, default=False),
    # Usage is invoiced up to here (microseconds since the epoch): an event before it is late.
    Column("usage_billed_through_us", BigInteger),
    # The dashboard's Customers list: by name, a page at a time, without sorting them all.
    Index("ix_customers_by_name", "environment", "name", "seq"),
    archived=True,
)

customer_aliases = Table(
    "customer_aliases",
    metadata,
    seq_column(),
    env_column(),
    Column("alias", String(255), nullable=False),
    Column("customer_id", String(80), nullable=False),
    UniqueConstraint("environment", "alias"),
    ForeignKeyConstraint(
        ["environment", "customer_id"],
        ["customers.environment", "customers.id"],
        ondelete="CASCADE",
    ),
    Index(None, "environment", "customer_id"),
)

products = resource_table(
    "products",
    Column("name", String(255), nullable=False),
    Column("description", Text),
    Column("fee_type", String(16), nullable=False),
    Column("payment_terms", String(16), nullable=False),
    Column("billing_frequency", String(16)),
    Column("metric_ids", JSONDoc(), nullable=False),
    Column("sku", String(100)),
    Column("unit_label_singular", String(50)),
    Column("unit_label_plural", String(50)),
    Column("metadata", JSONDoc(), nullable=False),
    archived=True,
)

metrics = resource_table(
    "metrics",
    Column("name", String(255), nullable=False),
    Column("description", Text),
    Column("event_name", String(255), nullable=False),
    Column("aggregation", JSONDoc(), nullable=False),
    Column("filter_groups", JSONDoc(), nullable=False),
    Column("metadata", JSONDoc(), nullable=False),
    Index(None, "environment", "event_name"),
    archived=True,
)
