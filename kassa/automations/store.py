"""Reading and writing executions and their step log (inside the caller's unit of work)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kassa.automations import cursor
from kassa.automations.context import step_contexts
from kassa.automations.executions import STEP_JOB, step_key
from kassa.automations.parsing import parse as parse_definition
from kassa.domain.automations.definition import ActionStep, Definition
from kassa.ids import new_id
from kassa.services import emails as email_service
from kassa.store.queries import get_row
from kassa.store.tables import automation_executions, automation_step_runs, automation_versions
from kassa.store.uow import UnitOfWork

# Parsed definitions by version id: a version an execution runs on never changes (only drafts
# are edited, and drafts do not run).
_PARSED: dict[str, Definition] = {}
_PARSED_MAX = 1000


def definition_of(conn: Connection, environment: str, version_id: str) -> Definition:
    found = _PARSED.get(version_id)
    if found is None:
        row = get_row(conn, automation_versions, environment, version_id,
                      what="Automation version")
        found = parse_definition(row["definition"])
        if row["status"] != "draft":
            if len(_PARSED) >= _PARSED_MAX:
                _PARSED.clear()
            _PARSED[version_id] = found
    return found


# An execution's step runs by step key, read once per transaction and kept current by
# ``record_step``.
Runs = dict[str, dict[str, Any]]

# The execution columns the runner changes (``move_to``, ``finish``), written from the row.
_MOVED = ("cursor", "position", "steps_executed", "status", "resume_at", "completed_at", "error",
          "updated_at")
# The step-run columns a later write of the same step changes.
_RERUN = ("status", "attempts", "started_at", "finished_at", "output", "error", "updated_at")


@dataclass
class Writes:
    """A transaction's writes of executions, step runs and step jobs, kept until ``flush``
    writes them, each kind in one executemany, just before the transaction commits: a batch of
    step jobs records its hundreds of steps in a few statements. Nothing in the transaction
    reads those rows back in between (the runner keeps them in hand: ``Runs`` and the
    execution rows are the current state)."""

    new_runs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    changed_runs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    executions: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, tuple[dict[str, Any], datetime]] = field(default_factory=dict)
    emails: list[dict[str, Any]] = field(default_factory=list)  # the send_email steps' mail
    templates: dict[str, Any] = field(default_factory=dict)  # email templates found, by key

    def schedule(self, execution_id: str, position: int, run_at: datetime) -> None:
        """The step job that runs the execution from ``position`` at ``run_at``."""
        self.jobs[step_key(execution_id, position)] = (
            {"execution_id": execution_id, "position": position}, run_at)

    def flush(self, uow: UnitOfWork) -> None:
        env = uow.environment
        email_service.insert_many(uow, self.emails)
        if self.new_runs:
            dialect = postgresql if uow.dialect == "postgresql" else sqlite
            uow.conn.execute(dialect.insert(automation_step_runs).on_conflict_do_nothing(
                index_elements=["environment", "execution_id", "step_key"]),
                list(self.new_runs.values()))
        if self.changed_runs:
            runs = automation_step_runs.c
            uow.conn.execute(
                update(automation_step_runs)
                .where(runs.environment == env, runs.execution_id == bindparam("_execution"),
                       runs.step_key == bindparam("_key"))
                .values({name: bindparam(f"_{name}") for name in _RERUN}),
                [{"_execution": ex_id, "_key": key, **{f"_{n}": row[n] for n in _RERUN}}
                 for (ex_id, key), row in self.changed_runs.items()])
        if self.executions:
            ex = automation_executions.c
            uow.conn.execute(
                update(automation_executions)
                .where(ex.environment == env, ex.id == bindparam("_id"))
                .values({name: bindparam(f"_{name}") for name in _MOVED}),
                [{"_id": ex_id, **{f"_{n}": row[n] for n in _MOVED}}
                 for ex_id, row in self.executions.items()])
        if self.jobs:
            keys = list(self.jobs)
            uow.enqueue_many(STEP_JOB, [self.jobs[k] for k in keys], dedupe_keys=keys)
        self.new_runs, self.changed_runs, self.executions, self.jobs = {}, {}, {}, {}
        self.emails = []


@dataclass
class Preloaded:
    """What one transaction's steps of several executions read, read in one go (a batch of step
    jobs): the executions, locked, their step runs, and (on first need) their step contexts;
    and the transaction's ``writes``. ``advance`` takes them from here and keeps them current;
    one not preloaded is read as it is needed."""

    executions: dict[str, dict[str, Any]]
    runs: dict[str, Runs]
    writes: Writes = field(default_factory=Writes)
    _contexts: dict[str, dict[str, Any]] | None = None

    def context(self, uow: UnitOfWork, execution_id: str) -> dict[str, Any] | None:
        """The step context of a preloaded live execution (those of all of them read on the
        first call: a batch whose steps need none reads none)."""
        if not self.executions:
            return None
        if self._contexts is None:
            live = [e for e in self.executions.values() if e["status"] in ("running", "waiting")]
            found = step_contexts(uow.conn, uow.environment, [e["trigger"] for e in live])
            self._contexts = {e["id"]: c for e, c in zip(live, found, strict=True)}
        return self._contexts.get(execution_id)


# Executions per IN (...) list: well under SQLite's and PostgreSQL's parameter limits.
_CHUNK = 500


def preload(uow: UnitOfWork, execution_ids: Sequence[str]) -> Preloaded:
    wanted = sorted(set(execution_ids))  # locked in id order: no deadlock between batches
    ex, step = automation_executions, automation_step_runs
    executions: dict[str, dict[str, Any]] = {}
    runs: dict[str, Runs] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        executions.update({r["id"]: dict(r) for r in uow.conn.execute(select(ex).where(
            ex.c.environment == uow.environment, ex.c.id.in_(chunk),
        ).order_by(ex.c.id).with_for_update()).mappings()})
        for r in uow.conn.execute(select(step).where(
                step.c.environment == uow.environment, step.c.execution_id.in_(chunk),
        )).mappings():
            runs.setdefault(r["execution_id"], {})[r["step_key"]] = dict(r)
    return Preloaded(executions, {e: runs.get(e, {}) for e in executions})


def lock_execution(uow: UnitOfWork, execution_id: str) -> dict[str, Any] | None:
    row = uow.conn.execute(select(automation_executions).where(
        automation_executions.c.environment == uow.environment,
        automation_executions.c.id == execution_id,
    ).with_for_update()).mappings().first()
    return dict(row) if row is not None else None


def step_runs(uow: UnitOfWork, execution_id: str) -> Runs:
    rows = uow.conn.execute(select(automation_step_runs).where(
        automation_step_runs.c.environment == uow.environment,
        automation_step_runs.c.execution_id == execution_id,
    )).mappings()
    return {r["step_key"]: dict(r) for r in rows}


def record_step(writes: Writes, uow: UnitOfWork, runs: Runs, ex: Mapping[str, Any],
                at: cursor.Cursor, step: Any, status: str, *, attempts: int = 1,
                output: Mapping[str, Any] | None = None, error: str | None = None) -> None:
    """The step run at ``at`` (one row per step run: later writes update it), to ``writes``."""
    key = cursor.key(at)
    finished = uow.now if status not in ("started",) else None
    values = {"status": status, "attempts": attempts, "finished_at": finished,
              "output": dict(output) if output is not None else None, "error": error,
              "updated_at": uow.now}
    existing = runs.get(key)
    if existing is not None:
        if status == "started":
            values["started_at"] = uow.now
        existing.update(values)
        if (ex["id"], key) not in writes.new_runs:
            writes.changed_runs[(ex["id"], key)] = existing
        return
    row = {"environment": uow.environment, "id": new_id("step"), "execution_id": ex["id"],
           "step_key": key, "path": cursor.path(at), "type": _type(step),
           "action": step.action if isinstance(step, ActionStep) else None,
           "started_at": uow.now, "created_at": uow.now, **values}
    runs[key] = writes.new_runs[(ex["id"], key)] = row


def _type(step: Any) -> str:
    return str(getattr(step, "type", None) or type(step).__name__.removesuffix("Step").lower())


def move_to(writes: Writes, uow: UnitOfWork, ex: dict[str, Any], new_cursor: cursor.Cursor,
            *, resume_at: datetime | None = None, counted: bool = True) -> None:
    """Move the cursor one position on; with ``resume_at`` the execution waits for the job
    scheduled then."""
    ex.update({"cursor": new_cursor, "position": ex["position"] + 1,
               "steps_executed": ex["steps_executed"] + (1 if counted else 0),
               "status": "waiting" if resume_at is not None else "running",
               "resume_at": resume_at, "updated_at": uow.now})
    writes.executions[ex["id"]] = ex
    if resume_at is not None:
        writes.schedule(ex["id"], ex["position"], resume_at)


def finish(writes: Writes, uow: UnitOfWork, ex: dict[str, Any], status: str,
           error: str | None = None, *, steps: int = 0) -> None:
    ex.update({"status": status, "error": error, "completed_at": uow.now, "resume_at": None,
               "cursor": [], "position": ex["position"] + 1,
               "steps_executed": ex["steps_executed"] + steps, "updated_at": uow.now})
    writes.executions[ex["id"]] = ex
