"""Small use cases shared by several resources."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, select

from kassa.services.context import Ctx
from kassa.store.queries import (
    Filter,
    ListQuery,
    Page,
    fetch_page,
    get_row,
    insert_new,
    update_row,
)
from kassa.store.uow import UnitOfWork

View = Callable[[Mapping[str, Any]], dict[str, Any]]
# A list's filters; those that read the database (a customer id or alias) are built in the
# list's transaction: ``lambda uow: {"customer_id": customer_filter(uow.conn, ...), ...}``.
Filters = Mapping[str, Filter] | Callable[[UnitOfWork], Mapping[str, Filter]]
# Checks and completes a PATCH inside its transaction: (uow, row as stored, values to write).
Prepare = Callable[[UnitOfWork, dict[str, Any], dict[str, Any]], None]


def merge_metadata(current: Mapping[str, Any] | None, patch: Mapping[str, Any] | None) -> dict:
    """PATCH semantics for metadata: keys merge, a null value removes the key."""
    merged = dict(current or {})
    if patch is None:
        return {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def insert_object(
    uow: UnitOfWork, table: Table, fields: Mapping[str, Any], *, what: str, view: View, event: str
) -> dict[str, Any]:
    """Insert a new resource (``fields`` plus its environment, timestamps and no archived_at;
    a taken id is a 409 naming ``what``), emit ``event`` with its view and return the view;
    the caller commits."""
    row = {"environment": uow.environment, **fields, "created_at": uow.now,
           "updated_at": uow.now, "archived_at": None}
    insert_new(uow.conn, table, row, what=what)
    answer = view(row)
    uow.emit(event, answer)
    return answer


def update_object(
    ctx: Ctx, table: Table, object_id: str, changes: Mapping[str, Any], *, what: str,
    view: View, event: str, prepare: Prepare | None = None,
) -> dict[str, Any]:
    """PATCH an object: the row is locked while the change (metadata merged into what is
    stored) is checked and written, so parallel patches never drop each other's keys."""
    with ctx.uow() as uow:
        row = dict(get_row(uow.conn, table, uow.environment, object_id, what=what, for_update=True))
        values = {k: v for k, v in changes.items() if k != "metadata"}
        if "metadata" in changes:
            values["metadata"] = merge_metadata(row["metadata"], changes["metadata"])
        if prepare is not None:
            prepare(uow, row, values)
        values["updated_at"] = uow.now
        update_row(uow.conn, table, uow.environment, object_id, values)
        result = view({**row, **values})
        uow.emit(event, result)
        uow.commit()
    return result


def archive_object(
    ctx: Ctx, table: Table, object_id: str, *, what: str, view: View, event: str
) -> dict[str, Any]:
    """Archive an object (idempotent): it keeps its history and leaves default lists."""
    with ctx.uow() as uow:
        row = dict(get_row(uow.conn, table, uow.environment, object_id, what=what, for_update=True))
        if row["archived_at"] is None:
            values = {"archived_at": uow.now, "updated_at": uow.now}
            update_row(uow.conn, table, uow.environment, object_id, values)
            row.update(values)
            uow.emit(event, view(row))
        uow.commit()
    return view(row)


def get_object(ctx: Ctx, table: Table, object_id: str, *, what: str, view: View) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        return view(get_row(uow.conn, table, uow.environment, object_id, what=what))


def list_objects(
    ctx: Ctx, table: Table, query: ListQuery, *, view: View, sortable: Mapping[str, Any],
    filters: Filters, where: Sequence[ColumnElement[bool]] = (),
    default_sort: tuple[str, str] = ("created_at", "desc"),
) -> Page:
    """One page of the environment's ``table`` rows, each as ``view`` shows it."""
    with ctx.uow(read_only=True) as uow:
        page = fetch_page(
            uow.conn, table, uow.environment, query, sortable=sortable,
            filters=filters(uow) if callable(filters) else filters, where=where,
            default_sort=default_sort,
        )
    return page.map(view)


def names_by_id(ctx: Ctx, table: Table, ids: Sequence[str]) -> dict[str, str]:
    """``{id: name}`` of the environment's ``table`` rows among ``ids`` (archived ones too), in one
    query: what a list shows beside the ids it holds (a subscription's customer, an item's
    product)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    with ctx.uow(read_only=True) as uow:
        rows = uow.conn.execute(
            select(table.c.id, table.c.name).where(
                table.c.environment == uow.environment, table.c.id.in_(wanted)
            )
        )
        return {row.id: row.name for row in rows}
