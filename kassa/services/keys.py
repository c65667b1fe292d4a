"""API keys: random secrets shown once, stored only as SHA-256 hashes, one environment each."""

from __future__ import annotations

import hashlib
import hmac
import threading
from time import monotonic
from typing import Any

from sqlalchemy import Engine, func, select, update

from kassa.clock import utcnow
from kassa.domain.errors import InvalidRequest, NotFound, Unauthorized
from kassa.ids import new_id, random_base62
from kassa.resources import render
from kassa.resources.keys import ApiKey
from kassa.store.engine import reader
from kassa.store.tables import ENVIRONMENTS, api_keys

KEY_PREFIX = {"sandbox": "sk_test_", "production": "sk_live_"}
SECRET_LENGTH = 40  # base62 characters: about 238 bits


def hash_key(key: str) -> str:
    """Keys are long random strings, so a plain SHA-256 is the right (and fast) hash."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(engine: Engine, environment: str, name: str) -> tuple[dict[str, Any], str]:
    """Create a key; returns its description and the secret, which is never stored."""
    if environment not in ENVIRONMENTS:
        raise InvalidRequest(
            f"Unknown environment {environment!r}; use sandbox or production.", field="environment"
        )
    name = name.strip()
    if not name or len(name) > 255:
        raise InvalidRequest("The key name must be 1-255 characters.", field="name")
    secret = KEY_PREFIX[environment] + random_base62(SECRET_LENGTH)
    row = {
        "id": new_id("key"),
        "environment": environment,
        "name": name,
        "prefix": secret[:12],
        "key_hash": hash_key(secret),
        "created_at": utcnow(),
        "revoked_at": None,
    }
    with engine.begin() as conn:
        conn.execute(api_keys.insert().values(**row))
    return render(ApiKey, row), secret


def list_keys(engine: Engine, environment: str | None = None) -> list[dict[str, Any]]:
    """Every key, or those of ``environment``, oldest first."""
    stmt = select(api_keys).order_by(api_keys.c.seq)
    if environment is not None:
        stmt = stmt.where(api_keys.c.environment == environment)
    with reader(engine) as conn:
        rows = conn.execute(stmt).mappings().all()
    return [render(ApiKey, r) for r in rows]


def revoke_key(engine: Engine, key_id: str, environment: str | None = None) -> dict[str, Any]:
    """Revoke key ``key_id`` (of ``environment``, when given: another's is not found)."""
    mine = [api_keys.c.id == key_id]
    if environment is not None:
        mine.append(api_keys.c.environment == environment)
    with engine.begin() as conn:
        conn.execute(
            update(api_keys)
            .where(*mine, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        row = conn.execute(select(api_keys).where(*mine)).mappings().first()
    if row is None:
        raise NotFound(f"API key {key_id!r} was not found.")
    forget_cached_keys()
    return render(ApiKey, row)


def count_keys(engine: Engine) -> int:
    with reader(engine) as conn:
        return conn.execute(select(func.count()).select_from(api_keys)).scalar_one()


# Valid keys seen recently: digest -> (environment, when checked). A key revoked in this process
# (the dashboard, the service) is refused from the next request on; one revoked in another
# process (``kassa keys revoke``, another API process) stops working within CACHE_SECONDS.
# Only valid keys are cached, so an unknown key always reaches the database. ``_generation``
# counts revocations: a check that read the key before one does not cache what it read.
CACHE_SECONDS = 2.0
_recent: dict[str, tuple[str, float]] = {}
_recent_lock = threading.Lock()
_generation = 0


def forget_cached_keys() -> None:
    global _generation
    with _recent_lock:
        _generation += 1
        _recent.clear()


def authenticate(engine: Engine, authorization: str | None) -> str:
    """The environment of the key in an ``Authorization: Bearer`` header, else Unauthorized."""
    if not authorization:
        raise Unauthorized("Missing API key: send 'Authorization: Bearer <key>'.")
    scheme, _, key = authorization.strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise Unauthorized("Malformed Authorization header: use 'Bearer <key>'.")
    if not key.startswith(tuple(KEY_PREFIX.values())):
        raise Unauthorized("Invalid API key.")
    digest = hash_key(key)
    cache_key = f"{id(engine)}:{digest}"
    seen = _recent.get(cache_key)
    if seen is not None and monotonic() - seen[1] < CACHE_SECONDS:
        return seen[0]
    generation = _generation
    with reader(engine) as conn:
        row = conn.execute(
            select(api_keys.c.environment, api_keys.c.key_hash, api_keys.c.revoked_at).where(
                api_keys.c.key_hash == digest
            )
        ).first()
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        raise Unauthorized("Invalid API key.")
    if row.revoked_at is not None:
        raise Unauthorized("This API key has been revoked.")
    with _recent_lock:
        if len(_recent) > 10_000:
            _recent.clear()
        if generation == _generation:  # no revocation since the read
            _recent[cache_key] = (str(row.environment), monotonic())
    return str(row.environment)

