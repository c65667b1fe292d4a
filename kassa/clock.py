"""Clocks, and how an instant is written. Services are handed a clock; nothing in Kassa reads the
system time on its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    @property
    def frozen(self) -> bool: ...


class SystemClock:
    """Real time (production, and sandboxes that are not frozen)."""

    frozen = False

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    """A clock stopped at one instant (a frozen sandbox, or a test)."""

    at: datetime
    frozen: bool = True

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")

    def now(self) -> datetime:
        return self.at.astimezone(UTC)


def utcnow() -> datetime:
    """Real time, for bookkeeping that must not follow a sandbox clock (key expiry, leases)."""
    return datetime.now(UTC)


def rfc3339(value: datetime | None) -> str | None:
    """``2026-07-01T00:00:00Z``; fractions of a second only when there are some."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"
