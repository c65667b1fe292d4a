"""How values look in API responses and event payloads (JSON-ready, money as strings)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from kassa.clock import rfc3339

__all__ = ["iso_date", "money", "rfc3339"]  # rfc3339 lives with the clocks (the queue uses it)


def iso_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def money(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")
