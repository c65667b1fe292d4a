"""Billing periods: half-open date ranges laid out from an anchor date.

Period k starts at ``add_months(anchor, k * interval.months)`` and ends where period k + 1 starts.
Every period is computed from the anchor, never from the previous period, so an anchor on Jan 31
gives Feb 28 (29), Mar 31, Apr 30, ... and never drifts to the 28th.

Dates before the anchor: ``period_containing`` raises InvalidRequest (no period exists there);
``next_period_start`` answers the anchor itself; ``periods_between`` starts at the anchor. A
``Cycle`` also lays periods out backwards from the anchor (a stub before it is billed as a part of
the period that ends at the anchor).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from kassa.domain.errors import InvalidRequest


class Interval(StrEnum):
    """A billing interval; the value is its API spelling."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMI_ANNUAL = "semi_annual"
    YEARLY = "yearly"

    @property
    def months(self) -> int:
        """Length of the interval in calendar months."""
        return _MONTHS[self]

    @classmethod
    def parse(cls, value: Interval | str) -> Interval:
        """The interval for an API value; anything else is an InvalidRequest."""
        try:
            return cls(value)
        except (ValueError, TypeError):
            allowed = ", ".join(i.value for i in cls)
            raise InvalidRequest(
                f"Unknown billing interval {value!r}: use one of {allowed}."
            ) from None


_MONTHS = {Interval.MONTHLY: 1, Interval.QUARTERLY: 3, Interval.SEMI_ANNUAL: 6, Interval.YEARLY: 12}


def add_months(d: date, n: int) -> date:
    """``d`` moved by ``n`` calendar months (n may be negative), clamped to the month's last day."""
    index = d.year * 12 + (d.month - 1) + n
    year, month = divmod(index, 12)
    month += 1
    if d.day <= 28:  # every month has the day: no clamping (the common case, on hot paths)
        return date(year, month, d.day)
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def months_between(start: date, end: date) -> int:
    """Whole calendar months from ``start`` to ``end`` (negative when ``end`` is earlier).

    Counts a month complete on the clamped anniversary: Jan 31 to Feb 28 is one month.
    """
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if months > 0 and add_months(start, months) > end:
        months -= 1
    elif months < 0 and add_months(start, months) < end:
        months += 1
    return months


@dataclass(frozen=True)
class Period:
    """The half-open date range [start, end)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidRequest(f"A period must end after it starts ({self.start} .. {self.end}).")

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days

    def __contains__(self, d: object) -> bool:
        return isinstance(d, date) and self.start <= d < self.end


@dataclass(frozen=True)
class Cycle:
    """Periods of ``months`` calendar months laid out from ``anchor``, both ways: period k starts
    at ``add_months(anchor, k * months)`` (k < 0 before the anchor)."""

    anchor: date
    months: int

    @classmethod
    def of(cls, anchor: date, interval: Interval | str) -> Cycle:
        return cls(anchor, Interval.parse(interval).months)

    def nth(self, k: int) -> Period:
        """Period number ``k`` (0 is the one starting at the anchor)."""
        start = add_months(self.anchor, k * self.months)
        return Period(start, add_months(self.anchor, (k + 1) * self.months))

    def index(self, d: date) -> int:
        """The number of the period that contains ``d``."""
        k = ((d.year - self.anchor.year) * 12 + d.month - self.anchor.month) // self.months
        while add_months(self.anchor, k * self.months) > d:
            k -= 1
        while add_months(self.anchor, (k + 1) * self.months) <= d:
            k += 1
        return k

    def containing(self, d: date) -> Period:
        return self.nth(self.index(d))

    def starting_at(self, d: date) -> Period | None:
        """The period that starts on ``d``; None when ``d`` is no period start."""
        period = self.containing(d)
        return period if period.start == d else None

    def ending_at(self, d: date) -> Period | None:
        """The period that ends on ``d`` (exclusive end); None when ``d`` is no period start."""
        k = self.index(d)
        if add_months(self.anchor, k * self.months) != d:
            return None
        return Period(add_months(self.anchor, (k - 1) * self.months), d)

    def next_start(self, d: date) -> date:
        """The first period start strictly after ``d`` (the anchor when ``d`` is before it)."""
        return self.anchor if d < self.anchor else self.containing(d).end


def nth_period(anchor: date, interval: Interval | str, k: int) -> Period:
    """Period number ``k`` (0 is the one starting at the anchor)."""
    return Cycle.of(anchor, interval).nth(k)


def period_containing(anchor: date, interval: Interval | str, d: date) -> Period:
    """The period that contains ``d``; a date before the anchor is an InvalidRequest."""
    if d < anchor:
        raise InvalidRequest(f"{d} is before the billing anchor {anchor}.")
    return Cycle.of(anchor, interval).containing(d)


def next_period_start(anchor: date, interval: Interval | str, d: date) -> date:
    """The first period start strictly after ``d`` (the anchor itself when ``d`` is before it)."""
    return Cycle.of(anchor, interval).next_start(d)


def iter_periods(anchor: date, interval: Interval | str, start: date) -> Iterator[Period]:
    """Endless periods from the one containing ``start`` (or from the anchor, if earlier)."""
    cycle = Cycle.of(anchor, interval)
    k = cycle.index(start) if start >= anchor else 0
    while True:
        yield cycle.nth(k)
        k += 1


def periods_between(anchor: date, interval: Interval | str, start: date, end: date) -> list[Period]:
    """Whole periods that overlap [start, end), in order; none when ``end <= start``.

    The first and last periods may reach outside the range: periods are never clipped.
    """
    periods: list[Period] = []
    if end <= start or end <= anchor:
        return periods
    for period in iter_periods(anchor, interval, start):
        if period.start >= end:
            break
        periods.append(period)
    return periods


def contract_end(start: date, duration_months: int) -> date:
    """Exclusive end of a contract: the day after its last day (Jul 1 + 12 months = next Jul 1)."""
    if isinstance(duration_months, bool) or not isinstance(duration_months, int):
        raise InvalidRequest("duration_months must be an integer.", field="duration_months")
    if duration_months < 1:
        raise InvalidRequest("duration_months must be at least 1.", field="duration_months")
    return add_months(start, duration_months)
