"""Environment settings: one row per (environment, section), the section's values as JSON.

A missing row means the section's defaults (``kassa.resources.settings``), which are what Kassa
did before the settings existed."""

from __future__ import annotations

from sqlalchemy import Column, String, Table

from kassa.store.tables.base import metadata
from kassa.store.types import JSONDoc, UTCDateTime

environment_settings = Table(
    "environment_settings",
    metadata,
    Column("environment", String(16), primary_key=True),
    Column("section", String(32), primary_key=True),
    Column("values", JSONDoc(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
