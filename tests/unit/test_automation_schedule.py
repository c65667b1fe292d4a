"""Schedules: intervals from activation, calendar days at local midnight, cron in a timezone."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.automations import cron
from kassa.domain.automations.schedule import (
    CALENDARS,
    next_calendar,
    next_interval,
    next_occurrence,
    zone,
)
from kassa.domain.automations.triggers import ScheduleTrigger
from kassa.domain.errors import InvalidRequest

from .helpers import PROPERTY

UTC = timezone.utc


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_intervals_count_from_activation_and_never_fire_at_it():
    started = at(2024, 1, 1, 10)
    day = timedelta(hours=24)
    assert next_interval(started, day, started) == at(2024, 1, 2, 10)
    assert next_interval(started, day, at(2023, 12, 1)) == at(2024, 1, 2, 10)
    assert next_interval(started, day, at(2024, 1, 5, 9, 59)) == at(2024, 1, 5, 10)
    assert next_interval(started, day, at(2024, 1, 5, 10)) == at(2024, 1, 6, 10)


@pytest.mark.parametrize(
    ("calendar", "after", "expected"),
    [
        ("daily", at(2024, 1, 31, 0), at(2024, 2, 1)),
        ("daily", at(2024, 1, 31, 23, 59), at(2024, 2, 1)),
        ("weekly", at(2024, 1, 3), at(2024, 1, 8)),  # the next Monday
        ("weekly", at(2024, 1, 8), at(2024, 1, 15)),
        ("first_day_of_month", at(2024, 1, 1), at(2024, 2, 1)),
        ("first_day_of_month", at(2024, 12, 15), at(2025, 1, 1)),
        ("last_day_of_month", at(2024, 2, 1), at(2024, 2, 29)),
        ("last_day_of_month", at(2023, 2, 1), at(2023, 2, 28)),
        ("last_day_of_month", at(2024, 4, 30), at(2024, 5, 31)),
    ],
)
def test_calendar_days_in_utc(calendar, after, expected):
    assert next_calendar(calendar, "UTC", after) == expected


def test_calendar_midnight_is_local_across_dst():
    # 1st of the month in Berlin: 23:00Z the day before in winter, 22:00Z in summer.
    assert next_calendar("first_day_of_month", "Europe/Berlin", at(2024, 1, 15)) == at(
        2024, 1, 31, 23)
    assert next_calendar("first_day_of_month", "Europe/Berlin", at(2024, 6, 15)) == at(
        2024, 6, 30, 22)
    # Santiago skipped local midnight on 2022-09-11 (00:00 -04 became 01:00 -03): the run is at
    # the first instant after the gap, 04:00Z.
    assert next_calendar("daily", "America/Santiago", at(2022, 9, 10, 12)) == at(2022, 9, 11, 4)
    # Havana repeated its midnight hour on 2022-11-06 (01:00 CDT fell back to 00:00 CST): once.
    first = next_calendar("daily", "America/Havana", at(2022, 11, 5, 12))
    assert first == at(2022, 11, 6, 4)
    assert next_calendar("daily", "America/Havana", first) == at(2022, 11, 7, 5)


def test_next_occurrence_picks_the_schedule_kind():
    started = at(2024, 1, 1, 10)
    assert next_occurrence(ScheduleTrigger(interval=timedelta(hours=1)), started,
                           started_at=started) == at(2024, 1, 1, 11)
    assert next_occurrence(ScheduleTrigger(calendar="daily", timezone="Asia/Tokyo"), started,
                           started_at=started) == at(2024, 1, 1, 15)
    with pytest.raises(ValueError):
        next_occurrence(ScheduleTrigger(cron="* * * * *"), started, started_at=started)
    with pytest.raises(ValueError):
        next_interval(datetime(2024, 1, 1), timedelta(hours=1), started)
    with pytest.raises(ValueError):
        next_calendar("daily", "Nowhere/City", started)


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "../etc/passwd", "/UTC", " UTC"])
def test_unknown_timezones(name):
    assert zone(name) is None


_ZONES = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "America/Santiago",
                          "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Apia"])
_INSTANTS = st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1)).map(
    lambda naive: naive.replace(tzinfo=UTC))


@PROPERTY
@given(st.sampled_from(sorted(CALENDARS)), _ZONES, _INSTANTS)
def test_a_calendar_run_is_strictly_after_and_a_fixed_point_of_the_rule(calendar, name, after):
    run = next_calendar(calendar, name, after)
    assert run > after
    assert run - after <= timedelta(days=32)
    assert next_calendar(calendar, name, run - timedelta(microseconds=1)) == run
    # Nothing between: any instant in [after, run) has the same next run.
    middle = after + (run - after) / 2
    assert next_calendar(calendar, name, middle) == run
    local = run.astimezone(zone(name))
    assert local.time() < time(2)  # local midnight, or right after a DST gap at midnight
    day = local.date()
    assert {
        "daily": True,
        "weekly": day.weekday() == 0,
        "first_day_of_month": day.day == 1,
        "last_day_of_month": (day + timedelta(days=1)).day == 1,
    }[calendar]


@PROPERTY
@given(_INSTANTS, _INSTANTS, st.integers(1, 10**6))
def test_an_interval_run_is_strictly_after_and_on_the_grid(started, after, seconds):
    interval = timedelta(seconds=seconds)
    run = next_interval(started, interval, after)
    assert run > after and run > started
    assert (run - started) % interval == timedelta(0)
    assert run - interval <= max(after, started)


def test_cron_in_berlin_follows_dst():
    winter = cron.next_cron("0 9 * * 1", "Europe/Berlin", at(2024, 1, 10))
    summer = cron.next_cron("0 9 * * 1", "Europe/Berlin", at(2024, 7, 10))
    assert winter == at(2024, 1, 15, 8) and winter.tzinfo == UTC
    assert summer == at(2024, 7, 15, 7)
    assert cron.next_cron("0 9 * * 1", "Europe/Berlin", winter) == at(2024, 1, 22, 8)


def test_cron_across_the_dst_changes_runs_as_debian_cron_does():
    # Spring (2024-03-31, 02:00 -> 03:00 in Berlin): 02:30 runs right after the change.
    assert cron.next_cron("30 2 * * *", "Europe/Berlin", at(2024, 3, 30, 12)) == at(2024, 3, 31, 1)
    # Autumn (2024-10-27, 03:00 -> 02:00): 02:30 runs once, not twice.
    first = cron.next_cron("30 2 * * *", "Europe/Berlin", at(2024, 10, 26, 12))
    assert first == at(2024, 10, 27, 0, 30)
    assert cron.next_cron("30 2 * * *", "Europe/Berlin", first) == at(2024, 10, 28, 1, 30)


def test_cron_macros_and_next_run():
    assert cron.next_cron("@daily", "UTC", at(2024, 1, 1, 5)) == at(2024, 1, 2)
    started = at(2024, 1, 1)
    assert cron.next_run(ScheduleTrigger(cron="*/15 * * * *"), at(2024, 1, 1, 0, 7),
                         started_at=started) == at(2024, 1, 1, 0, 15)
    assert cron.next_run(ScheduleTrigger(interval=timedelta(days=1)), started,
                         started_at=started) == at(2024, 1, 2)


@pytest.mark.parametrize(
    "expression", ["61 9 * * 1", "0 9 * *", "0 9 * * 1 2024", "* * * * * *", "0 0 30 2 *",
                   "@reboot", "H * * * *", "0 25 * * *"],
)
def test_bad_cron_expressions_name_trigger_cron(expression):
    with pytest.raises(InvalidRequest) as error:
        cron.check(expression)
    assert error.value.field == "trigger.cron"
    with pytest.raises(InvalidRequest) as error:
        cron.next_cron(expression, "UTC", at(2024, 1, 1))
    assert error.value.field == "trigger.cron"


def test_an_unknown_timezone_names_trigger_timezone():
    with pytest.raises(InvalidRequest) as error:
        cron.next_cron("0 9 * * 1", "Europe/Atlantis", at(2024, 1, 1))
    assert error.value.field == "trigger.timezone"
    with pytest.raises(ValueError):
        cron.next_cron("0 9 * * 1", "UTC", datetime(2024, 1, 1))


@PROPERTY
@given(st.sampled_from(["0 9 * * 1", "30 2 * * *", "*/7 * * * *", "0 0 1 * *", "15 3 * * 0"]),
       _ZONES, _INSTANTS)
def test_a_cron_run_is_strictly_after_and_a_fixed_point(expression, name, after):
    run = cron.next_cron(expression, name, after)
    assert run > after
    assert cron.next_cron(expression, name, run - timedelta(microseconds=1)) == run
    assert cron.next_cron(expression, name, after + (run - after) / 2) == run
