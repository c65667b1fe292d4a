"""How values look in API responses and event payloads (JSON-ready, money as strings)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal


def rfc3339(value: datetime | None) -> str | None:
    """``2026-07-01T00:00:00Z``; fractions of a second only when there are some."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


def iso_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def money(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")
