"""Usage event ingestion: ``POST /events`` and ``kassa events import`` both come through here.

A batch is validated in plain Python (no transaction held), then written in one transaction by
one statement that resolves every account of the batch to its customer (id or alias), inserts
the batch and reports which unique_ids were new. Each event has exactly one outcome:

- ``ingested``: stored now.
- ``duplicate``: its unique_id was already stored (by an earlier request, a concurrent one, or
  earlier in this batch: the first one sent is kept). Not an error and not stored again.
- ``updated`` (``?upsert=true`` only): an existing event whose properties were replaced. Within
  an upsert batch the last copy of a unique_id wins; the earlier copies count as duplicates.
- ``failed``: refused, with a reason naming the field. Never fails the rest of the batch.

An event whose account matches no customer is stored all the same (``customer_id`` NULL) and
counts for no customer; the event debugger says so.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

try:  # POSIX; elsewhere SQLite's busy handler alone arbitrates between worker processes
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

from kassa.clock import FixedClock
from kassa.domain.errors import InvalidRequest
from kassa.domain.usage_events import (
    MAX_EVENTS_PER_REQUEST,
    EventIn,
    EventRejected,
    check_event,
    event_key,
    format_us,
    timestamp_us,
)
from kassa.services.context import Ctx
from kassa.services.customers import find_customer_ids
from kassa.services.exact_json import dumps_exact
from kassa.services.usage.followups import after_ingest
from kassa.services.usage.late import invoiced_event_ids
from kassa.store.tables import subscriptions
from kassa.store.uow import UnitOfWork
from kassa.store.usage_insert import EventRow, fetch_stored, insert_events, replace_properties

INGESTED, DUPLICATE, UPDATED, FAILED = "ingested", "duplicate", "updated", "failed"

# PostgreSQL: deadlock / serialization failure. Batches lock rows in unique_id order, so these
# should not happen; if one does, the whole batch is simply retried.
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
_ATTEMPTS = 3

# SQLite has one writer at a time. Ingestion transactions queue for it on a lock — a thread lock
# within the process, plus an OS file lock beside the database across worker processes — instead
# of colliding on SQLite's busy handler, which sleeps in steps of up to 100 ms.
_sqlite_writer = threading.Lock()
_lock_files: dict[tuple[int, str], int] = {}  # (pid, database): a forked child opens its own


@dataclass
class IngestResult:
    """One outcome (and a reason when failed) per event, in the order they were sent."""

    keys: list[str]
    outcomes: list[str]
    reasons: list[str | None]

    def response(self) -> dict[str, Any]:
        """``{"ingested", "duplicates", "updated", "failed", "errors"}``: unique_ids, sent order."""
        lists: dict[str, list[str]] = {INGESTED: [], DUPLICATE: [], UPDATED: [], FAILED: []}
        errors: dict[str, str] = {}
        for key, outcome, reason in zip(self.keys, self.outcomes, self.reasons, strict=True):
            if outcome == FAILED:
                if key in errors:
                    continue
                errors[key] = reason or "failed"
            lists[outcome].append(key)
        return {
            "ingested": lists[INGESTED],
            "duplicates": lists[DUPLICATE],
            "updated": lists[UPDATED],
            "failed": lists[FAILED],
            "errors": errors,
        }


def ingest_request(ctx: Ctx, payload: Any, *, upsert: bool = False) -> dict[str, Any]:
    """``POST /events``: check the envelope ``{"events": [...]}``, ingest, build the response."""
    if type(payload) is not dict:
        raise InvalidRequest(
            'The body must be a JSON object: {"events": [...]}.', field="body"
        )
    for name in payload:
        if name != "events":
            raise InvalidRequest(f"Unknown field {name!r}; the body is {{\"events\": [...]}}.",
                                 field=name)
    events = payload.get("events")
    if type(events) is not list:
        raise InvalidRequest("A list of events is required.", field="events")
    if not events:
        raise InvalidRequest("Send at least one event.", field="events")
    if len(events) > MAX_EVENTS_PER_REQUEST:
        raise InvalidRequest(
            f"At most {MAX_EVENTS_PER_REQUEST} events per request, got {len(events)}; "
            "split the batch.",
            field="events",
        )
    return ingest_events(ctx, events, upsert=upsert).response()


def ingest_events(ctx: Ctx, raw_events: Sequence[Any], *, upsert: bool = False) -> IngestResult:
    """Validate and store a batch of parsed events (dicts as in the API body)."""
    uow = ctx.uow()
    now = uow.now
    now_us = timestamp_us(now)
    n = len(raw_events)
    result = IngestResult([""] * n, [FAILED] * n, [None] * n)
    chosen: dict[str, tuple[int, EventIn]] = {}
    for i, raw in enumerate(raw_events):
        result.keys[i] = event_key(raw, i)
        try:
            event = check_event(raw, now_us)
        except EventRejected as exc:
            result.reasons[i] = str(exc)
            continue
        earlier = chosen.get(event.unique_id)
        if earlier is not None:
            if not upsert:  # the first one sent is kept
                result.outcomes[i] = DUPLICATE
                continue
            result.outcomes[earlier[0]] = DUPLICATE  # the last one sent wins
        chosen[event.unique_id] = (i, event)
    if chosen:
        pinned = ctx.with_clock(FixedClock(now))
        for attempt in range(_ATTEMPTS):
            try:
                with _writer(ctx), pinned.uow() as uow:
                    _store(uow, chosen, result, upsert=upsert)
                    uow.commit()
                break
            except DBAPIError as exc:
                state = getattr(exc.orig, "sqlstate", None)
                if state not in _RETRYABLE_SQLSTATES or attempt == _ATTEMPTS - 1:
                    raise
    return result


@contextmanager
def _writer(ctx: Ctx) -> Iterator[None]:
    if ctx.engine.dialect.name != "sqlite":
        yield
        return
    with _sqlite_writer:
        fd = _lock_file(ctx.engine.url.database)
        if fd is None:
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _lock_file(database: str | None) -> int | None:
    """This process's descriptor of ``<database>-ingest-lock`` (None: in-memory, or no fcntl)."""
    if fcntl is None or not database or database == ":memory:":
        return None
    key = (os.getpid(), database)
    fd = _lock_files.get(key)
    if fd is None:
        fd = os.open(database + "-ingest-lock", os.O_RDWR | os.O_CREAT, 0o600)
        _lock_files[key] = fd
    return fd


