"""Dashboard sign-in: password checks throttled after repeated failures, and the sessions they
open (stored server-side: the browser holds a random token, the database its SHA-256).

Times are real time, handed in by the caller (``Kassa.wall_clock``): a session expires and a
throttle lifts by the wall clock, never by a sandbox clock.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, select, update

from kassa.domain.errors import InvalidRequest, TooManyAttempts, Unauthorized
from kassa.services import users as accounts
from kassa.store.engine import reader
from kassa.store.tables import ENVIRONMENTS, sign_in_failures, users, web_sessions

SESSION_LIFETIME = timedelta(hours=12)
THROTTLE_WINDOW = timedelta(minutes=15)
# Failed sign-ins within the window after which sign-in is refused (429): per email typed, and
# per client address (higher: several people may share one address behind a proxy).
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_ADDRESS = 50
WRONG = "Wrong email or password."


@dataclass(frozen=True)
class Session:
    """A signed-in browser: who, in which environment, and the token its forms must carry."""

    user_id: str
    email: str
    role: str
    environment: str
    csrf_token: str
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(
    engine: Engine, email: str, password: str, address: str, now: datetime
) -> tuple[Session, str]:
    """Check the password and open a session in the sandbox; returns it and its cookie token.

    Unauthorized for a wrong email or password (or a disabled user), TooManyAttempts while the
    email or the address has too many recent failures (even with the right password)."""
    email = accounts.normalize_email(email)
    _check_throttle(engine, email, address, now)
    user = accounts.verify_password(engine, email, password, now)
    if user is None:
        with engine.begin() as conn:
            conn.execute(
                delete(sign_in_failures).where(sign_in_failures.c.at < now - THROTTLE_WINDOW)
            )
            conn.execute(sign_in_failures.insert().values(email=email, address=address, at=now))
        raise Unauthorized(WRONG)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session = Session(user["id"], user["email"], user["role"], "sandbox", csrf,
                      now + SESSION_LIFETIME)
    with engine.begin() as conn:
        conn.execute(delete(sign_in_failures).where(sign_in_failures.c.email == email))
        conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))
        conn.execute(web_sessions.insert().values(
            token_hash=token_hash(token), user_id=session.user_id,
            environment=session.environment, csrf_token=csrf, created_at=now,
            expires_at=session.expires_at,
        ))
    return session, token


def _check_throttle(engine: Engine, email: str, address: str, now: datetime) -> None:
    since = now - THROTTLE_WINDOW
    f = sign_in_failures.c
    with reader(engine) as conn:
        for column, value, limit in ((f.email, email, MAX_FAILURES_PER_EMAIL),
                                     (f.address, address, MAX_FAILURES_PER_ADDRESS)):
            count, oldest = conn.execute(
                select(func.count(), func.min(f.at)).where(column == value, f.at > since)
            ).one()
            if count >= limit:
                wait = math.ceil((oldest + THROTTLE_WINDOW - now).total_seconds())
                minutes = max(1, math.ceil(wait / 60))
                raise TooManyAttempts(
                    f"Too many failed sign-ins. Try again in {minutes} "
                    f"minute{'s' if minutes != 1 else ''}.",
                    retry_after=max(1, wait),
                )


def find_session(engine: Engine, token: str | None, now: datetime) -> Session | None:
    """The unexpired session of ``token`` whose user is still active, else None."""
    if not token:
        return None
    s, u = web_sessions.c, users.c
    with reader(engine) as conn:
        row = conn.execute(
            select(s.user_id, u.email, u.role, s.environment, s.csrf_token, s.expires_at)
            .join(users, u.id == s.user_id)
            .where(s.token_hash == token_hash(token), s.expires_at > now,
                   u.disabled_at.is_(None))
        ).first()
    return Session(*row) if row is not None else None


def switch_environment(engine: Engine, token: str, environment: str) -> None:
    """Point the session at ``environment`` (sandbox or production)."""
    if environment not in ENVIRONMENTS:
        raise InvalidRequest(
            f"Unknown environment {environment!r}; use sandbox or production.", field="environment"
        )
    with engine.begin() as conn:
        conn.execute(update(web_sessions).where(web_sessions.c.token_hash == token_hash(token))
                     .values(environment=environment))


def sign_out(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == token_hash(token)))
