"""When a schedule trigger runs next: ``interval`` and ``calendar`` (cron is kassa.automations.cron).

An interval counts from the instant the version was activated (``started_at``): every 24h after
it, never at it. A calendar runs at 00:00 in the trigger's timezone on its days: ``daily``,
``weekly`` (Mondays), ``first_day_of_month``, ``last_day_of_month``. Where a DST change skips
local midnight the run is at the first instant after the gap; where it repeats midnight, at
the first of the two. Every instant here is timezone-aware; answers are in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from kassa.domain.automations.triggers import ScheduleTrigger

CALENDARS: dict[str, str] = {
    "daily": "every day",
    "weekly": "every Monday",
    "first_day_of_month": "the 1st of every month",
    "last_day_of_month": "the last day of every month",
}


def zone(name: str) -> ZoneInfo | None:
    """The IANA timezone ``name``, or None when there is no such zone."""
    if not name or name != name.strip() or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def next_interval(started_at: datetime, interval: timedelta, after: datetime) -> datetime:
    """The first ``started_at + k × interval`` (k >= 1) strictly after ``after``."""
    _aware(started_at, after)
    steps = (after - started_at) // interval + 1 if after >= started_at else 1
    return (started_at + max(steps, 1) * interval).astimezone(timezone.utc)


def next_calendar(calendar: str, timezone_name: str, after: datetime) -> datetime:
    """The first local midnight of a ``calendar`` day strictly after ``after``."""
    _aware(after)
    matches = _DAYS[calendar]
    tz = zone(timezone_name)
    if tz is None:
        raise ValueError(f"unknown timezone {timezone_name!r}")
    day = after.astimezone(tz).date() - timedelta(days=1)
    while True:
        if matches(day):
            instant = datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)
            if instant > after:
                return instant
        day += timedelta(days=1)


def next_occurrence(trigger: ScheduleTrigger, after: datetime, *, started_at: datetime) -> datetime:
    """The next run of an interval or calendar ``trigger`` strictly after ``after``."""
    if trigger.interval is not None:
        return next_interval(started_at, trigger.interval, after)
    if trigger.calendar is not None:
        return next_calendar(trigger.calendar, trigger.timezone, after)
    raise ValueError("cron schedules are computed by kassa.automations.cron")


def _aware(*instants: datetime) -> None:
    if any(instant.tzinfo is None for instant in instants):
        raise ValueError("schedule instants must be timezone-aware")


def _last_of_month(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


_DAYS = {
    "daily": lambda day: True,
    "weekly": lambda day: day.weekday() == 0,
    "first_day_of_month": lambda day: day.day == 1,
    "last_day_of_month": _last_of_month,
}
