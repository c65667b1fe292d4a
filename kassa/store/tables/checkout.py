"""Hosted checkout: the sessions ``POST /checkout-sessions`` makes, each a page at
``/checkout/{id}`` where a customer pays for one plan.

``customer_id`` is the customer the session was made for, or the one its completion created;
``customer`` the details the request gave for a new customer (the page collects the rest).
``subscription_id`` and ``invoice_id`` are set by the first attempt to pay (the subscription is
created and activated then; a declined first payment keeps both, and the next attempt pays that
same invoice). ``csrf_token`` is the token the page's form must carry. ``last_payment_error`` is
the reason of the latest declined attempt, shown beside the payment fields.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, UniqueConstraint

from kassa.store.tables.base import env_column, id_column, metadata, seq_column
from kassa.store.types import JSONDoc, UTCDateTime

checkout_sessions = Table(
    "checkout_sessions",
    metadata,
    seq_column(),
    id_column(),
    env_column(),
    Column("status", String(20), nullable=False),  # open, complete, expired
    Column("plan_id", String(80), nullable=False),
    Column("customer_id", String(80)),
    Column("customer", JSONDoc()),
    Column("success_url", String(2000), nullable=False),
    Column("cancel_url", String(2000), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("subscription_id", String(80)),
    Column("invoice_id", String(80)),
    Column("last_payment_error", String(500)),
    Column("metadata", JSONDoc(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("completed_at", UTCDateTime()),
    UniqueConstraint("id"),
    Index(None, "environment", "created_at"),
)
