"""Column types that keep values exact on both SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import JSON, Date, DateTime, String
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import JSONB, NUMERIC
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal stored exactly: NUMERIC on PostgreSQL, canonical decimal text on SQLite.

    The text form is ``format(value, "f")`` (no exponent, scale preserved: ``"500.00"``), so a
    value read back equals, digit for digit, the value written. SQLite compares these columns as
    text, so queries never order or compare money in SQL on SQLite.
    """

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(NUMERIC())
        return dialect.type_descriptor(String(80))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, never float")
        value = value if isinstance(value, Decimal) else Decimal(value)
        if not value.is_finite():
            raise ValueError("money must be a finite decimal")
        return value if dialect.name == "postgresql" else format(value, "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(value)


class _SQLiteInstant(sqlite.DATETIME):
    """``DATETIME`` in SQLite's schema, its values converted by ``UTCDateTime`` alone: the
    standard library's ``isoformat``/``fromisoformat`` write and read SQLAlchemy's own storage
    format (``2026-02-01 00:00:00.000000``) several times faster than its per-value formatting
    and regular expression, which a billing run did some 200,000 times."""

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None


class _SQLiteDay(TypeEngine[Any]):
    """``DATE`` in SQLite's schema, its values converted by ``ISODate`` alone (as
    ``_SQLiteInstant``; a plain type, so the driver's own DATE adaptation cannot take over)."""

    __visit_name__ = "DATE"


class ISODate(TypeDecorator[date]):
    """A calendar date: DATE on both; on SQLite SQLAlchemy's own text (``2026-02-01``), written
    and read with ``isoformat``/``fromisoformat``."""

    impl = Date
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return _SQLiteDay()
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        if isinstance(value, datetime):  # as SQLAlchemy's DATE: a datetime's day
            value = value.date()
        return value.isoformat()

    def process_result_value(self, value: Any, dialect: Dialect) -> date | None:
        if isinstance(value, str):  # SQLite
            return date.fromisoformat(value)
        return value


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant: TIMESTAMPTZ on PostgreSQL, sortable UTC text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return _SQLiteInstant()
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Kassa stores aware UTC instants only")
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None).isoformat(" ", "microseconds")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def JSONDoc() -> TypeEngine[Any]:  # noqa: N802 - reads like a type
    """JSON on SQLite, JSONB on PostgreSQL."""
    return JSON().with_variant(JSONB(), "postgresql")


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return format(obj, "f")
    raise TypeError(f"cannot store {type(obj).__name__} in a JSON column")


def json_dumps(value: Any) -> str:
    """Serializer for JSON columns: Decimals become decimal strings, never floats."""
    return orjson.dumps(value, default=_default).decode()


def json_loads(value: str | bytes) -> Any:
    return orjson.loads(value)
