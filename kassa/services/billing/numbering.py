"""Gapless per-environment numbers: a counter row incremented inside the issuing transaction.

The row is locked by the UPDATE until the transaction ends (PostgreSQL row lock; SQLite's single
writer), so numbers are unique, and a rolled-back issue releases its number: no gaps.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from kassa.store.tables import sequences
from kassa.store.uow import UnitOfWork

FORMATS = {"invoice": "INV-{:06d}", "credit_note": "CN-{:06d}"}


def reserve(uow: UnitOfWork, name: str, count: int = 1) -> list[str]:
    """``count`` consecutive numbers of sequence ``name``, formatted (``TEST-`` in sandbox)."""
    if count <= 0:
        return []
    dialect = postgresql if uow.dialect == "postgresql" else sqlite
    uow.conn.execute(
        dialect.insert(sequences)
        .values(environment=uow.environment, name=name, value=0)
        .on_conflict_do_nothing(index_elements=["environment", "name"])
    )
    last = uow.conn.execute(
        update(sequences)
        .where((sequences.c.environment == uow.environment) & (sequences.c.name == name))
        .values(value=sequences.c.value + count)
        .returning(sequences.c.value)
    ).scalar_one()
    prefix = "" if uow.environment == "production" else "TEST-"
    return [prefix + FORMATS[name].format(n) for n in range(last - count + 1, last + 1)]
