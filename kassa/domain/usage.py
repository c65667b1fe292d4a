"""Metric aggregation: the vocabulary shared by the SQL that aggregates and the debugger.

Semantics (the SQL in ``kassa.store.usage_sql`` implements exactly these):

- A *numeric* property value is a JSON number, or a string holding a plain decimal
  (``"12.50"``, ``"-3"``; no exponent, no spaces). Booleans are not numbers.
- ``count`` counts matching events; ``count_unique`` counts distinct values of the field among
  matching events that have it (``"5"`` and ``5`` differ; ``1`` and ``1.0`` are the same number);
  ``sum``/``min``/``max``/``average`` use the numeric values of the field and ignore events
  without one; ``latest`` is the numeric value of the field on the matching event with the
  greatest timestamp (ties: the one received last).
- Filters: ``equal`` with a string value matches a string property equal to it (case-sensitive);
  with a number, a numeric property equal to it; with a boolean, that boolean. ``in`` is
  ``equal`` to any of its values. ``contains`` matches a string property containing the value.
  ``gt``/``gte``/``lt``/``lte`` compare numeric properties. ``not_equal`` and ``not_contains`` are
  the exact negations, so they also match events that lack the property. Filters of a group are
  joined by the group's operator; groups are ANDed.
- Windows are half-open: ``start <= timestamp < end``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any

METHODS = ("count", "count_unique", "sum", "min", "max", "average", "latest")
NUMERIC_METHODS = frozenset({"sum", "min", "max", "average", "latest"})
COMPARISONS = frozenset({"gt", "gte", "lt", "lte"})

# What an empty window is worth. Counting and summing nothing is 0; the smallest, largest,
# average or latest of nothing does not exist, so those are None ("no value") and the caller
# decides (pricing treats "no value" as no usage).
EMPTY_VALUE: Mapping[str, Decimal | None] = {
    "count": Decimal(0),
    "count_unique": Decimal(0),
    "sum": Decimal(0),
    "min": None,
    "max": None,
    "average": None,
    "latest": None,
}

# average = exact sum / count, to 28 significant digits, half-even: identical on both databases
# (their native averages differ in scale).
AVERAGE_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class UsageWindow:
    """One customer over a half-open time range ``[start, end)``.

    With ``subscription_id``, the part of the customer's usage billed to that subscription: the
    events naming it, and those naming no subscription within ``claims`` (the stretches in which
    the subscription owns the metric's unnamed events; None: the whole window). Without it,
    every event of the customer."""

    customer_id: str
    start: datetime
    end: datetime
    subscription_id: str | None = None
    claims: tuple[tuple[datetime, datetime], ...] | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("usage windows need aware datetimes")
        if self.end < self.start:
            raise ValueError("a usage window ends after it starts")


def average(total: Decimal | None, count: int) -> Decimal | None:
    """The mean of ``count`` values summing to ``total``; None when there are none."""
    if not count or total is None:
        return None
    return AVERAGE_CONTEXT.divide(total, Decimal(count))


def filter_value_decimal(value: Any) -> Decimal:
    """A filter's numeric value as an exact Decimal (JSON floats by their shortest text)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def is_number_value(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def describe_filter(flt: Mapping[str, Any]) -> str:
    """``region equal "eu"`` — how the debugger names a filter."""
    value = flt["value"]
    if flt["operator"] in COMPARISONS:  # stored as decimal strings, shown as the numbers they are
        return f"{flt['field']} {flt['operator']} {value}"
    if isinstance(value, list):
        shown = "[" + ", ".join(_show(v) for v in value) + "]"
    else:
        shown = _show(value)
    return f"{flt['field']} {flt['operator']} {shown}"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value + '"'
    return str(value)
