"""SQL functions Kassa adds to SQLite connections (PostgreSQL has native equivalents).

SQLite has no exact decimal arithmetic, so decimal aggregates are computed by these functions
inside the SQL engine, over the exact text of the stored values.
"""

from __future__ import annotations

import re
import sqlite3
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, InvalidOperation

# Addition in this context never rounds (the default context keeps 28 digits, PostgreSQL's
# NUMERIC keeps them all).
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _to_decimal(value: object) -> Decimal | None:
    if value is None or isinstance(value, bytes):
        return None
    try:
        # str() of a float gives its shortest round-tripping text, i.e. the literal that was sent.
        result = Decimal(value if isinstance(value, (int, str)) else str(value))
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


class _DecimalSum:
    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: object) -> None:
        d = _to_decimal(value)
        if d is not None:
            self.total = d if self.total is None else _EXACT.add(self.total, d)

    def finalize(self) -> str | None:
        return None if self.total is None else format(self.total, "f")


class _DecimalMin:
    pick = min

    def __init__(self) -> None:
        self.best: Decimal | None = None

    def step(self, value: object) -> None:
        d = _to_decimal(value)
        if d is not None:
            self.best = d if self.best is None else type(self).pick(self.best, d)

    def finalize(self) -> str | None:
        return None if self.best is None else format(self.best, "f")


class _DecimalMax(_DecimalMin):
    pick = max


def _json_number(element: object) -> str | None:
    """The exact numeric text of a JSON element (``properties -> '$.x'``), else NULL.

    A JSON number gives its literal text; a string gives its content when it is a plain
    decimal (``"12.50"``); anything else (booleans, other strings) is not a number.
    """
    if type(element) is not str or not element:
        return None
    first = element[0]
    if first == '"':
        inner = element[1:-1]
        return inner if _PLAIN_DECIMAL.fullmatch(inner) else None
    if first == "-" or first.isdigit():
        return element
    return None


def _compare(left: object, right: object) -> int | None:
    """-1, 0 or 1 comparing two decimals exactly; NULL when either is not a decimal."""
    a, b = _to_decimal(left), _to_decimal(right)
    if a is None or b is None:
        return None
    return (a > b) - (a < b)


def _value_key(element: object) -> str | None:
    """A key equal for equal JSON values: strings by their JSON text, numbers by value."""
    if type(element) is not str or not element:
        return None
    first = element[0]
    if first == "-" or first.isdigit():
        d = _to_decimal(element)
        if d is None:
            return element
        text = format(d, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "n:0" if text in {"0", "-0"} else "n:" + text
    return element


def register(conn: sqlite3.Connection) -> None:
    """Install Kassa's functions on one SQLite connection."""
    conn.create_aggregate("kassa_dsum", 1, _DecimalSum)  # type: ignore[arg-type]
    conn.create_aggregate("kassa_dmin", 1, _DecimalMin)  # type: ignore[arg-type]
    conn.create_aggregate("kassa_dmax", 1, _DecimalMax)  # type: ignore[arg-type]
    conn.create_function("kassa_number", 1, _json_number, deterministic=True)
    conn.create_function("kassa_dcmp", 2, _compare, deterministic=True)
    conn.create_function("kassa_vkey", 1, _value_key, deterministic=True)
