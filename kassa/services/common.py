"""Small use cases shared by several resources."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Table

from kassa.services.context import Ctx
from kassa.store.queries import get_row, update_row

View = Callable[[Mapping[str, Any]], dict[str, Any]]


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
