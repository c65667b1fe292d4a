"""The customer portal: the links Kassa hands out and the browser sessions they open.

A portal link (``portal_sessions``) carries a single-use token; only its SHA-256 is stored.
Opening the link spends the token and opens a visit (``portal_visits``): the browser's HttpOnly
cookie holds another random token, again stored only as its hash, bound to one customer of one
environment. ``settings`` holds the sections and abilities in force for that link (the
environment's defaults with the request's own settings over them).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, UniqueConstraint

from kassa.store.tables.base import env_column, id_column, metadata, seq_column
from kassa.store.types import JSONDoc, UTCDateTime

portal_sessions = Table(
    "portal_sessions",
    metadata,
    seq_column(),
    id_column(),
    env_column(),
    Column("customer_id", String(80), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("settings", JSONDoc(), nullable=False),
    Column("return_url", String(2000)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("opened_at", UTCDateTime()),  # the token is spent
    UniqueConstraint("id"),
    UniqueConstraint("token_hash"),
    Index(None, "environment", "customer_id"),
)

portal_visits = Table(
    "portal_visits",
    metadata,
    seq_column(),
    Column("token_hash", String(64), nullable=False),
    Column("portal_session_id", String(80), nullable=False),
    env_column(),
    Column("customer_id", String(80), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    UniqueConstraint("token_hash"),
    Index(None, "expires_at"),
)
