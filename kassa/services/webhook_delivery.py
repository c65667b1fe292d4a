"""One delivery attempt of a webhook message: the ``webhook.deliver`` job handler.

The job's payload names the message and the attempt number it performs. The HTTP call happens
outside any transaction; its outcome (the attempt record, the message's new status and the job
for the next attempt) is written by ``record_attempts``, for a whole batch, in the transaction
that completes the jobs. A worker that dies before that commit leaves the job to be claimed again
after its lease: the attempt is made again under the same ``msg_`` id (at-least-once), and is
recorded once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping

from kassa.clock import utcnow
from kassa.domain.webhooks import next_attempt_delay
from kassa.ids import new_id
from kassa.queue import Job
from kassa.queue.retry import RetryPolicy
from kassa.queue.runner import JobResult
from kassa.sealing import operator_keys
from kassa.services.context import Ctx
from kassa.services.webhook_endpoints import open_secret
from kassa.services.webhook_messages import DELIVER_JOB
from kassa.store.queries import among
from kassa.store.tables import webhook_attempts, webhook_endpoints, webhook_messages
from kassa.store.types import UTCDateTime
from kassa.store.uow import UnitOfWork
from kassa.webhooks.outbound import AttemptResult
from kassa.webhooks.signing import signature_headers
from kassa.webhooks.urls import private_allowed

# For crashes of the handler itself (database trouble...), not for endpoint failures, which are
# recorded attempts that follow the webhook schedule.
DELIVER_RETRY = RetryPolicy(max_attempts=8, multiplier=2)


_m, _e = webhook_messages, webhook_endpoints
# A message with what delivery needs of its endpoint (built once: this runs per delivery).
_LOAD = (
    select(_m, _e.c.url, _e.c.enabled, _e.c.secret, _e.c.previous_secret,
           _e.c.previous_secret_expires_at)
    .join(_e, (_e.c.environment == _m.c.environment) & (_e.c.id == _m.c.endpoint_id))
    .where(_m.c.environment == bindparam("env"), _m.c.id.in_(bindparam("ids", expanding=True)))
)
# The message after an attempt; executed once per batch with one parameter set per message.
_RECORD = (
    update(_m)
    .where(_m.c.seq == bindparam("m_seq"), _m.c.status == "pending",
           _m.c.attempts == bindparam("m_previous"))
    .values(
        status=bindparam("v_status"),
        attempts=bindparam("v_attempts"),
        last_attempt_at=bindparam("v_last", type_=UTCDateTime()),
        delivered_at=func.coalesce(bindparam("v_delivered", type_=UTCDateTime()),
                                   _m.c.delivered_at),
        next_attempt_at=bindparam("v_next", type_=UTCDateTime()),
        updated_at=bindparam("v_updated", type_=UTCDateTime()),
    )
)
_MISSING = object()


def _load(ctx: Ctx, message_ids: list[str]) -> dict[str, RowMapping]:
    with ctx.uow(read_only=True) as uow:
        rows = uow.conn.execute(_LOAD, {"env": ctx.environment, "ids": message_ids}).mappings()
        return {row["id"]: row for row in rows}


def prefetch(ctx: Ctx, jobs: list[Job]) -> dict[str, Any]:
    """Load the messages of a whole batch of delivery jobs in one query."""
    rows = _load(ctx, sorted({str(j.payload["message_id"]) for j in jobs}))
    return {j.id: rows.get(str(j.payload["message_id"]), _MISSING) for j in jobs}


def _secrets(ctx: Ctx, row: RowMapping) -> list[str]:
    """The endpoint's signing secrets, opened here, just before signing (SealedSecretError when
    the operator key cannot open them: the attempt fails rather than sign with anything else)."""
    keys = operator_keys(ctx.settings)
    signing = [open_secret(keys, row, "secret", row["endpoint_id"])]
    expires = row["previous_secret_expires_at"]
    if row["previous_secret"] and expires is not None and expires > utcnow():
        signing.append(open_secret(keys, row, "previous_secret", row["endpoint_id"]))
    return signing


@dataclass(frozen=True)
class Attempt:
    """One attempt made, to be recorded (``record_attempts`` writes a batch of them)."""

    message: RowMapping
    number: int
    trigger: str  # scheduled | manual
    attempted_at: datetime
    result: AttemptResult


def deliver(ctx: Ctx, job: Job) -> JobResult:
    """Make attempt ``payload["attempt"]`` of message ``payload["message_id"]``."""
    message_id = str(job.payload["message_id"])
    attempt = int(job.payload["attempt"])
    trigger = str(job.payload.get("trigger", "scheduled"))
    info: dict[str, Any] = {"message_id": message_id, "attempt": attempt}
    row = job.prefetched
    if row is None:  # not prefetched
        row = _load(ctx, [message_id]).get(message_id, _MISSING)
    if row is _MISSING:
        return JobResult(info={**info, "skipped": "the message or its endpoint was deleted"})
    if row["status"] != "pending" or row["attempts"] != attempt - 1:
        return JobResult(info={**info, "skipped": "this attempt was already made"})
    if not row["enabled"] and trigger == "scheduled":
        skipped = {**info, "skipped": "endpoint disabled"}
        return JobResult(_fail_message_of_disabled(row), info=skipped)
    if ctx.outbound is None:
        raise RuntimeError("no outbound HTTP configured for webhook delivery")
    body = row["body"].encode()
    # Real time: receivers compare it with their own clock (Standard Webhooks allows 5 minutes).
    timestamp = int(utcnow().timestamp())
    headers = signature_headers(message_id, timestamp, body, _secrets(ctx, row))
    attempted_at = ctx.clock.now()
    require_public = ctx.environment == "production" and not ctx.settings.webhook_allow_private
    result = ctx.outbound.post(row["url"], body, headers, require_public=require_public,
                               allow_private=private_allowed(ctx.environment, ctx.settings))
    info.update(endpoint_id=row["endpoint_id"], status_code=result.status_code,
                delivered=result.delivered)
    return JobResult(outcome=Attempt(row, attempt, trigger, attempted_at, result), info=info)


def _next_state(attempt: Attempt, now: datetime) -> tuple[dict[str, Any], datetime | None]:
    """The message's columns after ``attempt``, and when the next attempt is due (or None)."""
    if attempt.result.delivered:
        status, delivered_at, next_at = "succeeded", attempt.attempted_at, None
    else:
        delay = next_attempt_delay(attempt.number) if attempt.trigger == "scheduled" else None
        next_at = None if delay is None else now + delay
        status, delivered_at = ("pending" if next_at else "failed"), None
    values = {
        "m_seq": attempt.message["seq"],
        "m_previous": attempt.number - 1,
        "v_status": status,
        "v_attempts": attempt.number,
        "v_last": attempt.attempted_at,
        "v_delivered": delivered_at,
        "v_next": next_at,
        "v_updated": now,
    }
    return values, next_at


