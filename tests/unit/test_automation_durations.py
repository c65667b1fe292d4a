"""Durations (``30m``, ``3d``, ``2w``) and retry delays."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.automations.durations import (
    MAX_DURATION,
    UNITS,
    format_duration,
    parse_duration,
)
from kassa.domain.automations.retry import ErrorHandling, parse_error_handling
from kassa.domain.errors import InvalidRequest

from .helpers import PROPERTY


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("30m", timedelta(minutes=30)),
        ("3d", timedelta(days=3)),
        ("2w", timedelta(weeks=2)),
        ("24h", timedelta(hours=24)),
        ("5m", timedelta(minutes=5)),
        ("90s", timedelta(seconds=90)),
        (" 7d ", timedelta(days=7)),
        ("3660d", MAX_DURATION),
    ],
)
def test_durations(text, duration):
    assert parse_duration(text) == duration


@pytest.mark.parametrize(
    "text", ["3x", "-1d", "0d", "0s", "1.5h", "d", "3", "3 d", "1h30m", "3D", "", "3661d",
             "9999999999w", 3, None],
)
def test_bad_durations_name_the_field(text):
    with pytest.raises(InvalidRequest) as error:
        parse_duration(text, "steps[1].duration")
    assert error.value.field == "steps[1].duration"


def test_canonical_text_is_the_largest_whole_unit():
    assert [format_duration(parse_duration(t)) for t in ("24h", "14d", "90s", "120s", "5m")] == [
        "1d", "2w", "90s", "2m", "5m"]
    for bad in (timedelta(0), timedelta(seconds=-60), timedelta(milliseconds=1500)):
        with pytest.raises(ValueError):
            format_duration(bad)


@PROPERTY
@given(st.integers(1, 9999), st.sampled_from(sorted(UNITS)))
def test_parse_then_format_then_parse_is_the_same_duration(number, unit):
    text = f"{number}{unit}"
    if number * UNITS[unit] > MAX_DURATION:
        with pytest.raises(InvalidRequest):
            parse_duration(text)
        return
    duration = parse_duration(text)
    assert parse_duration(format_duration(duration)) == duration
    assert format_duration(parse_duration(format_duration(duration))) == format_duration(duration)


@PROPERTY
@given(st.integers(1, MAX_DURATION // timedelta(seconds=1)))
def test_format_then_parse_gives_the_duration_back(seconds):
    duration = timedelta(seconds=seconds)
    assert parse_duration(format_duration(duration)) == duration


def test_the_documents_retry_configuration():
    handling = parse_error_handling({"retries": 3, "retryDelay": "5m", "backoffMultiplier": 2},
                                    "errorHandling")
    assert [handling.delay_before(attempt) for attempt in range(1, 6)] == [
        timedelta(0), timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=20), None]


def test_retry_defaults_and_fractional_multipliers():
    assert parse_error_handling({"retries": 2}, "e") == ErrorHandling(2, timedelta(minutes=5),
                                                                      Decimal(1))
    handling = parse_error_handling({"retries": 3, "retryDelay": "1m",
                                     "backoffMultiplier": 1.5}, "e")
    assert handling.backoff_multiplier == Decimal("1.5")
    assert handling.delay_before(4) == timedelta(seconds=135)  # 60 × 1.5², exactly
    assert parse_error_handling({"retries": 0}, "e").delay_before(2) is None
    with pytest.raises(ValueError):
        handling.delay_before(0)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([3], "e"),
        ({}, "e.retries"),
        ({"retries": -1}, "e.retries"),
        ({"retries": True}, "e.retries"),
        ({"retries": 1, "retryDelay": "soon"}, "e.retryDelay"),
        ({"retries": 1, "backoffMultiplier": "fast"}, "e.backoffMultiplier"),
        ({"retries": 1, "backoffMultiplier": 11}, "e.backoffMultiplier"),
        ({"retries": 1, "backoffMultiplier": "NaN"}, "e.backoffMultiplier"),
        ({"retries": 1, "retryDelay": "91d"}, "e.retryDelay"),
        ({"retries": 10, "retryDelay": "1d", "backoffMultiplier": 2}, "e.backoffMultiplier"),
    ],
)
def test_bad_retry_configuration_names_the_field(data, field):
    with pytest.raises(InvalidRequest) as error:
        parse_error_handling(data, "e")
    assert error.value.field == field


@PROPERTY
@given(
    st.integers(1, 10),
    st.integers(1, 3600),
    st.decimals(min_value=1, max_value=3, places=2),
)
def test_each_retry_waits_the_multiplier_times_the_one_before(retries, seconds, multiplier):
    handling = ErrorHandling(retries, timedelta(seconds=seconds), multiplier)
    delays = [handling.delay_before(attempt) for attempt in range(2, retries + 2)]
    assert delays[0] == timedelta(seconds=seconds)
    for earlier, later in zip(delays, delays[1:]):
        assert later >= earlier
        # each is the exact product rounded to a whole second
        assert abs(Decimal(later // timedelta(seconds=1))
                   - multiplier * Decimal(earlier // timedelta(seconds=1))) <= 1 + multiplier
    assert handling.delay_before(retries + 2) is None