def _store(
    uow: UnitOfWork,
    chosen: dict[str, tuple[int, EventIn]],
    result: IngestResult,
    *,
    upsert: bool,
) -> None:
    env = uow.environment
    for i, _ in chosen.values():  # a retried attempt starts over: nothing from the one before
        result.outcomes[i], result.reasons[i] = FAILED, None
    refused = _foreign_subscriptions(uow, chosen)
    for uid, reason in refused.items():
        result.reasons[chosen[uid][0]] = reason
    chosen = {uid: pair for uid, pair in chosen.items() if uid not in refused}
    rows = [
        EventRow(
            uid, ev.event_name, ev.account, ev.timestamp_us, dumps_exact(ev.properties).decode(),
            ev.subscription_id,
        )
        for uid, (_, ev) in sorted(chosen.items())
    ]
    new = dict(insert_events(uow.conn, env, rows, uow.now))  # also resolves every account
    stored = set(new)
    attributed = [
        (new[r.unique_id], r.event_name, r.timestamp_us)
        for r in rows
        if new.get(r.unique_id) is not None
    ]
    after_ingest(uow, attributed)
    existing: dict[str, tuple[int, EventIn]] = {}
    for uid, (i, ev) in chosen.items():
        if uid in stored:
            result.outcomes[i] = INGESTED
        elif upsert:
            existing[uid] = (i, ev)
        else:
            result.outcomes[i] = DUPLICATE
    if existing:
        _replace(uow, existing, result)


def _foreign_subscriptions(uow: UnitOfWork, chosen: dict[str, tuple[int, EventIn]],
                           ) -> dict[str, str]:
    """The events that name a subscription which is not their account's customer's (or does
    not exist), with the reason: refused, so that no usage is billed where it does not belong.
    Two queries for the batch, only when some event names a subscription."""
    naming = {uid: ev for uid, (_, ev) in chosen.items() if ev.subscription_id is not None}
    if not naming:
        return {}
    env = uow.environment
    owners = dict(uow.conn.execute(select(subscriptions.c.id, subscriptions.c.customer_id).where(
        subscriptions.c.environment == env,
        subscriptions.c.id.in_(sorted({ev.subscription_id for ev in naming.values()})))).all())
    accounts = find_customer_ids(uow.conn, env, sorted({ev.account for ev in naming.values()}))
    refused = {}
    for uid, ev in naming.items():
        owner = owners.get(ev.subscription_id)
        if owner is None:
            refused[uid] = f"subscription_id: there is no subscription {ev.subscription_id!r}"
        elif accounts.get(ev.account) != owner:
            refused[uid] = (f"subscription_id: subscription {ev.subscription_id!r} is not a "
                            f"subscription of account {ev.account!r}")
    return refused


def _replace(
    uow: UnitOfWork, existing: dict[str, tuple[int, EventIn]], result: IngestResult
) -> None:
    """Upsert: replace the properties of stored events, unless that would change what they are
    (account, event name, timestamp) or their billing period is already invoiced."""
    env = uow.environment
    stored = fetch_stored(uow.conn, env, sorted(existing), lock=True)
    candidates: dict[str, tuple[int, EventIn]] = {}
    for uid, (i, ev) in existing.items():
        row = stored.get(uid)
        problem = _mismatch(ev, row)
        if problem:
            result.reasons[i] = problem
        else:
            candidates[uid] = (i, ev)
    invoiced = invoiced_event_ids(
        uow.conn,
        env,
        [(uid, stored[uid].customer_id, stored[uid].timestamp_us) for uid in sorted(candidates)],
    )
    updates = []
    for uid, (i, ev) in sorted(candidates.items()):
        if uid in invoiced:
            result.reasons[i] = (
                "timestamp: the event's billing period is already invoiced, so its properties "
                "can no longer change; send a correcting event instead"
            )
            continue
        updates.append((uid, dumps_exact(ev.properties).decode()))
        result.outcomes[i] = UPDATED
    replace_properties(uow.conn, env, updates, uow.now)


def _mismatch(event: EventIn, row: Any) -> str | None:
    if row is None:  # conflicted yet not found: cannot happen while events are never deleted
        return "unique_id: the stored event could not be read; retry the request"
    if row.event_name != event.event_name:
        return (
            f"event_name: the stored event is {row.event_name!r}; upsert replaces properties only"
        )
    if row.account != event.account:
        return f"account: the stored event is for {row.account!r}; upsert replaces properties only"
    if row.subscription_id != event.subscription_id:
        return (f"subscription_id: the stored event names {row.subscription_id!r}; upsert "
                "replaces properties only")
    if event.timestamp_given and row.timestamp_us != event.timestamp_us:
        return (
            f"timestamp: the stored event is at {format_us(row.timestamp_us)}; "
            "upsert replaces properties only"
        )
    return None
