"""Environment clocks: production follows real time; a sandbox can freeze and advance."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, text

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the in-process lock only
    fcntl = None  # type: ignore[assignment]

from kassa.clock import Clock, FixedClock, SystemClock, utcnow
from kassa.domain.errors import Conflict, Forbidden, InvalidRequest
from kassa.domain.periods import add_months
from kassa.domain.usage_events import instant_of
from kassa.resources import render
from kassa.resources.clock import AdvanceResult, ClockState, FreezeResult
from kassa.services.context import Ctx
from kassa.services.serialize import rfc3339
from kassa.store.engine import reader
from kassa.store.tables import clocks, outbox_events, usage_events

# An advance that takes more steps than this is looping on work that never completes.
MAX_ADVANCE_STEPS = 100_000
# One advance runs all the due work on its way in one request: every billing cycle of every
# subscription. Ten years of it is minutes of work at most; further needs several requests.
MAX_ADVANCE_MONTHS = 120

_sqlite_locks: dict[str, threading.Lock] = {"sandbox": threading.Lock()}


def read_clock(conn: Connection, environment: str) -> Clock:
    """The clock of ``environment`` as stored: frozen sandboxes get a FixedClock."""
    if environment != "sandbox":
        return SystemClock()
    frozen_at = conn.execute(
        select(clocks.c.frozen_at).where(clocks.c.environment == environment)
    ).scalar_one_or_none()
    return FixedClock(frozen_at) if frozen_at is not None else SystemClock()


def load_clock(engine: Engine, environment: str) -> Clock:
    if environment != "sandbox":
        return SystemClock()
    with reader(engine) as conn:
        return read_clock(conn, environment)


def _state(clock: Clock) -> dict[str, Any]:
    """What ``ClockState`` and its results render: the clock's instant and whether it is frozen."""
    return {"now": clock.now(), "frozen": clock.frozen}


def clock_state(clock: Clock) -> dict[str, Any]:
    return render(ClockState, _state(clock))


def _require_sandbox(ctx: Ctx) -> None:
    if not ctx.is_sandbox:
        raise Forbidden("The clock can only be frozen or advanced in the sandbox environment.")


def _store_frozen(engine: Engine, environment: str, at: datetime | None) -> None:
    with engine.begin() as conn:
        values = {"frozen_at": at, "updated_at": utcnow()}
        updated = conn.execute(
            clocks.update().where(clocks.c.environment == environment).values(**values)
        ).rowcount
        if not updated:
            conn.execute(clocks.insert().values(environment=environment, **values))


def _newest(conn: Connection, environment: str) -> tuple[datetime, str] | None:
    """When the latest thing the environment holds happened, and what it was."""
    o = outbox_events.c
    event = conn.execute(
        select(o.type, o.data, o.occurred_at)
        .where(o.environment == environment)
        .order_by(o.occurred_at.desc())
        .limit(1)
    ).first()
    e = usage_events.c
    usage = conn.execute(
        select(e.unique_id, e.timestamp_us, e.received_at)
        .where(e.environment == environment)
        .order_by(e.seq.desc())
        .limit(1)
    ).first()
    found = []
    if event is not None:
        subject = f" ({event.data['id']})" if isinstance(event.data.get("id"), str) else ""
        found.append((event.occurred_at, f"the newest event, {event.type}{subject}"))
    if usage is not None:
        at = max(instant_of(usage.timestamp_us), usage.received_at)
        found.append((at, f"the newest usage event, {usage.unique_id!r}"))
    return max(found, key=lambda pair: pair[0], default=None)


def _backwards_warning(conn: Connection, environment: str, at: datetime) -> str | None:
    newest = _newest(conn, environment)
    if newest is None or newest[0] <= at:
        return None
    when, what = rfc3339(newest[0]), rfc3339(at)
    return (
        f"The clock is now {what}, earlier than what the sandbox already holds: {newest[1]}, "
        f"happened at {when}. What happened after {what} looks like it is in the future; "
        f"freeze at {when} or later to keep time moving forward."
    )


def freeze(ctx: Ctx, at: datetime) -> dict[str, Any]:
    """Stop the sandbox clock at ``at``; due work runs at the next advance. ``warning`` says
    when that is earlier than something the environment already holds (else null)."""
    _require_sandbox(ctx)
    with _advance_lock(ctx.engine, ctx.environment):
        _store_frozen(ctx.engine, ctx.environment, at)
        with reader(ctx.engine) as conn:
            warning = _backwards_warning(conn, ctx.environment, at)
    return render(FreezeResult, _state(FixedClock(at)), warning=warning)


def unfreeze(ctx: Ctx) -> dict[str, Any]:
    """Let the sandbox clock follow real time again (it cannot jump backwards)."""
    _require_sandbox(ctx)
    with _advance_lock(ctx.engine, ctx.environment):
        clock = load_clock(ctx.engine, ctx.environment)
        if clock.frozen and clock.now() > utcnow():
            raise InvalidRequest(
                "The clock is frozen ahead of real time; unfreezing would move it backwards."
            )
        _store_frozen(ctx.engine, ctx.environment, None)
    return clock_state(SystemClock())


