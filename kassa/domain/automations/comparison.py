"""How a rule compares a context value with the value it names (kassa.domain.automations.conditions).

Numbers compare as Decimal (an int, a Decimal, a JSON number or a numeric text alike: money in the
context is Decimal at the currency scale), instants and dates by their ISO text, texts as texts.
Anything else is equal only to itself and ordered with nothing: an ordering of values that are not
alike is false, never an error, so a rule over a missing field simply does not hold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any


def compare(operator: str, actual: Any, expected: Any) -> bool:
    """``actual <operator> expected``; values that cannot be compared are not ordered."""
    if operator == "equals":
        return _equal(actual, expected)
    if operator == "not_equals":
        return not _equal(actual, expected)
    if operator == "contains":
        if isinstance(actual, str):
            return isinstance(expected, str) and expected in actual
        if isinstance(actual, Mapping):
            return expected in actual
        if isinstance(actual, Sequence):
            return any(_equal(item, expected) for item in actual)
        return False
    if operator == "in":
        if isinstance(expected, str):
            return isinstance(actual, str) and actual in expected
        return isinstance(expected, Sequence) and any(_equal(actual, item) for item in expected)
    pair = _comparable(actual, expected)
    if pair is None:
        return False
    left, right = pair
    if operator == "greater_than":
        return left > right
    if operator == "greater_than_or_equal":
        return left >= right
    if operator == "less_than":
        return left < right
    return left <= right


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool) is not isinstance(expected, bool):
        return False  # true is not 1
    pair = _comparable(actual, expected)
    return pair[0] == pair[1] if pair is not None else actual == expected


def _comparable(actual: Any, expected: Any) -> tuple[Any, Any] | None:
    """Both as numbers, as instants, as dates or as texts; None when they are not alike."""
    numbers = _number(actual), _number(expected)
    if None not in numbers:
        return numbers
    if isinstance(actual, datetime) or isinstance(expected, datetime):
        instants = _instant(actual), _instant(expected)
        return instants if None not in instants else None
    if isinstance(actual, date) or isinstance(expected, date):
        days = _day(actual), _day(expected)
        return days if None not in days else None
    if isinstance(actual, str) and isinstance(expected, str):
        return actual, expected
    return None


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(?:\.\d+)?\s*", value):
        try:
            return Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            return None
    return None


def _instant(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return None


def _day(value: Any) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, date) else None
