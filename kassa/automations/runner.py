"""The ``automation.step`` job: runs an execution from its cursor.

Each step commits with the cursor past it, so a crashed or killed worker resumes at the step
it was on. Flow steps run one after another in the job; a delay ends it with the next job at
``now + duration`` (environment time: a sandbox advance runs it in order). An action first
commits its step as ``started`` (an email is stored ``queued`` with it), then is performed
with no transaction open, then its outcome is recorded in a transaction of its own, and a
started step is never performed again once its outcome is recorded. A failing action is
retried on the error handling's backoff (the step's, else the automation's), then its
``onError`` steps run, else the execution fails. Executions run to the end on their version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


from kassa.automations import actions, cursor
from kassa.automations.context import step_context
from kassa.automations.executions import schedule_step
from kassa.automations.flow import flow, render_params
from kassa.automations.store import (
    definition_of,
    finish,
    lock_execution,
    move_to,
    record_step,
    step_run,
)
from kassa.domain.automations.definition import ActionStep
from kassa.queue.runner import JobResult
from kassa.queue import Job
from kassa.services.context import Ctx

LIVE = ("running", "waiting")
# Steps one job runs at most before handing over to a new job (long loops).
STEPS_PER_JOB = 200


def run_step_job(ctx: Ctx, job: Job) -> JobResult | None:
    """Run the execution from the position the job was scheduled for."""
    execution_id, position = job.payload["execution_id"], job.payload["position"]
    for _ in range(STEPS_PER_JOB):
        nxt = _step(ctx, execution_id, position)
        if nxt is None:
            return JobResult(info={"execution_id": execution_id})
        position = nxt
    with ctx.uow() as uow:
        schedule_step(uow, execution_id, position, uow.now)
        uow.commit()
    return JobResult(info={"execution_id": execution_id, "continued": True})


def _step(ctx: Ctx, execution_id: str, position: int) -> int | None:
    """One step; the next position to run in this job, None to stop here."""
    with ctx.uow() as uow:
        ex = lock_execution(uow, execution_id)
        if ex is None or ex["status"] not in LIVE or ex["position"] < position:
            return None  # deleted, finished, or a stale job: another one moved it on
        if ex["status"] == "waiting" and ex["resume_at"] is not None and \
                ex["resume_at"] > uow.now:
            return None  # a job from before a delay (run again after a crash): not yet
        # A job run again after its worker died resumes where the execution is.
        position = ex["position"]
        definition = definition_of(uow.conn, uow.environment, ex["version_id"])
        found = cursor.current(definition, ex["cursor"])
        if found is None:
            finish(uow, ex, "completed")
            uow.commit()
            return None
        step, at = found
        context = step_context(uow.conn, uow.environment, ex["trigger"], cursor.item(at))
        if not isinstance(step, ActionStep):
            try:
                move = flow(uow.conn, uow.environment, step, at, context)
            except Exception as exc:  # a condition that cannot be evaluated on this data
                record_step(uow, ex, at, step, "failed", error=_describe(exc))
                finish(uow, ex, "failed", _describe(exc))
                uow.commit()
                return None
            record_step(uow, ex, at, step, "succeeded", output=move.output)
            if move.done:
                finish(uow, ex, "completed", steps=1)
                uow.commit()
                return None
            resume_at = uow.now + move.wait if move.wait is not None else None
            move_to(uow, ex, move.cursor, resume_at=resume_at)
            uow.commit()
            return None if resume_at is not None else position + 1
        params = render_params(dict(step.params), context)
        key = cursor.key(at)
        run = step_run(uow, execution_id, key)
        if run is not None and run["status"] == "started":
            attempts, prepared, error = run["attempts"], dict(run["output"] or {}), None
        else:
            attempts, prepared, error = (run["attempts"] if run else 0) + 1, {}, None
            try:
                with uow.conn.begin_nested():
                    prepared = actions.prepare(uow, step.action, params, context,
                                               {"execution_id": execution_id, "step": key})
            except Exception as exc:
                error = _describe(exc)
            record_step(uow, ex, at, step, "started", attempts=attempts, output=prepared)
        uow.commit()
    output: dict[str, Any] = {}
    if error is None:
        try:
            output = actions.perform(ctx, step.action, params, context, prepared,
                                     execution_id=execution_id, step_key=key)
        except Exception as exc:
            error = _describe(exc)
    return _outcome(ctx, execution_id, position, step, definition, at, attempts, output, error)


def _outcome(ctx: Ctx, execution_id: str, position: int, step: ActionStep, definition: Any,
             at: cursor.Cursor, attempts: int, output: Mapping[str, Any],
             error: str | None) -> int | None:
    """Record an action's outcome and move on: next step, a retry later, onError, or failed."""
    with ctx.uow() as uow:
        ex = lock_execution(uow, execution_id)
        if ex is None or ex["status"] not in LIVE or ex["position"] != position:
            return None
        if error is None:
            record_step(uow, ex, at, step, "succeeded", attempts=attempts, output=output)
            move_to(uow, ex, cursor.advance(at))
            uow.commit()
            return position + 1
        handling = step.error_handling or definition.error_handling
        wait = handling.delay_before(attempts + 1) if handling is not None else None
        if wait is not None:
            retry_at = uow.now + wait
            record_step(uow, ex, at, step, "retrying", attempts=attempts, error=error,
                        output={"retryAt": retry_at.isoformat()})
            move_to(uow, ex, ex["cursor"], resume_at=retry_at, counted=False)
            uow.commit()
            return None
        record_step(uow, ex, at, step, "failed", attempts=attempts, error=error)
        if step.on_error:
            move_to(uow, ex, cursor.enter(at, "onError"))
            uow.commit()
            return position + 1
        finish(uow, ex, "failed", error, steps=1)
        uow.commit()
        return None


def _describe(exc: BaseException) -> str:
    detail = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
    return str(detail)[:2000]

