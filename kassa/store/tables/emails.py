"""Email templates (an environment's own and its overrides of the built-ins) and every email
rendered for sending, with its outcome."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Text, UniqueConstraint

from kassa.store.tables.base import resource_table
from kassa.store.types import JSONDoc, UTCDateTime

# One row per (environment, key): a key the code ships (kassa.services.email_builtins) is
# overridden by its row, and deleting the row restores the built-in.
email_templates = resource_table(
    "email_templates",
    Column("key", String(80), nullable=False),
    Column("subject", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("text", Text),  # None: the text part is derived from the rendered HTML
    UniqueConstraint("environment", "key"),
    listed=False,
)

emails = resource_table(
    "emails",
    Column("status", String(16), nullable=False),  # queued | sent | failed
    Column("to_addresses", JSONDoc(), nullable=False),
    Column("cc_addresses", JSONDoc(), nullable=False),
    Column("subject", Text, nullable=False),
    Column("template", String(80), nullable=False),
    Column("html", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("error", Text),
    Column("message_id", String(255)),
    Column("source", JSONDoc()),  # {"execution_id", "step"} when an automation step made it
    Column("attempts", Integer, nullable=False),
    Column("sent_at", UTCDateTime()),
    Index(None, "environment", "status", "created_at"),
)
