"""``POST /automations/{id}/test``: the latest version run on a sample trigger as a dry run.

Delays are skipped, emails rendered but not sent, and nothing is changed: every read happens in
a read-only transaction and actions only say what they would do. The answer is the step log in
the shape of an execution's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kassa.automations import actions, cursor
from kassa.automations.context import step_context
from kassa.automations.flow import flow, holds, render_params
from kassa.automations.service import latest_definition
from kassa.automations.triggers import manual_snapshot
from kassa.domain.automations.definition import ActionStep
from kassa.services.context import Ctx
from kassa.services.serialize import rfc3339

MAX_STEPS = 1000


def _entry(at: cursor.Cursor, step: Any, status: str, output: Any, error: str | None,
           when: str | None) -> dict[str, Any]:
    return {"path": cursor.path(at), "type": getattr(step, "type", None) or
            type(step).__name__.removesuffix("Step").lower(),
            "action": step.action if isinstance(step, ActionStep) else None, "status": status,
            "attempts": 1, "startedAt": when, "finishedAt": when, "output": output,
            "error": error}


def test_automation(ctx: Ctx, automation_id: str, sample: Mapping[str, Any]) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        definition = latest_definition(uow, automation_id)
        snapshot = manual_snapshot(uow, sample)
        when = rfc3339(uow.now)
        if not holds(definition.conditions, step_context(uow.conn, uow.environment, snapshot)):
            return {"conditionsMet": False, "steps": [], "status": "skipped"}
    log: list[dict[str, Any]] = []
    at: cursor.Cursor = cursor.start()
    status = "completed"
    for _ in range(MAX_STEPS):
        with ctx.uow(read_only=True) as uow:
            found = cursor.current(definition, at)
            if found is None:
                break
            step, at = found
            context = step_context(uow.conn, uow.environment, snapshot, cursor.item(at))
            if not isinstance(step, ActionStep):
                move = flow(uow.conn, uow.environment, step, at, context)
                output = {**move.output, **({"skipped": True} if move.wait else {})}
                log.append(_entry(at, step, "succeeded", output, None, when))
                at = move.cursor
                continue
        params = render_params(dict(step.params), context)
        try:
            log.append(_entry(at, step, "succeeded",
                              actions.dry_run(ctx, step.action, params, context), None, when))
            at = cursor.advance(at)
        except Exception as exc:
            log.append(_entry(at, step, "failed", None, str(getattr(exc, "detail", exc)), when))
            if not step.on_error:
                status = "failed"
                break
            at = cursor.enter(at, "onError")
    return {"conditionsMet": True, "status": status, "steps": log}
