"""The rules one usage event must meet to be stored. Pure: the caller hands in "now".

Events arrive by the thousand per request, so this module validates plain parsed JSON (dicts,
strings, ints, Decimals) with direct checks rather than model classes. Every refusal is an
``EventRejected`` whose message starts with the field it is about (``timestamp: ...``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

MAX_EVENTS_PER_REQUEST = 1000
MAX_PROPERTIES = 50
MAX_NAME_LENGTH = 255  # unique_id, account, event_name, property names
MAX_STRING_VALUE_LENGTH = 1000
FUTURE_TOLERANCE = timedelta(minutes=5)
FUTURE_TOLERANCE_US = FUTURE_TOLERANCE // timedelta(microseconds=1)
EVENT_FIELDS = frozenset({"account", "event_name", "unique_id", "timestamp", "properties",
                          "subscription_id"})
MAX_SUBSCRIPTION_ID_LENGTH = 80

# Integers outside this range do not fit the 64-bit JSON encoders; they are kept as Decimal.
_INT_RANGE = range(-(2**63), 2**64)
# Numbers stay exact, within what PostgreSQL's numeric (and so JSONB) holds with a wide margin:
# below 1e1000 in magnitude, at most 1000 decimal places. 1e999999 was a 500 there.
MAX_NUMBER_EXPONENT = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d\d):(\d\d))"
)
# Property names are addressed by JSON paths in SQL; quotes, backslashes and control characters
# cannot be addressed the same way on both databases, so they are refused.
_BAD_PROPERTY_NAME = re.compile(r'["\\\x00-\x1f]')


class EventRejected(ValueError):
    """One event cannot be stored; the message names the field (``timestamp: ...``)."""


@dataclass(slots=True)
class EventIn:
    """A valid event, ready to store."""

    unique_id: str
    event_name: str
    account: str
    timestamp_us: int
    properties: dict[str, Any]
    timestamp_given: bool
    # The subscription to bill it to; None: the customer's one live subscription pricing its
    # metric (the earliest-started when several do).
    subscription_id: str | None = None


def parse_timestamp_us(value: str) -> int:
    """RFC 3339 (``2026-07-01T12:00:00Z``, offsets allowed) → microseconds since the epoch.

    Digits beyond microseconds are truncated. Raises ValueError with a readable reason.
    """
    m = _RFC3339.fullmatch(value)
    if m is None:
        raise ValueError("must be an RFC 3339 date-time such as 2026-07-01T12:00:00Z")
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = m.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        instant = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro,
            tzinfo=UTC,
        )
    except ValueError as exc:
        raise ValueError(f"is not a valid date-time ({exc})") from None
    us = (instant - _EPOCH) // _ONE_US
    if sign:
        if int(off_h) > 23 or int(off_m) > 59:
            raise ValueError("has an invalid UTC offset")
        offset = (int(off_h) * 3600 + int(off_m) * 60) * 1_000_000
        us = us - offset if sign == "+" else us + offset
    return us


def timestamp_us(instant: datetime) -> int:
    """An aware datetime → microseconds since the epoch."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: usage instants are aware UTC")
    return (instant - _EPOCH) // _ONE_US


