"""The rules for one usage event, timestamps, exact JSON and the aggregation vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kassa.domain.usage import EMPTY_VALUE, UsageWindow, average, describe_filter
from kassa.domain.usage_events import (
    EventRejected,
    check_event,
    event_key,
    format_us,
    parse_timestamp_us,
    timestamp_us,
)
from kassa.services.exact_json import dumps_exact, loads_exact

NOW = timestamp_us(datetime(2026, 7, 1, tzinfo=UTC))


def _event(**overrides) -> dict:
    return {"account": "acme", "event_name": "api_call", "unique_id": "e1", **overrides}


def _reason(raw) -> str:
    with pytest.raises(EventRejected) as info:
        check_event(raw, NOW)
    return str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-01T00:00:00Z", "2026-07-01T00:00:00Z"),
        ("2026-07-01T02:30:00+02:30", "2026-07-01T00:00:00Z"),
        ("2026-06-30T22:00:00-02:00", "2026-07-01T00:00:00Z"),
        ("2026-07-01t00:00:00.5z", "2026-07-01T00:00:00.500000Z"),
        ("2026-07-01 00:00:00.123456789Z", "2026-07-01T00:00:00.123456Z"),
        ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"),
    ],
)
def test_rfc3339_timestamps(text: str, expected: str) -> None:
    assert format_us(parse_timestamp_us(text)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-07-01T00:00:00", "must be an RFC 3339 date-time such as 2026-07-01T12:00:00Z"),
        ("2026-07-01", "must be an RFC 3339 date-time such as 2026-07-01T12:00:00Z"),
        ("1751328000", "must be an RFC 3339 date-time such as 2026-07-01T12:00:00Z"),
        ("2026-02-30T00:00:00Z", "is not a valid date-time (day is out of range for month)"),
        ("2026-07-01T23:59:60Z", "is not a valid date-time (second must be in 0..59)"),
        ("2026-07-01T00:00:00+24:00", "has an invalid UTC offset"),
    ],
)
def test_bad_timestamps(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_timestamp_us(text)
    assert str(info.value) == message


def test_a_valid_event() -> None:
    event = check_event(
        _event(timestamp="2026-06-01T00:00:00Z", properties={"n": 3, "ok": True, "x": "y"}), NOW
    )
    assert (event.unique_id, event.account, event.event_name) == ("e1", "acme", "api_call")
    assert event.timestamp_us == timestamp_us(datetime(2026, 6, 1, tzinfo=UTC))
    assert event.properties == {"n": 3, "ok": True, "x": "y"} and event.timestamp_given
    defaulted = check_event(_event(), NOW)
    assert defaulted.timestamp_us == NOW and defaulted.properties == {}
    assert not defaulted.timestamp_given


def test_the_future_limit_is_five_minutes_inclusive() -> None:
    limit = NOW + 5 * 60 * 1_000_000
    assert check_event(_event(timestamp=format_us(limit)), NOW).timestamp_us == limit
    assert _reason(_event(timestamp="2026-07-01T00:05:00.000001Z")) == (
        "timestamp: more than 5 minutes ahead of the environment's clock (2026-07-01T00:00:00Z)"
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not an object", "event: must be an object"),
        (_event(customer="x"), "customer: unknown field; events take account, event_name, "
                               "unique_id, timestamp, properties and subscription_id"),
        ({"account": "a", "event_name": "e"}, "unique_id: is required"),
        (_event(unique_id=""), "unique_id: must be 1-255 characters"),
        (_event(unique_id="x" * 256), "unique_id: must be 1-255 characters"),
        (_event(unique_id=17), "unique_id: must be a string"),
        (_event(account=None), "account: is required"),
        (_event(account="a\x00b"), "account: must not contain the NUL character"),
        (_event(event_name=" api_call"), "event_name: must not start or end with whitespace"),
        (_event(event_name=["x"]), "event_name: must be a string"),
        (_event(timestamp=1751328000), "timestamp: must be an RFC 3339 string such as "
                                       "2026-07-01T12:00:00Z"),
        (_event(timestamp="1969-12-31T23:59:59Z"),
         "timestamp: must not be before 1970-01-01T00:00:00Z"),
        (_event(properties=[1]), "properties: must be an object of flat key/value pairs"),
        (_event(properties={"a": {"b": 1}}),
         "properties.a: must be a string, number or boolean (properties are flat)"),
        (_event(properties={"a": [1]}),
         "properties.a: must be a string, number or boolean (properties are flat)"),
        (_event(properties={"a": None}),
         "properties.a: must be a string, number or boolean (properties are flat)"),
        (_event(properties={"a": "x" * 1001}), "properties.a: strings are at most 1000 characters"),
        (_event(properties={"a": "\x00"}), "properties.a: must not contain the NUL character"),
        (_event(properties={"": 1}), "properties: name '' must be 1-255 characters without "
                                     "quotes, backslashes or control characters"),
        (_event(properties={'a"b': 1}), "properties: name 'a\"b' must be 1-255 characters "
                                        "without quotes, backslashes or control characters"),
        (_event(properties={"x" * 256: 1}), "properties: name '" + "x" * 40 + "' must be 1-255 "
                                            "characters without quotes, backslashes or control "
                                            "characters"),
        (_event(properties={"n": Decimal("Infinity")}), "properties.n: must be a finite number"),
    ],
)
def test_every_refusal_names_its_field(raw, reason: str) -> None:
    assert _reason(raw) == reason


def test_fifty_flat_properties_and_no_more() -> None:
    fifty = {f"p{i}": i for i in range(50)}
    assert len(check_event(_event(properties=fifty), NOW).properties) == 50
    assert _reason(_event(properties={**fifty, "p50": 50})) == (
        "properties: at most 50 properties per event, got 51"
    )


def test_integers_beyond_64_bits_are_kept_as_decimals() -> None:
    event = check_event(_event(properties={"big": 2**70, "neg": -(2**63)}), NOW)
    assert event.properties == {"big": Decimal(2**70), "neg": -(2**63)}
    assert type(event.properties["big"]) is Decimal and type(event.properties["neg"]) is int


def test_events_are_named_by_unique_id_or_position() -> None:
    assert event_key(_event(), 3) == "e1"
    assert event_key({"unique_id": ""}, 3) == "events[3]"
    assert event_key({"unique_id": 5}, 4) == "events[4]"
    assert event_key("junk", 0) == "events[0]"


def test_json_numbers_stay_exactly_as_sent() -> None:
    doc = loads_exact(
        b'{"a": 0.1, "b": 1.50, "c": 0.10000000000000000001, "d": 12345678901234567890123,'
        b' "e": 1e-7, "f": 7, "g": true, "h": "0.1"}'
    )
    assert doc == {
        "a": Decimal("0.1"), "b": Decimal("1.50"), "c": Decimal("0.10000000000000000001"),
        "d": 12345678901234567890123, "e": Decimal("1E-7"), "f": 7, "g": True, "h": "0.1",
    }
    assert dumps_exact(doc) == (
        b'{"a":0.1,"b":1.50,"c":0.10000000000000000001,"d":12345678901234567890123,'
        b'"e":1E-7,"f":7,"g":true,"h":"0.1"}'
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": 1', "Expecting ',' delimiter at line 1 column 8"),
        (b'{"a": "\xff"}', "the body is not valid UTF-8"),
        (b'{"a": "\\ud800"}', "a \\u escape is a lone UTF-16 surrogate, not a character"),
    ],
)
def test_malformed_json(body: bytes, reason: str) -> None:
    with pytest.raises(ValueError) as info:
        loads_exact(body)
    assert str(info.value) == reason
    assert loads_exact(b'"\\ud83d\\ude00"') == "\U0001f600"  # a proper pair is one character


def test_empty_windows_and_averages() -> None:
    assert EMPTY_VALUE == {
        "count": 0, "count_unique": 0, "sum": 0,
        "min": None, "max": None, "average": None, "latest": None,
    }
    assert average(Decimal(10), 3) == Decimal("3.333333333333333333333333333")
    assert average(Decimal("30.00"), 2) == Decimal("15.00")
    assert average(None, 0) is None and average(Decimal(0), 0) is None
    start = datetime(2026, 7, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="ends after it starts"):
        UsageWindow("c", start, start - timedelta(seconds=1))


def test_filters_are_described_as_written() -> None:
    assert describe_filter({"field": "region", "operator": "equal", "value": "eu"}) == (
        'region equal "eu"'
    )
    assert describe_filter({"field": "n", "operator": "gte", "value": "10"}) == "n gte 10"
    assert describe_filter({"field": "r", "operator": "in", "value": ["eu", 5, True]}) == (
        'r in ["eu", 5, true]'
    )
