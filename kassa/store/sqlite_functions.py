"""SQL functions Kassa adds to SQLite connections (PostgreSQL has native equivalents).

SQLite has no exact decimal arithmetic, so decimal aggregates are computed by these functions
inside the SQL engine, over the exact text of the stored values.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal, InvalidOperation


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
            self.total = d if self.total is None else self.total + d

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


class _DecimalAvg:
    def __init__(self) -> None:
        self.total = Decimal(0)
        self.count = 0

    def step(self, value: object) -> None:
        d = _to_decimal(value)
        if d is not None:
            self.total += d
            self.count += 1

    def finalize(self) -> str | None:
        return None if self.count == 0 else format(self.total / self.count, "f")


def _decimal_text(value: object) -> str | None:
    d = _to_decimal(value)
    return None if d is None else format(d, "f")


def register(conn: sqlite3.Connection) -> None:
    """Install Kassa's functions on one SQLite connection."""
    conn.create_aggregate("kassa_dsum", 1, _DecimalSum)  # type: ignore[arg-type]
    conn.create_aggregate("kassa_dmin", 1, _DecimalMin)  # type: ignore[arg-type]
    conn.create_aggregate("kassa_dmax", 1, _DecimalMax)  # type: ignore[arg-type]
    conn.create_aggregate("kassa_davg", 1, _DecimalAvg)  # type: ignore[arg-type]
    conn.create_function("kassa_decimal", 1, _decimal_text, deterministic=True)
