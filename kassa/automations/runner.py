"""The ``automation.step`` job: runs an execution from its cursor.

A job runs the execution's flow steps one after another in one transaction, up to a delay, the
end, or an action. A delay ends it with the next job at ``now + duration`` (environment time: a
sandbox advance runs it in order). An action is first committed as ``started`` with the steps
before it (an email is stored ``queued`` with it), then performed with no transaction open. Its
outcome and the flow steps after it are written in the transaction that completes the job
(``record_batch``) when only a delay or the end can follow, else in a transaction of their own
before the job goes on. A batch of step jobs shares its first transaction (``prefetch``) and its
last: their executions, step runs and records are read once for the batch. So a worker killed at any point resumes at the recorded step, and a
started step is never performed again once its outcome is recorded. A failing action is
retried on the error handling's backoff (the step's, else the automation's), then its
``onError`` steps run, else the execution fails. Executions run to the end on their version.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from kassa.automations import actions, cursor
from kassa.automations.context import step_context, with_decimals
from kassa.automations.flow import flow, render_params
from kassa.automations.store import (
    Preloaded,
    Runs,
    Writes,
    definition_of,
    finish,
    lock_execution,
    move_to,
    preload,
    record_step,
    step_runs,
)
from kassa.domain.automations.definition import ActionStep, Definition, DelayStep, StopStep
from kassa.queue import Job
from kassa.queue.runner import JobResult
from kassa.services.context import Ctx
from kassa.services.notify import channels_of
from kassa.store.uow import UnitOfWork

LIVE = ("running", "waiting")
# Flow steps one transaction, and actions one job, runs at most before handing over to a new
# job (long loops).
STEPS_PER_JOB = 200
ACTIONS_PER_JOB = 50


@dataclass(frozen=True)
class Started:
    """An action step committed as started: what performing it needs."""

    execution_id: str
    position: int
    step: ActionStep
    at: cursor.Cursor
    attempts: int
    params: dict[str, Any]
    context: dict[str, Any]
    prepared: dict[str, Any]
    error: str | None  # its preparation failed: not performed, recorded as failed
    definition: Definition
    email: Mapping[str, Any] | None = None  # the email it stored (send_email), not read back


@dataclass(frozen=True)
class Done:
    """A performed action's outcome, to record."""

    started: Started
    output: Mapping[str, Any]
    error: str | None


@dataclass(frozen=True)
class Advanced:
    """A step job's first transaction, done for the whole batch by ``prefetch``: the action
    it reached, started (None: the execution stopped or waits), and its outcome when the
    batch performed it (``actions.PERFORM_MANY``)."""

    started: Started | None
    done: Done | None = None

    @property
    def performed(self) -> bool:
        """The job must not be handed back unrun (the job runner asks): its action was
        performed and is only left to record."""
        return self.done is not None


def prefetch(ctx: Ctx, batch: list[Job]) -> dict[str, Advanced]:
    """The first transaction of every step job of a batch, in one: the executions, their step
    runs and their records read in a few queries, each one run up to its first action. (When
    it fails, each job runs its own.) Then the actions the batch performs together."""
    with ctx.uow() as uow:
        pre = preload(uow, [job.payload["execution_id"] for job in batch])
        found = {job.id: Advanced(advance(uow, job.payload["execution_id"],
                                          job.payload["position"], pre=pre)) for job in batch}
        pre.writes.flush(uow)
        uow.commit()
    return _perform_together(ctx, found)


def _perform_together(ctx: Ctx, found: dict[str, Advanced]) -> dict[str, Advanced]:
    """Perform the started actions that several jobs of the batch share and that have a batch
    form, together (no transaction open, like ``_perform``)."""
    by_action: dict[str, list[str]] = {}
    for job_id, advanced in found.items():
        started = advanced.started
        if started is not None and started.error is None and \
                started.step.action in actions.PERFORM_MANY:
            by_action.setdefault(started.step.action, []).append(job_id)
    for action, job_ids in by_action.items():
        if len(job_ids) < 2:
            continue  # performed by its job
        steps = [found[j].started for j in job_ids]
        try:
            outcomes = actions.PERFORM_MANY[action](
                ctx, [(s.params, s.context) for s in steps if s is not None])
        except Exception as exc:  # as ``_perform``: each step failed (and may be retried)
            outcomes = [exc] * len(job_ids)
        for job_id, started, outcome in zip(job_ids, steps, outcomes, strict=True):
            assert started is not None
            found[job_id] = Advanced(started, Done(started, {}, _describe(outcome))
                                     if isinstance(outcome, Exception) else
                                     Done(started, outcome, None))
    return found


