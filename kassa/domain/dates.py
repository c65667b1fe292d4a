"""The calendar Kassa works in: 1970-01-01 to 2999-12-31, UTC.

Dates and instants a client gives outside it are refused. Billing computes dates well past the
ones it stores (terms of up to 120 months, renewals, due dates, the period before an anchor), and
Python's dates stop at year 9999 and start at year 1: the window keeps every one of them
representable, and every stored instant after the epoch that usage events are counted from.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2999, 12, 31)
OUT_OF_RANGE = f"must be between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}"


def day_in_range(d: date) -> bool:
    return EARLIEST_DAY <= d <= LATEST_DAY


def as_utc_in_range(t: datetime) -> datetime | None:
    """``t`` in UTC, or None when it falls outside the calendar (or outside Python's)."""
    try:
        utc = t.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return utc if day_in_range(utc.date()) else None
