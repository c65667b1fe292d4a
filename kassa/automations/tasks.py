"""Tasks: what ``create_task`` leaves for a person (``GET /tasks``, ``PATCH /tasks/{id}``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from kassa.domain.errors import InvalidRequest
from kassa.ids import new_id
from kassa.services.context import Ctx
from kassa.services.serialize import rfc3339
from kassa.store.queries import ListQuery, Page, fetch_page, get_row, in_filter, update_row
from kassa.store.tables import tasks
from kassa.store.uow import UnitOfWork

STATUSES = ("open", "completed")
SORTABLE = {"created_at": tasks.c.created_at, "updated_at": tasks.c.updated_at}
FILTERS = {"status": in_filter(tasks.c.status), "assignee": in_filter(tasks.c.assignee),
           "customer_id": in_filter(tasks.c.customer_id),
           "invoice_id": in_filter(tasks.c.invoice_id),
           "execution_id": in_filter(tasks.c.execution_id)}


def task_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "status": row["status"], "assignee": row["assignee"],
        "message": row["message"], "customer_id": row["customer_id"],
        "invoice_id": row["invoice_id"], "execution_id": row["execution_id"],
        "completed_at": rfc3339(row["completed_at"]), "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
    }


def add_task(uow: UnitOfWork, *, message: str, assignee: str | None, customer_id: str | None,
             invoice_id: str | None, execution_id: str, source: str) -> str:
    """The task of one step run (the same step run again makes no second task); its id."""
    row = {"environment": uow.environment, "id": new_id("task"), "status": "open",
           "assignee": assignee or None, "message": message, "customer_id": customer_id,
           "invoice_id": invoice_id, "execution_id": execution_id, "source": source,
           "completed_at": None, "created_at": uow.now, "updated_at": uow.now}
    dialect = postgresql if uow.dialect == "postgresql" else sqlite
    created = uow.conn.execute(dialect.insert(tasks).on_conflict_do_nothing(
        index_elements=["environment", "execution_id", "source"]).returning(tasks.c.id),
        row).scalar_one_or_none()
    if created is None:
        return str(uow.conn.execute(tasks.select().with_only_columns(tasks.c.id).where(
            tasks.c.environment == uow.environment, tasks.c.execution_id == execution_id,
            tasks.c.source == source)).scalar_one())
    return str(created)


def list_tasks(ctx: Ctx, query: ListQuery) -> Page:
    with ctx.uow(read_only=True) as uow:
        page = fetch_page(uow.conn, tasks, uow.environment, query, sortable=SORTABLE,
                          filters=FILTERS)
    return page.map(task_view)


def get_task(ctx: Ctx, task_id: str) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        return task_view(get_row(uow.conn, tasks, uow.environment, task_id, what="Task"))


def update_task(ctx: Ctx, task_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Complete (``status: completed``) or reopen a task, or change its assignee or message."""
    with ctx.uow() as uow:
        row = dict(get_row(uow.conn, tasks, uow.environment, task_id, what="Task",
                           for_update=True))
        values = {k: changes[k] for k in ("assignee", "message", "status") if k in changes}
        if values.get("status") not in (None, *STATUSES):
            raise InvalidRequest("status is open or completed.", field="status")
        if "status" in values and values["status"] != row["status"]:
            values["completed_at"] = uow.now if values["status"] == "completed" else None
        values["updated_at"] = uow.now
        update_row(uow.conn, tasks, uow.environment, task_id, values)
        uow.commit()
    return task_view({**row, **values})
