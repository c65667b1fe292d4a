"""Idempotency keys: a request replayed with the same key gets the first response back.

A key is claimed (``in_flight``) before the request runs and holds the stored response after.
Keys live 24 hours of real time. A request answered 5xx, 413 or 429 releases its key so the client
can retry (a body over the size limit never claims one). A key stuck ``in_flight`` (its process
died) is taken over after ``STALE_AFTER``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import Engine, and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kassa.clock import utcnow
from kassa.domain.errors import Conflict, InvalidRequest
from kassa.resources.fields import SHOWN_ONCE
from kassa.store.tables import idempotency_keys

TTL = timedelta(hours=24)
STALE_AFTER = timedelta(minutes=5)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """Hash of what the request asks for; JSON bodies compare by content, not formatting, and
    query parameters by content, not order."""
    query = "&".join(sorted(query.split("&"))) if query else ""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS) if body else b""
    except orjson.JSONDecodeError:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query.encode(), canonical):
        digest.update(part)
        digest.update(b"\x00")
    return digest.hexdigest()


def without_shown_once(body: bytes, fields: tuple[str, ...]) -> bytes:
    """What is stored of an answer with secrets shown once (a webhook endpoint's ``secret``, a
    portal link's ``url``): a replay never shows them again, and the table never holds them.
    ``body`` (a JSON object) with each of ``fields`` it has replaced by ``SHOWN_ONCE``."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    if not isinstance(data, dict):
        return body
    return orjson.dumps({k: SHOWN_ONCE if k in fields else v for k, v in data.items()})


def _insert_ignore(dialect: str) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(idempotency_keys).on_conflict_do_nothing(
        index_elements=["environment", "key"]
    )


def claim(engine: Engine, environment: str, key: str, print_: str) -> StoredResponse | None:
    """Claim ``key`` for a new request (None) or return the response to replay.

    Raises InvalidRequest when the key was used with a different request, Conflict while the
    first request with this key is still running.
    """
    now = utcnow()
    where = and_(idempotency_keys.c.environment == environment, idempotency_keys.c.key == key)
    with engine.begin() as conn:
        conn.execute(delete(idempotency_keys).where(where, idempotency_keys.c.expires_at <= now))
        inserted = conn.execute(
            _insert_ignore(engine.dialect.name)
            .values(
                environment=environment,
                key=key,
                fingerprint=print_,
                state="in_flight",
                created_at=now,
                expires_at=now + TTL,
            )
            .returning(idempotency_keys.c.seq)
        ).first()
        if inserted is not None:
            return None
        row = conn.execute(select(idempotency_keys).where(where)).first()
        if row is None:  # released between our insert and select: claim again next time
            raise Conflict("This idempotency key is being released; retry the request.")
        if row.fingerprint != print_:
            raise InvalidRequest(
                "This Idempotency-Key was already used with a different request.",
                field="Idempotency-Key",
            )
        if row.state == "in_flight":
            if row.created_at > now - STALE_AFTER:
                raise Conflict(
                    "A request with this Idempotency-Key is still in progress; retry later."
                )
            conn.execute(update(idempotency_keys).where(where).values(created_at=now))
            return None
        return StoredResponse(row.response_status, dict(row.response_headers), row.response_body)


def store(engine: Engine, environment: str, key: str, response: StoredResponse) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.environment == environment, idempotency_keys.c.key == key)
            .values(
                state="done",
                response_status=response.status,
                response_headers=response.headers,
                response_body=response.body,
            )
        )


def release(engine: Engine, environment: str, key: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            delete(idempotency_keys).where(
                idempotency_keys.c.environment == environment,
                idempotency_keys.c.key == key,
                idempotency_keys.c.state == "in_flight",
            )
        )


def purge_expired(engine: Engine) -> int:
    with engine.begin() as conn:
        return conn.execute(
            delete(idempotency_keys).where(idempotency_keys.c.expires_at <= utcnow())
        ).rowcount