def instant_of(us: int) -> datetime:
    """Microseconds since the epoch → aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=us)


def _name(raw: dict[str, Any], field: str) -> str:
    value = raw.get(field)
    if value is None:
        raise EventRejected(f"{field}: is required")
    if type(value) is not str:
        raise EventRejected(f"{field}: must be a string")
    if not value or len(value) > MAX_NAME_LENGTH:
        raise EventRejected(f"{field}: must be 1-{MAX_NAME_LENGTH} characters")
    if "\x00" in value:
        raise EventRejected(f"{field}: must not contain the NUL character")
    return value


def check_properties(value: Any) -> dict[str, Any]:
    """At most 50 flat properties: string names, string/number/boolean values."""
    if value is None:
        return {}
    if type(value) is not dict:
        raise EventRejected("properties: must be an object of flat key/value pairs")
    if len(value) > MAX_PROPERTIES:
        raise EventRejected(
            f"properties: at most {MAX_PROPERTIES} properties per event, got {len(value)}"
        )
    for key, item in value.items():
        if not key or len(key) > MAX_NAME_LENGTH or _BAD_PROPERTY_NAME.search(key):
            raise EventRejected(
                f"properties: name {key[:40]!r} must be 1-{MAX_NAME_LENGTH} characters without "
                "quotes, backslashes or control characters"
            )
        kind = type(item)
        if kind is str:
            if len(item) > MAX_STRING_VALUE_LENGTH:
                raise EventRejected(
                    f"properties.{key}: strings are at most {MAX_STRING_VALUE_LENGTH} characters"
                )
            if "\x00" in item:
                raise EventRejected(f"properties.{key}: must not contain the NUL character")
        elif kind is int:
            if item not in _INT_RANGE:
                value[key] = _storable_number(key, Decimal(item))
        elif kind is Decimal:
            if not item.is_finite():
                raise EventRejected(f"properties.{key}: must be a finite number")
            _storable_number(key, item)
        elif kind is not bool:
            raise EventRejected(
                f"properties.{key}: must be a string, number or boolean (properties are flat)"
            )
    return value


def _storable_number(key: str, number: Decimal) -> Decimal:
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if number.adjusted() >= MAX_NUMBER_EXPONENT or -exponent > MAX_NUMBER_EXPONENT:
        raise EventRejected(
            f"properties.{key}: numbers must be below 1e{MAX_NUMBER_EXPONENT} in magnitude, with "
            f"at most {MAX_NUMBER_EXPONENT} decimal places"
        )
    return number


def check_event(raw: Any, now_us: int) -> EventIn:
    """Validate one event as parsed from JSON; ``now_us`` is the environment clock's now."""
    if type(raw) is not dict:
        raise EventRejected("event: must be an object")
    if not EVENT_FIELDS.issuperset(raw):
        unknown = sorted(k for k in raw if k not in EVENT_FIELDS)
        raise EventRejected(
            f"{unknown[0]}: unknown field; events take account, event_name, unique_id, "
            "timestamp, properties and subscription_id"
        )
    unique_id = _name(raw, "unique_id")
    account = _name(raw, "account")
    event_name = _name(raw, "event_name")
    if event_name != event_name.strip():
        raise EventRejected("event_name: must not start or end with whitespace")
    stamp = raw.get("timestamp")
    if stamp is None:
        at = now_us
    else:
        if type(stamp) is not str:
            raise EventRejected(
                "timestamp: must be an RFC 3339 string such as 2026-07-01T12:00:00Z"
            )
        try:
            at = parse_timestamp_us(stamp)
        except ValueError as exc:
            raise EventRejected(f"timestamp: {exc}") from None
        if at > now_us + FUTURE_TOLERANCE_US:
            raise EventRejected(
                "timestamp: more than 5 minutes ahead of the environment's clock "
                f"({format_us(now_us)})"
            )
        if at < 0:
            raise EventRejected("timestamp: must not be before 1970-01-01T00:00:00Z")
    properties = check_properties(raw.get("properties"))
    subscription_id = None
    if raw.get("subscription_id") is not None:
        subscription_id = _name(raw, "subscription_id")
        if len(subscription_id) > MAX_SUBSCRIPTION_ID_LENGTH:
            raise EventRejected(
                f"subscription_id: must be 1-{MAX_SUBSCRIPTION_ID_LENGTH} characters")
    return EventIn(unique_id, event_name, account, at, properties, stamp is not None,
                   subscription_id)


def event_key(raw: Any, index: int) -> str:
    """How the response names an event: its unique_id, or ``events[i]`` when it has none."""
    if type(raw) is dict:
        uid = raw.get("unique_id")
        if type(uid) is str and 0 < len(uid) <= MAX_NAME_LENGTH:
            return uid
    return f"events[{index}]"


def format_us(us: int) -> str:
    """Microseconds since the epoch → RFC 3339 UTC (fractions only when present)."""
    instant = instant_of(us)
    text = instant.strftime("%Y-%m-%dT%H:%M:%S")
    if instant.microsecond:
        text += f".{instant.microsecond:06d}"
    return text + "Z"
