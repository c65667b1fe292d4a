"""Dashboard users, their sign-in sessions and the failed sign-ins that throttle guessing.

Users belong to the installation, not to an environment: one user works in the sandbox and in
production, and each session remembers which of the two it is looking at.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, UniqueConstraint

from kassa.store.tables.base import env_column, id_column, metadata, seq_column
from kassa.store.types import UTCDateTime

users = Table(
    "users",
    metadata,
    seq_column(),
    id_column(),
    Column("email", String(320), nullable=False),  # lowercased: one account per address
    Column("role", String(16), nullable=False),  # admin | member | viewer
    Column("password_hash", String(255), nullable=False),  # Argon2id, with its parameters
    Column("disabled_at", UTCDateTime()),
    Column("last_sign_in_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("id"),
    UniqueConstraint("email"),
)

# A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a copy
# of the database signs nobody in. ``environment`` is what the session looks at (the switcher).
web_sessions = Table(
    "web_sessions",
    metadata,
    seq_column(),
    Column("token_hash", String(64), nullable=False),
    Column("user_id", String(80), nullable=False),
    env_column(),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    UniqueConstraint("token_hash"),
    Index(None, "user_id"),
    Index(None, "expires_at"),
)

# One row per failed sign-in, kept for the throttling window (by the address typed, lowercased,
# and by the client's address).
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    seq_column(),
    Column("email", String(320), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index(None, "email", "at"),
    Index(None, "address", "at"),
    Index(None, "at"),
)
