"""An exact SUM of a money column that stays in the SQL engine's native arithmetic.

PostgreSQL sums NUMERIC exactly. SQLite stores money as canonical decimal text
(``kassa.store.types.ExactDecimal``), and its ``kassa_dsum`` aggregate runs Python per row: too
slow for a report over a million invoices. Here SQLite sums integers instead: each value is cut
at its point into a signed whole part and a signed fraction of known scale (``"-12.50"`` is -12
and -50 at scale 2), both summed as 64-bit integers, grouped by scale, and put back together in
Python (a row per scale, usually one). Exact for every value whose fraction fits 18 digits,
which every amount an invoice stores does.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, cast, func


class DecimalSum:
    """``columns`` go in a select, ``group_by`` in its GROUP BY (beside the caller's keys);
    ``of(row)`` reads one result row's sum back as a Decimal."""

    def __init__(self, dialect: str, column: Any, name: str = "amount") -> None:
        self.name = name
        self.pg = dialect == "postgresql"
        if self.pg:
            self.columns: list[ColumnElement[Any]] = [func.sum(column).label(name)]
            self.group_by: list[ColumnElement[Any]] = []
            return
        dot = func.instr(column, ".")
        scale = case((dot == 0, 0), else_=func.length(column) - dot)
        whole = case((dot == 0, cast(column, Integer)),
                     else_=cast(func.substr(column, 1, dot - 1), Integer))
        sign = case((func.substr(column, 1, 1) == "-", -1), else_=1)
        fraction = case((dot == 0, 0), else_=sign * cast(func.substr(column, dot + 1), Integer))
        self.columns = [scale.label(f"{name}_scale"), func.sum(whole).label(f"{name}_whole"),
                        func.sum(fraction).label(f"{name}_fraction")]
        self.group_by = [scale]

    def of(self, row: Mapping[str, Any]) -> Decimal:
        if self.pg:
            value = row[self.name]
            return Decimal(0) if value is None else Decimal(value)
        whole, fraction = row[f"{self.name}_whole"], row[f"{self.name}_fraction"]
        if whole is None:
            return Decimal(0)
        return Decimal(whole) + Decimal(fraction).scaleb(-int(row[f"{self.name}_scale"]))
