"""Small query helpers shared by every resource: fetch by id, list pages, update."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    Table,
    any_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from kassa.domain.errors import Conflict, InvalidRequest, NotFound
from kassa.store.types import json_dumps

Filter = Callable[[Sequence[str]], ColumnElement[bool]]


@dataclass(frozen=True)
class ListQuery:
    """What a list request asks for: a page, an order and 'any of' filters."""

    limit: int = 20
    offset: int = 0
    sort: tuple[str, str] | None = None  # (field, "asc" | "desc")
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows (or views of them) and the total number of matches."""

    rows: list[Any]
    total: int
    limit: int
    offset: int

    def map(self, view: Callable[[Any], Any]) -> Page:
        return Page([view(r) for r in self.rows], self.total, self.limit, self.offset)


def insert_row(conn: Connection, table: Table, values: Mapping[str, Any]) -> None:
    conn.execute(insert(table), dict(values))


def insert_new(conn: Connection, table: Table, row: Mapping[str, Any], *, what: str) -> None:
    """Insert ``row`` whose id the client may have chosen: an id in use is a Conflict, also when
    a parallel request takes it between the check and the insert (the unique index decides)."""
    conflict = Conflict(f"A {what} with id {row['id']!r} already exists.", field="id")
    exists = conn.execute(
        select(table.c.seq).where(table.c.environment == row["environment"], table.c.id == row["id"])
    ).first()
    if exists is not None:
        raise conflict
    try:
        conn.execute(insert(table), dict(row))
    except IntegrityError:
        raise conflict from None


def get_row(
    conn: Connection,
    table: Table,
    environment: str,
    object_id: str,
    *,
    what: str,
    for_update: bool = False,
) -> RowMapping:
    """The row with ``id`` in ``environment``, else NotFound("<what> <id> was not found.")."""
    stmt = select(table).where(table.c.environment == environment, table.c.id == object_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise NotFound(f"{what} {object_id!r} was not found.")
    return row


def update_row(
    conn: Connection, table: Table, environment: str, object_id: str, values: Mapping[str, Any]
) -> None:
    conn.execute(
        update(table)
        .where(table.c.environment == environment, table.c.id == object_id)
        .values(**values)
    )


def among(conn: Connection, column: Any, values: Sequence[str], name: str = "among") -> Any:
    """``column IN values`` as one parameter whatever the number of values (an array on
    PostgreSQL, a JSON list on SQLite): the statement text stays the same from call to call, so
    the driver parses (and PostgreSQL plans) it once, where an expanding IN renders one
    placeholder per value (and SQLite caps the number of placeholders). For lists of a batch's
    size (ingestion, billing runs); ``in_`` is fine for a handful of values."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(name, list(values), type_=ARRAY(String), unique=True))
    listed = func.json_each(bindparam(name, json_dumps(list(values)), unique=True)).table_valued(
        "value")
    return column.in_(select(listed.c.value).scalar_subquery())


def in_filter(column: Any, convert: Callable[[str], Any] = str) -> Filter:
    """``?status=a,b`` → ``status IN ('a','b')``, converting each value first."""

    def build(values: Sequence[str]) -> ColumnElement[bool]:
        return column.in_([convert(v) for v in values])

    return build


def search_filter(id_column: Any, *text_columns: Any) -> Filter:
    """``?search=acme``: one of ``text_columns`` contains the text (any case), or the id is
    it; a comma-separated value matches any of its parts."""

    def build(values: Sequence[str]) -> ColumnElement[bool]:
        return or_(*(
            or_(*(func.lower(c).contains(value.lower(), autoescape=True) for c in text_columns),
                id_column == value)
            for value in values
        ))

    return build


def fetch_page(
    conn: Connection,
    table: Table,
    environment: str,
    query: ListQuery,
    *,
    sortable: Mapping[str, Any],
    filters: Mapping[str, Filter],
    where: Sequence[ColumnElement[bool]] = (),
    default_sort: tuple[str, str] = ("created_at", "desc"),
) -> Page:
    """One page of ``table`` rows in ``environment``, with the total count."""
    clauses: list[ColumnElement[bool]] = [table.c.environment == environment, *where]
    for name, values in query.filters.items():
        build = filters.get(name)
        if build is None:
            raise InvalidRequest(f"Unknown filter {name!r}.", field=name)
        try:
            clauses.append(build(values))
        except (ValueError, ArithmeticError) as exc:
            raise InvalidRequest(f"Invalid value for filter {name!r}: {exc}", field=name) from None
    sort_field, direction = query.sort or default_sort
    column = sortable.get(sort_field)
    if column is None:
        allowed = ", ".join(sorted(sortable))
        raise InvalidRequest(
            f"Cannot sort by {sort_field!r}; sortable fields: {allowed}.", field="sort"
        )
    order = [column.asc(), table.c.seq.asc()] if direction == "asc" else [
        column.desc(),
        table.c.seq.desc(),
    ]
    total = conn.execute(select(func.count()).select_from(table).where(*clauses)).scalar_one()
    rows = (
        conn.execute(
            select(table).where(*clauses).order_by(*order).limit(query.limit).offset(query.offset)
        )
        .mappings()
        .all()
    )
    return Page(rows=list(rows), total=total, limit=query.limit, offset=query.offset)


def archived_filter(table: Table) -> Filter:
    """``?archived=true`` lists archived objects; the default lists live ones."""

    def build(values: Sequence[str]) -> ColumnElement[bool]:
        if len(values) != 1 or values[0].lower() not in {"true", "false"}:
            raise ValueError("use true or false")
        archived = values[0].lower() == "true"
        return table.c.archived_at.is_not(None) if archived else table.c.archived_at.is_(None)

    return build


def live_by_default(query: ListQuery) -> ListQuery:
    """Add ``archived=false`` unless the request chose."""
    if "archived" in query.filters:
        return query
    return ListQuery(query.limit, query.offset, query.sort, {**query.filters, "archived": ["false"]})
