"""Cron schedules: the next run of a five-field cron expression in an IANA timezone.

cronsim computes it (it follows Debian's cron across DST changes: a time skipped by the spring
change runs right after it, a time repeated in autumn runs once, while ``*`` hours run in every
real hour). ``0 9 * * 1`` in Europe/Berlin is Monday 08:00 UTC in winter and 07:00 UTC in
summer. The macros @hourly, @daily, @weekly, @monthly and @yearly are read as their five fields.
"""

from __future__ import annotations

from datetime import datetime, timezone

from cronsim import CronSim, CronSimError

from kassa.domain.automations.schedule import next_occurrence, zone
from kassa.domain.automations.triggers import ScheduleTrigger
from kassa.domain.errors import InvalidRequest

MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_PROBE = datetime(2000, 1, 1, tzinfo=timezone.utc)


def _fields(expression: str, field: str) -> str:
    text = MACROS.get(expression.strip().lower(), " ".join(expression.split()))
    if len(text.split(" ")) != 5:
        raise InvalidRequest(
            f"{expression!r} is not a cron expression: five fields, minute hour day-of-month "
            "month day-of-week (for example '0 9 * * 1')",
            field=field,
        )
    return text


def check(expression: str, field: str = "trigger.cron") -> None:
    """Raise InvalidRequest naming ``field`` unless ``expression`` is a cron that ever runs."""
    text = _fields(expression, field)
    try:
        next(CronSim(text, _PROBE))
    except (CronSimError, StopIteration) as error:
        reason = f": {error}" if str(error) else " (it never runs)"
        raise InvalidRequest(f"{expression!r} is not a valid cron expression{reason}",
                             field=field) from None


def next_cron(expression: str, timezone_name: str, after: datetime) -> datetime:
    """The first run of ``expression`` in ``timezone_name`` strictly after ``after`` (in UTC)."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    tz = zone(timezone_name)
    if tz is None:
        raise InvalidRequest(f"unknown timezone {timezone_name!r}", field="trigger.timezone")
    text = _fields(expression, "trigger.cron")
    try:
        local = CronSim(text, after.astimezone(tz))
        return next(local).astimezone(timezone.utc)
    except (CronSimError, StopIteration) as error:
        raise InvalidRequest(f"{expression!r} is not a valid cron expression: {error}",
                             field="trigger.cron") from None


def next_run(trigger: ScheduleTrigger, after: datetime, *, started_at: datetime) -> datetime:
    """The next run of any schedule trigger strictly after ``after``: cron here, the rest pure."""
    if trigger.cron is not None:
        return next_cron(trigger.cron, trigger.timezone, after)
    return next_occurrence(trigger, after, started_at=started_at)
