"""Adding to a rollup table's rows (``kassa.store.tables.reporting``): each row is its primary
key, an exact amount and a count; ``add`` applies signed deltas to them, in the caller's
transaction, so a rollup changes with the rows it sums or not at all.

PostgreSQL adds in the statement (``INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x``,
NUMERIC, exact), so concurrent transactions add up rather than overwrite each other; the rows
are written in key order, so two of them never wait on each other's rows crosswise. SQLite
keeps the amount as exact decimal text, which its arithmetic would turn into a float: the rows
are read and the sums made in Python, which is safe because a SQLite writer holds the database's
write lock from its first statement (``BEGIN IMMEDIATE``, ``kassa.store.engine``) to its commit.

In a unit of work the deltas wait for its commit (``flush``, called by ``UnitOfWork.commit``) and
are written then, every rollup in one order (by table, then key): the rows every writer shares
(today's, in one currency) are locked for the commit alone, and never in an order that could
deadlock with another transaction's. Deltas made inside a savepoint rolled back are dropped
with it. Outside a unit of work (a script's own transaction) they are written at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, localcontext
from typing import Any

from sqlalchemy import Connection, Engine, Numeric, Table, and_, event, or_, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite

Key = tuple[Any, ...]
_CHUNK = 200  # keys read per statement on SQLite
# Digits of the sums made in Python: enough for every sum to be exact, as PostgreSQL's NUMERIC
# is (a stored MRR has up to 60 significant digits, a unit of work's precision: 100 / 3).
PRECISION = 200


class Deltas:
    """Signed changes to a rollup's rows, by primary key (in the table's column order)."""

    def __init__(self) -> None:
        self.rows: dict[Key, list[Any]] = {}

    def add(self, key: Key, amount: Decimal, count: int) -> None:
        row = self.rows.setdefault(key, [Decimal(0), 0])
        with localcontext(prec=PRECISION):
            row[0] += amount
        row[1] += count

    def changes(self) -> list[tuple[Key, Decimal, int]]:
        """The keys whose amount or count changes, in key order."""
        return sorted(((k, a, n) for k, (a, n) in self.rows.items() if a or n),
                      key=lambda change: change[0])


def names(table: Table) -> tuple[list[str], str]:
    """The primary key's columns and the amount column of a rollup (the column before
    ``count``)."""
    keys = [c.name for c in table.primary_key.columns]
    amount = [c.name for c in table.columns if c.name not in keys and c.name != "count"]
    return keys, amount[0]


_PENDING = "kassa.rollups.pending"  # in Connection.info: a stack of {table: Deltas}, a layer
# per open savepoint


def add(conn: Connection, table: Table, deltas: Deltas) -> None:
    """Apply ``deltas`` to ``table``: at the commit of the connection's unit of work, or now."""
    stack = conn.info.get(_PENDING)
    if stack is None:
        _write(conn, table, deltas)
        return
    layer = stack[-1]
    waiting = layer.setdefault(table, Deltas())
    for key, (amount, count) in deltas.rows.items():
        waiting.add(key, amount, count)


def begin(conn: Connection) -> None:
    """A unit of work starts on ``conn``: deltas wait for ``flush``."""
    conn.info[_PENDING] = [{}]


def flush(conn: Connection) -> None:
    """Write the deltas waiting on ``conn`` (just before its commit)."""
    stack = conn.info.get(_PENDING)
    if not stack:
        return
    conn.info[_PENDING] = [{}]
    merged: dict[Table, Deltas] = {}
    for layer in stack:
        for table, deltas in layer.items():
            into = merged.setdefault(table, Deltas())
            for key, (amount, count) in deltas.rows.items():
                into.add(key, amount, count)
    for table in sorted(merged, key=lambda t: t.name):
        _write(conn, table, merged[table])


def end(conn: Connection) -> None:
    """The unit of work is over (committed or not): nothing waits any more."""
    conn.info.pop(_PENDING, None)


@event.listens_for(Engine, "savepoint")
def _savepoint(conn: Connection, name: str) -> None:
    if (stack := conn.info.get(_PENDING)) is not None:
        stack.append({})


@event.listens_for(Engine, "release_savepoint")
def _released(conn: Connection, name: str, context: object) -> None:
    stack = conn.info.get(_PENDING)
    if stack is not None and len(stack) > 1:
        for table, deltas in stack.pop().items():
            into = stack[-1].setdefault(table, Deltas())
            for key, (amount, count) in deltas.rows.items():
                into.add(key, amount, count)


@event.listens_for(Engine, "rollback_savepoint")
def _rolled_back(conn: Connection, name: str, context: object) -> None:
    stack = conn.info.get(_PENDING)
    if stack is not None and len(stack) > 1:
        stack.pop()


def _write(conn: Connection, table: Table, deltas: Deltas) -> None:
    changes = deltas.changes()
    if not changes:
        return
    keys, amount = names(table)
    if conn.dialect.name == "postgresql":
        stmt = postgresql.insert(table)
        conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_={
            # NUMERIC addition (the column's Python type is text-based: || otherwise)
            amount: type_coerce(table.c[amount], Numeric()) + type_coerce(stmt.excluded[amount],
                                                                          Numeric()),
            "count": table.c["count"] + stmt.excluded["count"]}),
            [_row(keys, amount, key, total, count) for key, total, count in changes])
        return
    stored = _stored(conn, table, keys, amount, [key for key, _, _ in changes])
    rows = []
    with localcontext(prec=PRECISION):
        for key, total, count in changes:
            before, how_many = stored.get(key, (Decimal(0), 0))
            rows.append(_row(keys, amount, key, before + total, how_many + count))
    stmt = sqlite.insert(table)
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_={
        amount: stmt.excluded[amount], "count": stmt.excluded["count"]}), rows)


def insert_all(conn: Connection, table: Table, deltas: Deltas) -> None:
    """Write ``deltas`` as the rows of an empty rollup (a rebuild)."""
    keys, amount = names(table)
    rows = [_row(keys, amount, key, total, count) for key, total, count in deltas.changes()]
    for start in range(0, len(rows), 5000):
        conn.execute(table.insert(), rows[start:start + 5000])


def _row(keys: list[str], amount: str, key: Key, total: Decimal, count: int) -> dict[str, Any]:
    return {**dict(zip(keys, key, strict=True)), amount: total, "count": count}


def _stored(conn: Connection, table: Table, keys: list[str], amount: str,
            wanted: Iterable[Key]) -> Mapping[Key, tuple[Decimal, int]]:
    found: dict[Key, tuple[Decimal, int]] = {}
    wanted = list(wanted)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        match = or_(*(_equals(table, keys, key) for key in chunk))
        for row in conn.execute(select(*(table.c[k] for k in keys), table.c[amount],
                                       table.c["count"]).where(match)):
            found[tuple(row[:len(keys)])] = (row[len(keys)], row[len(keys) + 1])
    return found


def _equals(table: Table, keys: list[str], key: Key) -> Any:
    return and_(*(table.c[k] == v for k, v in zip(keys, key, strict=True)))
