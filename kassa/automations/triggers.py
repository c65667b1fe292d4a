"""What starts executions: the ``automations`` outbox consumer (event triggers), a manual run
(``POST /automations/{id}/run``), and scheduled runs (``kassa.automations.schedules``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import RowMapping

from kassa.automations.context import named_ids, records, step_context, trigger_snapshots
from kassa.automations.executions import Start, start_execution, start_executions
from kassa.automations.flow import holds
from kassa.automations.store import definition_of
from kassa.domain.automations.triggers import EventTrigger
from kassa.domain.errors import InvalidTransition
from kassa.ids import new_id
from kassa.services.context import Ctx
from kassa.store.queries import get_row
from kassa.store.tables import automations
from kassa.store.uow import UnitOfWork


def _matches(trigger: EventTrigger, data: Mapping[str, Any]) -> bool:
    """``subscription.ending_soon`` with ``days``: only the notice that many days before."""
    if trigger.days is None:
        return True
    return data.get("days_until_end") == trigger.days


def consume(uow: UnitOfWork, events: Sequence[RowMapping]) -> None:
    """Outbox consumer: one execution per (active version, event) whose trigger and top-level
    conditions match (a redelivered event starts nothing new). The batch's records are read,
    and its executions and their first jobs written, in a few statements."""
    types = sorted({e["type"] for e in events})
    listening = uow.conn.execute(select(
        automations.c.id, automations.c.current_version_id, automations.c.trigger_event,
    ).where(
        automations.c.environment == uow.environment, automations.c.status == "active",
        automations.c.trigger_event.in_(types),
    ).order_by(automations.c.seq)).all()
    if not listening:
        return
    matched = []
    for event in events:
        for automation in listening:
            if automation.trigger_event != event["type"]:
                continue
            definition = definition_of(uow.conn, uow.environment, automation.current_version_id)
            if isinstance(definition.trigger, EventTrigger) and _matches(
                    definition.trigger, event["data"]):
                matched.append((automation, definition, event))
    snapshots = trigger_snapshots(uow.conn, uow.environment,
                                  [(event["type"], event["data"]) for _, _, event in matched])
    starts = []
    for (automation, definition, event), snapshot in zip(matched, snapshots, strict=True):
        snapshot["eventId"] = event["id"]
        if definition.conditions is None or holds(
                definition.conditions, step_context(uow.conn, uow.environment, snapshot)):
            starts.append(Start(automation.id, automation.current_version_id, event["id"],
                                event["type"], snapshot))
    start_executions(uow, starts)


def manual_snapshot(uow: UnitOfWork, given: Mapping[str, Any]) -> dict[str, Any]:
    """``trigger.*`` of a manual run or a test: the records the sample names by id, read now,
    with what the sample says on top."""
    found = records(uow.conn, uow.environment, named_ids(given))
    snapshot: dict[str, Any] = {"event": "manual", **found}
    for name, value in given.items():
        current = snapshot.get(name)
        snapshot[name] = {**current, **value} if isinstance(current, Mapping) and isinstance(
            value, Mapping) else value
    return snapshot


def run_manually(ctx: Ctx, automation_id: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """Start an execution of the active version now (any trigger type may be run by hand)."""
    with ctx.uow() as uow:
        row = get_row(uow.conn, automations, uow.environment, automation_id, what="Automation")
        if row["status"] != "active":
            raise InvalidTransition(f"Automation {automation_id} is {row['status']}; only an "
                                    "active automation runs.")
        definition = definition_of(uow.conn, uow.environment, row["current_version_id"])
        snapshot = manual_snapshot(uow, given)
        started = None
        if holds(definition.conditions, step_context(uow.conn, uow.environment, snapshot)):
            started = start_execution(uow, automation_id, row["current_version_id"],
                                      f"manual:{new_id('run')}", "manual", snapshot,
                                      run_after_commit=True)
        uow.commit()
    return {"execution_id": started, "conditionsMet": started is not None}
