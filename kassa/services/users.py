"""Dashboard users: created with a role, listed, re-roled and disabled; passwords hashed with
Argon2id and never stored or shown otherwise (a generated one is returned once).

Roles, from least to most: ``viewer`` (reads everything, changes nothing), ``member`` (works
with billing data) and ``admin`` (also manages API keys, users and settings). An installation
keeps at least one active admin, so the dashboard can always be managed from the dashboard.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.exc import IntegrityError

from kassa.domain.errors import Conflict, InvalidRequest, NotFound
from kassa.ids import new_id, random_base62
from kassa.resources import render
from kassa.resources.users import User
from kassa.store.engine import reader
from kassa.store.tables import users, web_sessions

ROLES = ("admin", "member", "viewer")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # Argon2 hashes any length; this bounds the work one request can ask for
GENERATED_PASSWORD_LENGTH = 20  # base62: about 119 bits
MAX_EMAIL = 320
# Deliberately loose: one @, something on each side, a dot in the domain, no spaces.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

hasher = PasswordHasher()  # Argon2id with argon2-cffi's recommended parameters
# Verified when the email is unknown, so a wrong address costs the time a wrong password does.
_DUMMY_HASH = hasher.hash(random_base62(GENERATED_PASSWORD_LENGTH))


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> str:
    """The address lowercased, or InvalidRequest naming the ``email`` field."""
    email = normalize_email(email)
    if not email:
        raise InvalidRequest("Enter an email address.", field="email")
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise InvalidRequest(f"{email!r} is not an email address.", field="email")
    return email


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidRequest(
            f"Unknown role {role!r}; choose admin, member or viewer.", field="role"
        )
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidRequest(
            f"The password must have at least {MIN_PASSWORD} characters.", field="password"
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidRequest(
            f"The password must have at most {MAX_PASSWORD} characters.", field="password"
        )
    return password


def create_user(
    engine: Engine, email: str, role: str, now: datetime, password: str | None = None
) -> tuple[dict[str, Any], str | None]:
    """Create a user; returns its view and the generated password (None when one was given)."""
    email, role = check_email(email), check_role(role)
    generated = None
    if password is None:
        password = generated = random_base62(GENERATED_PASSWORD_LENGTH)
    row = {
        "id": new_id("usr"),
        "email": email,
        "role": role,
        "password_hash": hasher.hash(check_password(password)),
        "disabled_at": None,
        "last_sign_in_at": None,
        "created_at": now,
        "updated_at": now,
    }
    taken = Conflict(f"A user with the email {email!r} already exists.", field="email")
    with engine.begin() as conn:
        if _find(conn, email) is not None:
            raise taken
        try:
            conn.execute(users.insert().values(**row))
        except IntegrityError:  # created in parallel
            raise taken from None
    return render(User, row), generated


def list_users(engine: Engine) -> list[dict[str, Any]]:
    with reader(engine) as conn:
        rows = conn.execute(select(users).order_by(users.c.seq)).mappings().all()
    return [render(User, row) for row in rows]


def get_user(engine: Engine, user_id: str) -> dict[str, Any]:
    with reader(engine) as conn:
        row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    if row is None:
        raise NotFound(f"User {user_id!r} was not found.")
    return render(User, row)


def change_role(engine: Engine, ref: str, role: str, now: datetime) -> dict[str, Any]:
    """Give user ``ref`` (id or email) ``role``; the last active admin stays an admin."""
    role = check_role(role)
    with engine.begin() as conn:
        row = _resolve(conn, ref)
        if row["role"] == "admin" and role != "admin" and row["disabled_at"] is None:
            _keep_an_admin(conn, row, f"{row['email']} is the only active admin")
        return _update(conn, row, role=role, updated_at=now)


def disable_user(engine: Engine, ref: str, now: datetime) -> dict[str, Any]:
    """Disable user ``ref`` (id or email): it cannot sign in, and its sessions end now."""
    with engine.begin() as conn:
        row = _resolve(conn, ref)
        if row["disabled_at"] is not None:
            return render(User, row)
        if row["role"] == "admin":
            _keep_an_admin(conn, row, f"{row['email']} is the only active admin")
        conn.execute(delete(web_sessions).where(web_sessions.c.user_id == row["id"]))
        return _update(conn, row, disabled_at=now, updated_at=now)


def verify_password(engine: Engine, email: str, password: str, now: datetime) -> dict | None:
    """The active user with this email and password (its sign-in time recorded), else None."""
    email = normalize_email(email)
    with reader(engine) as conn:
        row = _find(conn, email)
    stored = row["password_hash"] if row is not None else _DUMMY_HASH
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row["disabled_at"] is not None:
        return None
    values: dict[str, Any] = {"last_sign_in_at": now}
    if hasher.check_needs_rehash(stored):
        values["password_hash"] = hasher.hash(password)
    with engine.begin() as conn:
        return _update(conn, row, **values)


def _find(conn: Connection, email: str) -> Any:
    return conn.execute(select(users).where(users.c.email == email)).mappings().first()


def _resolve(conn: Connection, ref: str) -> Any:
    stmt = select(users).where((users.c.id == ref) | (users.c.email == normalize_email(ref)))
    row = conn.execute(stmt.with_for_update()).mappings().first()
    if row is None:
        raise NotFound(f"User {ref!r} was not found.")
    return row


def _keep_an_admin(conn: Connection, row: Any, reason: str) -> None:
    """Conflict unless an active admin other than ``row`` remains (the admins are locked, so two
    admins demoting each other at once cannot both succeed)."""
    admins = conn.execute(
        select(users.c.id)
        .where(users.c.role == "admin", users.c.disabled_at.is_(None))
        .order_by(users.c.seq)
        .with_for_update()
    ).scalars().all()
    if not [user_id for user_id in admins if user_id != row["id"]]:
        raise Conflict(f"{reason}; make another user an admin first.", field="role")


def _update(conn: Connection, row: Any, **values: Any) -> dict[str, Any]:
    conn.execute(update(users).where(users.c.id == row["id"]).values(**values))
    return render(User, {**row, **values})
