"""The shared MetaData and the column helpers every resource table uses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Integer, MetaData, String

from kassa.store.types import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
SeqType = BigInteger().with_variant(Integer(), "sqlite")

ENVIRONMENTS = ("sandbox", "production")


def seq_column() -> Column[Any]:
    """Surrogate key: insertion order, used as the tie-breaker of every sort."""
    return Column("seq", SeqType, primary_key=True, autoincrement=True)


def env_column() -> Column[Any]:
    return Column("environment", String(16), nullable=False)


def id_column() -> Column[Any]:
    return Column("id", String(80), nullable=False)


def timestamps() -> list[Column[Any]]:
    return [
        Column("created_at", UTCDateTime(), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False),
    ]
