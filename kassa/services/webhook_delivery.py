"""One delivery attempt of a webhook message: the ``webhook.deliver`` job handler.

The job's payload names the message and the attempt number it performs. The HTTP call happens
outside any transaction; its outcome (the attempt record, the message's new status and the job
for the next attempt) is written by ``finish`` in the transaction that completes the job. A
worker that dies before that commit leaves the job to be claimed again after its lease: the
attempt is made again under the same ``msg_`` id (at-least-once), and is recorded once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import RowMapping

from kassa.clock import utcnow
from kassa.domain.webhooks import next_attempt_delay
from kassa.ids import new_id
from kassa.queue.retry import RetryPolicy
from kassa.queue.runner import JobResult
from kassa.queue.sql import Job
from kassa.services.context import Ctx
from kassa.services.serialize import rfc3339
from kassa.services.webhook_messages import DELIVER_JOB
from kassa.store.tables import webhook_attempts, webhook_endpoints, webhook_messages
from kassa.store.uow import UnitOfWork
from kassa.webhooks.outbound import AttemptResult
from kassa.webhooks.signing import signature_headers

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
_RECORD = (
    update(_m)
    .where(_m.c.seq == bindparam("m_seq"), _m.c.status == "pending",
           _m.c.attempts == bindparam("m_previous"))
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


def _secrets(row: RowMapping) -> list[str]:
    signing = [row["secret"]]
    expires = row["previous_secret_expires_at"]
    if row["previous_secret"] and expires is not None and expires > utcnow():
        signing.append(row["previous_secret"])
    return signing


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
        return JobResult(_fail_message_of_disabled(row), {**info, "skipped": "endpoint disabled"})
    if ctx.outbound is None:
        raise RuntimeError("no outbound HTTP configured for webhook delivery")
    body = row["body"].encode()
    # Real time: receivers compare it with their own clock (Standard Webhooks allows 5 minutes).
    timestamp = int(utcnow().timestamp())
    headers = signature_headers(message_id, timestamp, body, _secrets(row))
    attempted_at = ctx.clock.now()
    require_public = ctx.environment == "production" and not ctx.settings.webhook_allow_private
    result = ctx.outbound.post(row["url"], body, headers, require_public=require_public)
    info.update(endpoint_id=row["endpoint_id"], status_code=result.status_code,
                delivered=result.delivered)

    def finish(uow: UnitOfWork) -> None:
        next_at = record_attempt(uow, row, attempt, trigger, attempted_at, result)
        info["next_attempt_at"] = rfc3339(next_at)

    return JobResult(finish, info)


def record_attempt(
    uow: UnitOfWork,
    message: RowMapping,
    attempt: int,
    trigger: str,
    attempted_at: datetime,
    result: AttemptResult,
) -> datetime | None:
    """Write the attempt and the message's new state; queue the next attempt. Returns its time."""
    next_at: datetime | None = None
    values: dict[str, Any] = {"attempts": attempt, "last_attempt_at": attempted_at,
                              "updated_at": uow.now}
    if result.delivered:
        values.update(status="succeeded", delivered_at=attempted_at, next_attempt_at=None)
    else:
        delay = next_attempt_delay(attempt) if trigger == "scheduled" else None
        next_at = None if delay is None else uow.now + delay
        values.update(status="pending" if next_at else "failed", next_attempt_at=next_at)
    updated = uow.conn.execute(
        _RECORD.values(**values), {"m_seq": message["seq"], "m_previous": attempt - 1}
    ).rowcount
    if not updated:  # recorded by another run of this job meanwhile
        return None
    uow.conn.execute(webhook_attempts.insert(), {
        "environment": uow.environment,
        "id": new_id("att"),
        "message_id": message["id"],
        "attempt": attempt,
        "trigger": trigger,
        "attempted_at": attempted_at,
        "succeeded": result.delivered,
        "status_code": result.status_code,
        "duration_ms": result.duration_ms,
        "response": result.response,
        "error": result.error,
        "created_at": uow.now,
        "updated_at": uow.now,
    })
    if next_at is not None:
        uow.enqueue(DELIVER_JOB, {"message_id": message["id"], "attempt": attempt + 1,
                                  "trigger": "scheduled"}, run_at=next_at)
    return next_at


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
