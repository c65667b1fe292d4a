"""Rendered documents: the PDF of an issued invoice (or a credit note), rendered once and kept,
so the document a customer received never changes when templates or settings change later."""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary, String, Table

from kassa.store.tables.base import metadata
from kassa.store.types import UTCDateTime

documents = Table(
    "documents",
    metadata,
    Column("environment", String(16), primary_key=True),
    Column("kind", String(16), primary_key=True),  # invoice, credit_note
    Column("object_id", String(80), primary_key=True),
    Column("pdf", LargeBinary(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
