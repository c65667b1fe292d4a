"""Scheduled automations as due work: each active schedule's next run, in time order.

``next_due`` is the earliest ``next_run_at``; ``run`` starts one execution per occurrence that
fell due (the occurrence's instant is its trigger key, so a run repeated after a crash starts
nothing twice) and moves the schedule to its next occurrence. A sandbox advance steps the
clock to each occurrence in turn, so each one that fell due runs, in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from kassa.automations import cron
from kassa.domain.automations.triggers import ScheduleTrigger
from kassa.due_work import DueWork, RanItem
from kassa.services.serialize import rfc3339
from kassa.store.queries import update_row
from kassa.store.tables import automation_schedules

if TYPE_CHECKING:
    from kassa.services.context import Ctx

BATCH = 100


def next_run(trigger: ScheduleTrigger, after: datetime, activated_at: datetime) -> datetime:
    """The first occurrence of ``trigger`` strictly after ``after``."""
    return cron.next_run(trigger, after, started_at=activated_at)


def _next_due(conn: Connection, environment: str) -> datetime | None:
    return conn.execute(select(func.min(automation_schedules.c.next_run_at)).where(
        automation_schedules.c.environment == environment)).scalar_one()


def _run(ctx: Ctx) -> list[RanItem]:
    from kassa.automations.executions import start_execution
    from kassa.automations.store import definition_of
    from kassa.automations.triggers import manual_snapshot

    ran: list[RanItem] = []
    with ctx.uow() as uow:
        due = uow.conn.execute(select(automation_schedules).where(
            automation_schedules.c.environment == uow.environment,
            automation_schedules.c.next_run_at <= uow.now,
        ).order_by(automation_schedules.c.next_run_at, automation_schedules.c.seq)
            .limit(BATCH).with_for_update(skip_locked=True)).mappings().all()
        for row in due:
            definition = definition_of(uow.conn, uow.environment, row["version_id"])
            trigger: Any = definition.trigger
            at = row["next_run_at"]
            snapshot = {**manual_snapshot(uow, {}), "event": "schedule",
                        "scheduledAt": rfc3339(at)}
            started = start_execution(uow, row["automation_id"], row["version_id"],
                                      f"schedule:{rfc3339(at)}", "schedule", snapshot)
            update_row(uow.conn, automation_schedules, uow.environment, row["id"], {
                "next_run_at": next_run(trigger, max(at, uow.now), row["created_at"]),
                "updated_at": uow.now})
            ran.append({"type": "automation.scheduled", "automation_id": row["automation_id"],
                        "execution_id": started, "at": rfc3339(at)})
        uow.commit()
    return ran


SCHEDULES = DueWork("automation_schedules", _next_due, _run)