def advance(ctx: Ctx, to: datetime) -> dict[str, Any]:
    """Move the sandbox clock to ``to``, running every piece of due work in time order."""
    _require_sandbox(ctx)
    with _advance_lock(ctx.engine, ctx.environment):
        current = load_clock(ctx.engine, ctx.environment).now()
        if to < current:
            raise InvalidRequest(
                f"The clock never goes backwards: it is {rfc3339(current)}, "
                f"and 'to' is {rfc3339(to)}.",
                field="to",
            )
        limit = datetime.combine(add_months(current.date(), MAX_ADVANCE_MONTHS), current.timetz())
        if to > limit:
            raise InvalidRequest(
                f"One advance covers at most {MAX_ADVANCE_MONTHS // 12} years: it is "
                f"{rfc3339(current)}, so 'to' can be {rfc3339(limit)} at the latest. Advance in "
                "several steps.",
                field="to",
            )
        ran: list[dict[str, Any]] = []
        stalled_at: datetime | None = None
        for _ in range(MAX_ADVANCE_STEPS):
            with reader(ctx.engine) as conn:
                due = ctx.registry.next_due(conn, ctx.environment)
            if due is None or due > to:
                break
            at = max(due, current)
            if at == stalled_at:
                # The clock stays at ``at``: the work's own error is in the log, and it is tried
                # again on the worker's next run or the next advance. A state of the sandbox the
                # request cannot move past (409), not a failure of the server.
                raise Conflict(f"Due work at {rfc3339(at)} did not complete; advance stopped. "
                               "The clock stays there; Kassa's log says why, and the next "
                               "advance tries again.")
            _store_frozen(ctx.engine, ctx.environment, at)
            step = ctx.registry.run_due(ctx.with_clock(FixedClock(at)))
            ran.extend({"at": rfc3339(at), **item} for item in step)
            stalled_at = None if step else at
            current = at
        else:
            raise InvalidRequest(
                "Too much due work in one advance; advance in smaller steps.", field="to"
            )
        _store_frozen(ctx.engine, ctx.environment, to)
    return render(AdvanceResult, _state(FixedClock(to)), ran=ran)


@contextmanager
def _advance_lock(engine: Engine, environment: str) -> Iterator[None]:
    """One clock change at a time per environment, and no worker running its due work meanwhile."""
    with clock_lock(engine, environment) as held:
        assert held
        yield


@contextmanager
def clock_lock(
    engine: Engine, environment: str, *, shared: bool = False, blocking: bool = True
) -> Iterator[bool]:
    """The environment's clock lock; yields whether it is held.

    A clock change (freeze, advance) holds it exclusively; a worker running the sandbox's due
    work holds it shared and without waiting (``blocking=False``), so it skips the sandbox while
    an advance runs instead of racing it for the same work. Across processes: an advisory lock
    on PostgreSQL, a lock file beside the database file on SQLite.
    """
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine, environment, shared=shared, blocking=blocking) as held:
            yield held
        return
    path = engine.url.database
    if fcntl is None or not path or path == ":memory:":
        lock = _sqlite_locks.setdefault(environment, threading.Lock())
        held = lock.acquire(blocking=blocking)
        try:
            yield held
        finally:
            if held:
                lock.release()
        return
    # flock has no writer preference, so a clock change first takes an "intent" lock that
    # turns newcomers away; then it waits for the holders of the clock lock to finish.
    base = f"{path}-clock-{environment}"
    with open(base + ".intent", "a+b") as intent, open(base + ".lock", "a+b") as handle:
        if not _flock(intent, fcntl.LOCK_SH if shared else fcntl.LOCK_EX, blocking):
            yield False
            return
        if shared:
            fcntl.flock(intent.fileno(), fcntl.LOCK_UN)
        if not _flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX, blocking):
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            fcntl.flock(intent.fileno(), fcntl.LOCK_UN)


def _flock(handle: Any, mode: int, blocking: bool) -> bool:
    try:
        fcntl.flock(handle.fileno(), mode | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


@contextmanager
def _pg_lock(engine: Engine, environment: str, *, shared: bool, blocking: bool) -> Iterator[bool]:
    key = 0x6B617373 if environment == "sandbox" else 0x6B617374
    suffix = "_shared" if shared else ""
    take = f"pg_advisory_lock{suffix}" if blocking else f"pg_try_advisory_lock{suffix}"
    with engine.connect() as conn:
        held = conn.execute(text(f"SELECT {take}(:k)"), {"k": key}).scalar()
        conn.commit()
        held = True if blocking else bool(held)
        try:
            yield held
        finally:
            if held:
                conn.execute(text(f"SELECT pg_advisory_unlock{suffix}(:k)"), {"k": key})
                conn.commit()