def _attempt_row(uow: UnitOfWork, attempt: Attempt) -> dict[str, Any]:
    result = attempt.result
    return {
        "environment": uow.environment,
        "id": new_id("att"),
        "message_id": attempt.message["id"],
        "attempt": attempt.number,
        "trigger": attempt.trigger,
        "attempted_at": attempt.attempted_at,
        "succeeded": result.delivered,
        "status_code": result.status_code,
        "duration_ms": result.duration_ms,
        "response": result.response,
        "error": result.error,
        "created_at": uow.now,
        "updated_at": uow.now,
    }


def record_attempts(uow: UnitOfWork, items: list[tuple[Job, Attempt]]) -> None:
    """Write a batch of attempts, the messages' new states and the next attempts' jobs.

    Three statements for the whole batch. An attempt already recorded (its job ran twice after
    a lease ran out) is recorded once and changes nothing else.
    """
    # A message deleted with its endpoint while being delivered has nothing to record (its
    # attempt row would break the foreign key, and with it the whole batch).
    # Key-share locked (PostgreSQL) so that a deletion cannot slip in before the insert.
    existing = set(uow.conn.execute(select(_m.c.id).where(
        _m.c.environment == uow.environment,
        among(uow.conn, _m.c.id, sorted({a.message["id"] for _, a in items})),
    ).order_by(_m.c.id).with_for_update(read=True, key_share=True)).scalars())
    attempts = [attempt for _, attempt in items if attempt.message["id"] in existing]
    if not attempts:
        return
    dialect = postgresql if uow.dialect == "postgresql" else sqlite
    insert_attempts = (
        dialect.insert(webhook_attempts)
        .on_conflict_do_nothing(index_elements=["environment", "message_id", "attempt"])
        .returning(webhook_attempts.c.message_id, webhook_attempts.c.attempt)
    )
    rows = [_attempt_row(uow, a) for a in attempts]
    recorded = {tuple(r) for r in uow.conn.execute(insert_attempts, rows).all()}
    fresh = [a for a in attempts if (a.message["id"], a.number) in recorded]
    if not fresh:
        return
    states = [_next_state(a, uow.now) for a in fresh]
    uow.conn.execute(_RECORD, [values for values, _ in states])
    follow_ups = {a.message["id"]: (a, at) for a, (_, at) in zip(fresh, states) if at is not None}
    if follow_ups:
        # Only for messages the update reached (not disabled or deleted meanwhile).
        still_pending = set(uow.conn.execute(
            select(_m.c.id).where(
                _m.c.environment == uow.environment,
                among(uow.conn, _m.c.id, list(follow_ups)),
                _m.c.status == "pending",
            )
        ).scalars())
        uow.enqueue_many(DELIVER_JOB, [
            ({"message_id": mid, "attempt": a.number + 1, "trigger": "scheduled"}, at)
            for mid, (a, at) in follow_ups.items()
            if mid in still_pending
        ])


def _fail_message_of_disabled(row: RowMapping) -> Any:
    def finish(uow: UnitOfWork) -> None:
        _fail_pending(uow, row["id"])

    return finish


def _fail_pending(uow: UnitOfWork, message_id: str) -> None:
    uow.conn.execute(
        update(webhook_messages)
        .where(webhook_messages.c.environment == uow.environment,
               webhook_messages.c.id == message_id,
               webhook_messages.c.status == "pending")
        .values(status="failed", next_attempt_at=None, updated_at=uow.now)
    )


def on_job_failure(uow: UnitOfWork, job: Job, error: str) -> None:
    """The delivery job itself was given up: the message is failed (it can be retried)."""
    _fail_pending(uow, str(job.payload.get("message_id")))