def record_batch(uow: UnitOfWork, items: list[tuple[Job, Done]]) -> None:
    """The last outcome of each step job of a batch, written with the jobs' completion."""
    pre = preload(uow, [done.started.execution_id for _, done in items])
    for _, done in items:
        advance(uow, done.started.execution_id, done.started.position, done, start=False,
                pre=pre)
    pre.writes.flush(uow)


def run_step_job(ctx: Ctx, job: Job) -> JobResult | None:
    """Run the execution from the position the job was scheduled for."""
    execution_id, position = job.payload["execution_id"], job.payload["position"]
    info = {"execution_id": execution_id}
    done: Done | None = None
    advanced = job.prefetched if isinstance(job.prefetched, Advanced) else None
    for _ in range(ACTIONS_PER_JOB):
        if done is not None and _stops_after(done):
            break
        performed: Done | None = None
        if advanced is not None:
            started, performed, advanced = advanced.started, advanced.done, None
        else:
            with ctx.uow() as uow:
                started = advance(uow, execution_id, position, done)
                uow.commit()
        if started is None:
            return JobResult(info=info)
        done = performed or _perform(ctx, started)
        position = started.position
    assert done is not None
    return JobResult(outcome=done, info=info)  # recorded by record_batch


def batch_session(ctx: Ctx) -> AbstractContextManager[Any]:
    """What a batch of step jobs shares while it runs: one SMTP connection for its emails."""
    session = getattr(channels_of(ctx).mailer, "session", None)
    return session() if session is not None else nullcontext()


def _stops_after(done: Done) -> bool:
    """Whether the execution stops (a delay, a stop, the end, a retry later, failed) right
    after ``done`` is recorded, whatever the data: then it is recorded as the job completes."""
    step = done.started.step
    if done.error is not None:
        return not step.on_error
    following = cursor.current(done.started.definition, cursor.advance(done.started.at))
    return following is None or isinstance(following[0], (DelayStep, StopStep))


def advance(uow: UnitOfWork, execution_id: str, position: int, done: Done | None = None, *,
            start: bool = True, pre: Preloaded | None = None) -> Started | None:
    """Record ``done`` (the outcome of the action at ``position``), then run the flow steps that
    follow; the action reached, recorded as started with them (``start``; else left to a new
    job), or None when the execution stops here (a delay, the end, a stale job). What ``pre``
    holds is not read again, and its writes are left to its owner to flush; without it they are
    written before this returns."""
    if pre is not None:
        return _advance(uow, execution_id, position, done, start, pre)
    pre = Preloaded({}, {})
    started = _advance(uow, execution_id, position, done, start, pre)
    pre.writes.flush(uow)
    return started


def _advance(uow: UnitOfWork, execution_id: str, position: int, done: Done | None,
             start: bool, pre: Preloaded) -> Started | None:
    writes = pre.writes
    ex = pre.executions.get(execution_id) or lock_execution(uow, execution_id)
    if ex is None or ex["status"] not in LIVE or ex["position"] < position:
        return None  # deleted, finished, or a stale job: another one moved it on
    if done is not None and ex["position"] != position:
        return None
    if done is None and ex["status"] == "waiting" and ex["resume_at"] is not None and \
            ex["resume_at"] > uow.now:
        return None  # a job from before a delay (run again after a crash): not yet
    runs = pre.runs[execution_id] if execution_id in pre.runs else step_runs(uow, execution_id)
    if done is not None and not _record_outcome(writes, uow, ex, runs, done):
        return None
    definition = definition_of(uow.conn, uow.environment, ex["version_id"])
    fresh: dict[str, Any] | None = None  # invoice.* and the rest, read once per transaction
    for _ in range(STEPS_PER_JOB):
        found = cursor.current(definition, ex["cursor"])
        if found is None:
            finish(writes, uow, ex, "completed")
            return None
        step, at = found
        if isinstance(step, ActionStep) and not start:
            writes.schedule(execution_id, ex["position"], uow.now)
            return None
        context: dict[str, Any] = {}
        if not isinstance(step, (DelayStep, StopStep)):  # those read no data
            if fresh is None:
                fresh = pre.context(uow, execution_id) or step_context(
                    uow.conn, uow.environment, ex["trigger"])
            context = {**fresh, "item": with_decimals(cursor.item(at))}
        if isinstance(step, ActionStep):
            return _start(writes, uow, ex, runs, definition, step, at, context)
        try:
            move = flow(uow.conn, uow.environment, step, at, context)
        except Exception as exc:  # a condition that cannot be evaluated on this data
            record_step(writes, uow, runs, ex, at, step, "failed", error=_describe(exc))
            finish(writes, uow, ex, "failed", _describe(exc))
            return None
        record_step(writes, uow, runs, ex, at, step, "succeeded", output=move.output)
        if move.done:
            finish(writes, uow, ex, "completed", steps=1)
            return None
        resume_at = uow.now + move.wait if move.wait is not None else None
        move_to(writes, uow, ex, move.cursor, resume_at=resume_at)
        if resume_at is not None:
            return None
    writes.schedule(execution_id, ex["position"], uow.now)  # a long loop goes on later
    return None


