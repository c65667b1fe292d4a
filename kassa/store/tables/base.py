"""The shared MetaData and the column helpers every resource table uses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, UniqueConstraint
from sqlalchemy.schema import SchemaItem

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


def resource_table(
    name: str, *items: SchemaItem, archived: bool = False, listed: bool = True
) -> Table:
    """A table of an API resource: ``seq``, ``environment`` and ``id``, then the columns among
    ``items``, ``created_at``/``updated_at`` and ``archived_at`` when it can be archived; unique
    per (environment, id), then the constraints and indexes among ``items``, and an index on
    (environment, created_at) when it is listed newest first."""
    columns = [item for item in items if isinstance(item, Column)]
    constraints = [item for item in items if not isinstance(item, Column)]
    return Table(
        name,
        metadata,
        seq_column(),
        env_column(),
        id_column(),
        *columns,
        *timestamps(),
        *([Column("archived_at", UTCDateTime())] if archived else []),
        UniqueConstraint("environment", "id"),
        *constraints,
        *([Index(None, "environment", "created_at")] if listed else []),
    )
