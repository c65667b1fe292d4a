"""Executions: started once per (version, trigger), read back in the document's shape."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from kassa.automations import cursor
from kassa.domain.errors import NotFound
from kassa.ids import new_id
from kassa.queue.retry import RetryPolicy
from kassa.services.context import Ctx
from kassa.services.serialize import rfc3339
from kassa.store.queries import ListQuery, Page, fetch_page, get_row, in_filter
from kassa.store.tables import automation_executions, automation_step_runs, automations
from kassa.store.uow import UnitOfWork

STEP_JOB = "automation.step"
# A run fails only when the database cannot be reached (actions record their own failures).
STEP_RETRY = RetryPolicy(max_attempts=10, initial=timedelta(seconds=30), cap=timedelta(hours=1))
# The outbox consumer that starts executions (kassa.automations.triggers).
CONSUMER = "automations"
STATUSES = ("running", "waiting", "completed", "failed", "canceled")
SORTABLE = {"created_at": automation_executions.c.created_at,
            "triggered_at": automation_executions.c.triggered_at}
FILTERS = {"status": in_filter(automation_executions.c.status),
           "triggered_by": in_filter(automation_executions.c.triggered_by)}


@dataclass(frozen=True)
class Start:
    """An execution to start: of ``version_id`` for ``trigger_key`` (an event's id...)."""

    automation_id: str
    version_id: str
    trigger_key: str
    triggered_by: str
    snapshot: Mapping[str, Any]


def _execution_row(uow: UnitOfWork, start: Start) -> dict[str, Any]:
    return {"environment": uow.environment, "id": new_id("exec"),
            "automation_id": start.automation_id, "version_id": start.version_id,
            "trigger_key": start.trigger_key, "triggered_by": start.triggered_by,
            "triggered_at": uow.now, "trigger": dict(start.snapshot), "status": "running",
            "cursor": cursor.start(), "position": 0, "steps_executed": 0, "resume_at": None,
            "completed_at": None, "error": None, "created_at": uow.now, "updated_at": uow.now}


def _insert_new(uow: UnitOfWork, rows: list[dict[str, Any]]) -> list[str]:
    """Insert the executions of ``rows`` no execution of the same (version, trigger) precedes;
    the ids of those inserted."""
    dialect = postgresql if uow.dialect == "postgresql" else sqlite
    stmt = dialect.insert(automation_executions).on_conflict_do_nothing(
        index_elements=["environment", "version_id", "trigger_key"],
    ).returning(automation_executions.c.id)
    return [str(r.id) for r in uow.conn.execute(stmt, rows)]


def start_execution(uow: UnitOfWork, automation_id: str, version_id: str, trigger_key: str,
                    triggered_by: str, snapshot: Mapping[str, Any], *,
                    run_after_commit: bool = False) -> str | None:
    """A new execution and its first step job; None when this version already has one for
    ``trigger_key`` (an event delivered twice starts one execution)."""
    start = Start(automation_id, version_id, trigger_key, triggered_by, snapshot)
    created = _insert_new(uow, [_execution_row(uow, start)])
    if created:
        schedule_step(uow, created[0], 0, uow.now, run_after_commit=run_after_commit)
    return created[0] if created else None


def start_executions(uow: UnitOfWork, starts: Sequence[Start]) -> int:
    """``start_execution`` of each, in two statements (the executions, their first jobs); how
    many started."""
    if not starts:
        return 0
    created = _insert_new(uow, [_execution_row(uow, start) for start in starts])
    uow.enqueue_many(STEP_JOB, [({"execution_id": e, "position": 0}, uow.now) for e in created],
                     dedupe_keys=[step_key(e, 0) for e in created])
    return len(created)


def schedule_step(uow: UnitOfWork, execution_id: str, position: int, run_at: Any, *,
                  run_after_commit: bool = False) -> None:
    """The job that runs the execution from ``position`` (at ``run_at``, environment time)."""
    uow.enqueue(STEP_JOB, {"execution_id": execution_id, "position": position}, run_at,
                dedupe_key=step_key(execution_id, position), run_after_commit=run_after_commit)


def step_key(execution_id: str, position: int) -> str:
    return f"{execution_id}:{position}"


def step_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "path": row["path"], "type": row["type"], "action": row["action"],
        "status": row["status"], "attempts": row["attempts"],
        "startedAt": rfc3339(row["started_at"]), "finishedAt": rfc3339(row["finished_at"]),
        "output": row["output"], "error": row["error"],
    }


def execution_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "automationId": row["automation_id"], "versionId": row["version_id"],
        "status": row["status"], "triggeredBy": row["triggered_by"],
        "triggeredAt": rfc3339(row["triggered_at"]), "completedAt": rfc3339(row["completed_at"]),
        "stepsExecuted": row["steps_executed"], "resumeAt": rfc3339(row["resume_at"]),
        "error": row["error"],
    }


def _automation(uow: UnitOfWork, automation_id: str) -> None:
    get_row(uow.conn, automations, uow.environment, automation_id, what="Automation")


def list_executions(ctx: Ctx, automation_id: str, query: ListQuery) -> Page:
    with ctx.uow(read_only=True) as uow:
        _automation(uow, automation_id)
        page = fetch_page(uow.conn, automation_executions, uow.environment, query,
                          sortable=SORTABLE, filters=FILTERS,
                          where=[automation_executions.c.automation_id == automation_id])
    return page.map(execution_view)


def step_log(uow: UnitOfWork, execution_id: str) -> list[dict[str, Any]]:
    rows = uow.conn.execute(select(automation_step_runs).where(
        automation_step_runs.c.environment == uow.environment,
        automation_step_runs.c.execution_id == execution_id,
    ).order_by(automation_step_runs.c.seq)).mappings().all()
    return [step_view(r) for r in rows]


def get_execution(ctx: Ctx, automation_id: str, execution_id: str) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        _automation(uow, automation_id)
        row = get_row(uow.conn, automation_executions, uow.environment, execution_id,
                      what="Execution")
        if row["automation_id"] != automation_id:
            raise NotFound(f"Execution {execution_id!r} was not found.")
        return {**execution_view(row), "trigger": row["trigger"],
                "steps": step_log(uow, execution_id)}