def _start(writes: Writes, uow: UnitOfWork, ex: dict[str, Any], runs: Runs,
           definition: Definition, step: ActionStep, at: cursor.Cursor,
           context: dict[str, Any]) -> Started:
    """The action at ``at`` prepared and recorded as started (a job run again after its worker
    died finds it started and performs it with what was prepared)."""
    params = render_params(dict(step.params), context)
    key = cursor.key(at)
    run = runs.get(key)
    if run is not None and run["status"] == "started":
        return Started(ex["id"], ex["position"], step, at, run["attempts"], params, context,
                       dict(run["output"] or {}), None, definition)
    attempts, prepared, error = (run["attempts"] if run else 0) + 1, actions.Prepared({}), None
    try:  # writes nothing: a failure leaves the transaction as it was
        prepared = actions.prepare(uow, step.action, params, context,
                                   {"execution_id": ex["id"], "step": key}, writes.templates)
    except Exception as exc:
        error = _describe(exc)
    if prepared.email is not None:
        writes.emails.append(prepared.email)
    record_step(writes, uow, runs, ex, at, step, "started", attempts=attempts,
                output=prepared.output)
    return Started(ex["id"], ex["position"], step, at, attempts, params, context,
                   prepared.output, error, definition, prepared.email)


def _perform(ctx: Ctx, started: Started) -> Done:
    """Do the action, with no transaction open."""
    if started.error is not None:
        return Done(started, {}, started.error)
    try:
        output = actions.perform(ctx, started.step.action, started.params, started.context,
                                 started.prepared, execution_id=started.execution_id,
                                 step_key=cursor.key(started.at), email=started.email)
    except Exception as exc:
        return Done(started, {}, _describe(exc))
    return Done(started, output, None)


def _record_outcome(writes: Writes, uow: UnitOfWork, ex: dict[str, Any], runs: Runs,
                    done: Done) -> bool:
    """Record an action's outcome and move on: True to run the next step (the one after it, or
    its onError), False when it waits for a retry or the execution failed."""
    started = done.started
    step, at, attempts = started.step, started.at, started.attempts
    if done.error is None:
        record_step(writes, uow, runs, ex, at, step, "succeeded", attempts=attempts,
                    output=done.output)
        move_to(writes, uow, ex, cursor.advance(at))
        return True
    handling = step.error_handling or started.definition.error_handling
    wait = handling.delay_before(attempts + 1) if handling is not None else None
    if wait is not None:
        retry_at = uow.now + wait
        record_step(writes, uow, runs, ex, at, step, "retrying", attempts=attempts,
                    error=done.error, output={"retryAt": retry_at.isoformat()})
        move_to(writes, uow, ex, ex["cursor"], resume_at=retry_at, counted=False)
        return False
    record_step(writes, uow, runs, ex, at, step, "failed", attempts=attempts, error=done.error)
    if step.on_error:
        move_to(writes, uow, ex, cursor.enter(at, "onError"))
        return True
    finish(writes, uow, ex, "failed", done.error, steps=1)
    return False


def _describe(exc: BaseException) -> str:
    detail = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
    return str(detail)[:2000]
