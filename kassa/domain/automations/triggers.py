"""What starts an automation: an event, a schedule, or a manual run through the API.

    {"type": "event", "event": "payment.failed"}
    {"type": "event", "event": "subscription.ending_soon", "days": 30}
    {"type": "schedule", "interval": "24h"}
    {"type": "schedule", "cron": "0 9 * * 1", "timezone": "Europe/Berlin"}   (default UTC)
    {"type": "schedule", "calendar": "first_day_of_month"}
    {"type": "manual"}

Events are the public ones Kassa emits (kassa.domain.webhooks; the reserved, never emitted
types are refused). ``days`` narrows subscription.ending_soon to the notice that many days
before the end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeAlias

from kassa.domain.automations.durations import format_duration, parse_duration
from kassa.domain.automations.schedule import CALENDARS, zone
from kassa.domain.errors import InvalidRequest
from kassa.domain.webhooks import EVENT_TYPES, RESERVED_EVENT_TYPES

TRIGGER_EVENTS: frozenset[str] = EVENT_TYPES - RESERVED_EVENT_TYPES
EVENTS_WITH_DAYS = frozenset({"subscription.ending_soon"})
MAX_DAYS = 3650
CheckCron: TypeAlias = Callable[[str, str], None]


@dataclass(frozen=True)
class EventTrigger:
    event: str
    days: int | None = None


@dataclass(frozen=True)
class ScheduleTrigger:
    interval: timedelta | None = None
    cron: str | None = None
    calendar: str | None = None
    timezone: str = "UTC"


@dataclass(frozen=True)
class ManualTrigger:
    pass


Trigger: TypeAlias = EventTrigger | ScheduleTrigger | ManualTrigger


def parse_trigger(data: object, field: str = "trigger",
                  check_cron: CheckCron | None = None) -> Trigger:
    """The trigger as written; InvalidRequest names ``trigger.event``, ``trigger.cron``, ..."""
    if not isinstance(data, Mapping):
        raise InvalidRequest("trigger is an object with a type: event, schedule or manual",
                             field=field)
    kind = data.get("type")
    if kind == "event":
        return _event(data, field)
    if kind == "schedule":
        return _schedule(data, field, check_cron)
    if kind == "manual":
        _only(data, {"type"}, field)
        return ManualTrigger()
    raise InvalidRequest(f"unknown trigger type {kind!r}: use event, schedule or manual",
                         field=f"{field}.type")


def _only(data: Mapping, allowed: set[str], field: str) -> None:
    for key in data:
        if key not in allowed:
            raise InvalidRequest(f"unknown trigger field {key!r}", field=f"{field}.{key}")


def _event(data: Mapping, field: str) -> EventTrigger:
    _only(data, {"type", "event", "days"}, field)
    event = data.get("event")
    if not isinstance(event, str) or event not in TRIGGER_EVENTS:
        raise InvalidRequest(
            f"unknown event {event!r}: GET /webhook-events lists the events", field=f"{field}.event"
        )
    days = data.get("days")
    if days is not None:
        if event not in EVENTS_WITH_DAYS:
            raise InvalidRequest(f"days applies to {', '.join(sorted(EVENTS_WITH_DAYS))} only",
                                 field=f"{field}.days")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            raise InvalidRequest(f"days is a whole number from 1 to {MAX_DAYS}",
                                 field=f"{field}.days")
    return EventTrigger(event, days)


def _schedule(data: Mapping, field: str, check_cron: CheckCron | None) -> ScheduleTrigger:
    _only(data, {"type", "interval", "cron", "calendar", "timezone"}, field)
    given = [key for key in ("interval", "cron", "calendar") if data.get(key) is not None]
    if len(given) != 1:
        raise InvalidRequest("a schedule has exactly one of interval, cron or calendar",
                             field=f"{field}.{given[1] if given else 'interval'}")
    timezone = data.get("timezone") or "UTC"
    if not isinstance(timezone, str) or zone(timezone) is None:
        raise InvalidRequest(f"unknown timezone {timezone!r}: use an IANA name such as "
                             "Europe/Berlin", field=f"{field}.timezone")
    if given == ["interval"]:
        return ScheduleTrigger(interval=parse_duration(data["interval"], f"{field}.interval"),
                               timezone=timezone)
    if given == ["calendar"]:
        calendar = data["calendar"]
        if calendar not in CALENDARS:
            raise InvalidRequest(f"unknown calendar {calendar!r}: use {', '.join(CALENDARS)}",
                                 field=f"{field}.calendar")
        return ScheduleTrigger(calendar=calendar, timezone=timezone)
    cron = data["cron"]
    if not isinstance(cron, str) or not cron.strip():
        raise InvalidRequest("cron is a cron expression such as '0 9 * * 1'", field=f"{field}.cron")
    cron = " ".join(cron.split())
    if check_cron is not None:
        check_cron(cron, f"{field}.cron")
    return ScheduleTrigger(cron=cron, timezone=timezone)


def trigger_to_data(trigger: Trigger) -> dict[str, object]:
    if isinstance(trigger, EventTrigger):
        data: dict[str, object] = {"type": "event", "event": trigger.event}
        if trigger.days is not None:
            data["days"] = trigger.days
        return data
    if isinstance(trigger, ManualTrigger):
        return {"type": "manual"}
    data = {"type": "schedule"}
    if trigger.interval is not None:
        data["interval"] = format_duration(trigger.interval)
    elif trigger.cron is not None:
        data["cron"] = trigger.cron
    else:
        data["calendar"] = trigger.calendar
    data["timezone"] = trigger.timezone
    return data
