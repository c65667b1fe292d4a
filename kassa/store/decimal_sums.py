"""An exact SUM of a money column that stays in the SQL engine's native arithmetic.

PostgreSQL sums NUMERIC exactly. SQLite stores money as canonical decimal text
(``kassa.store.types.ExactDecimal``), and its ``kassa_dsum`` aggregate runs Python per row: too
slow for a report over a million invoices. Here SQLite sums integers instead: each value is cut
at its point into a signed whole part and a signed fraction padded to ``PLACES`` digits
(``"-12.5"`` is -12 and -500000), both summed as 64-bit integers and put back together in
Python. That is exact for values with at most ``PLACES`` decimals, which every amount an invoice
stores has (the currency's minor unit); the largest scale met is read too, and a value with
more makes ``of`` raise rather than round.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, cast, func

PLACES = 6


class DecimalSum:
    """``columns`` go in a select (grouped by the caller's keys); ``of(row)`` reads one result
    row's sum back as a Decimal."""

    def __init__(self, dialect: str, column: Any, name: str = "amount") -> None:
        self.name = name
        self.pg = dialect == "postgresql"
        if self.pg:
            self.columns: list[ColumnElement[Any]] = [func.sum(column).label(name)]
            return
        dot = func.instr(column, ".")
        whole = case((dot == 0, cast(column, Integer)),
                     else_=cast(func.substr(column, 1, dot - 1), Integer))
        sign = case((func.substr(column, 1, 1) == "-", -1), else_=1)
        padded = func.substr(func.substr(column, dot + 1).op("||")("0" * PLACES), 1, PLACES)
        fraction = case((dot == 0, 0), else_=sign * cast(padded, Integer))
        scale = case((dot == 0, 0), else_=func.length(column) - dot)
        self.columns = [func.sum(whole).label(f"{name}_whole"),
                        func.sum(fraction).label(f"{name}_fraction"),
                        func.max(scale).label(f"{name}_scale")]

    def of(self, row: Mapping[str, Any]) -> Decimal:
        if self.pg:
            value = row[self.name]
            return Decimal(0) if value is None else Decimal(value)
        whole, fraction = row[f"{self.name}_whole"], row[f"{self.name}_fraction"]
        if whole is None:
            return Decimal(0)
        if row[f"{self.name}_scale"] > PLACES:
            raise ValueError(f"an amount with more than {PLACES} decimals cannot be summed here")
        return Decimal(whole) + Decimal(fraction).scaleb(-PLACES)
