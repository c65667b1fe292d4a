"""Portal links and the visits they open.

- ``create_link`` makes a ``ps_`` session for one customer: a single-use random token in its
  URL (only the token's SHA-256 is stored), the sections and abilities in force (the
  environment's Settings → Customer Portal with the request's own over them) and its expiry.
- ``open_link`` spends the token (once: a second opening, or one after ``expires_at``, is
  ``Gone``) and opens a visit: another random token for the browser's HttpOnly cookie, again
  stored hashed, bound to that customer and environment, with its own CSRF token.
- ``find_visit`` is what every portal request asks first.

Times are real time (``Kassa.wall_clock``), like dashboard sessions: a link's validity is a
matter of security, not of billing, so a frozen sandbox clock never keeps one alive.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from kassa.domain.errors import Gone
from kassa.ids import new_id
from kassa.resources.settings import CustomerPortalSettings
from kassa.services import environment_settings
from kassa.services.context import Ctx
from kassa.services.customers import resolve_customer
from kassa.services.links import absolute
from kassa.services.serialize import rfc3339
from kassa.store.tables import customer_aliases, portal_sessions, portal_visits
from kassa.store.uow import UnitOfWork

# How long a browser stays signed in to the portal after opening a link.
VISIT_LIFETIME = timedelta(hours=1)
SECTIONS = ("plan_overview_settings", "invoice_list_settings", "billing_details_settings",
            "usage_settings")
LINK_SPENT = ("This portal link has already been used or has expired. Links work once and for "
              "a limited time: ask for a new link.")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Visit:
    """A browser signed in to the portal: which customer of which environment it may see, what
    it may do there, and the token its forms must carry."""

    portal_session_id: str
    environment: str
    customer_id: str
    csrf_token: str
    settings: dict[str, dict[str, bool]]
    return_url: str | None
    expires_at: datetime

    def shows(self, section: str) -> bool:
        return bool(self.settings.get(f"{section}_settings", {}).get("show_section"))

    def allows(self, ability: str) -> bool:
        return bool(self.settings["plan_overview_settings"].get(ability))


def create_link(
    ctx: Ctx, *, customer_ref: str, by_alias: bool, sections: dict[str, dict[str, bool]],
    return_url: str | None, expires_in: int, now: datetime, request_base: str | None = None,
) -> dict[str, Any]:
    """A new portal session for the customer ``customer_ref`` (an id, or an alias when
    ``by_alias``); NotFound (customer_id or customer_alias) when there is none."""
    with ctx.uow() as uow:
        link = add_link(uow, customer_ref=customer_ref, by_alias=by_alias, sections=sections,
                        return_url=return_url, expires_in=expires_in, now=now,
                        request_base=request_base)
        uow.commit()
    return link


def add_link(
    uow: UnitOfWork, *, customer_ref: str, by_alias: bool, sections: dict[str, dict[str, bool]],
    return_url: str | None, expires_in: int, now: datetime, request_base: str | None = None,
) -> dict[str, Any]:
    """``create_link`` inside the caller's transaction (the link exists if and only if what
    asked for it committed: a customer email that carries it)."""
    token = secrets.token_urlsafe(32)
    session_id = new_id("ps")
    customer_id = _customer_id(uow.conn, uow.environment, customer_ref, by_alias)
    defaults = environment_settings.read(uow.conn, uow.environment, CustomerPortalSettings)
    in_force = {
        name: {**getattr(defaults, name).model_dump(), **sections.get(name, {})}
        for name in SECTIONS
    }
    row = {
        "id": session_id, "environment": uow.environment, "customer_id": customer_id,
        "token_hash": token_hash(token), "settings": in_force, "return_url": return_url,
        "created_at": now, "expires_at": now + timedelta(seconds=expires_in),
    }
    uow.conn.execute(insert(portal_sessions).values(**row))
    return {
        "id": session_id, "customer_id": customer_id,
        "url": absolute(uow.settings, f"/portal/open/{token}", request_base),
        "return_url": return_url, "created_at": rfc3339(row["created_at"]),
        "expires_at": rfc3339(row["expires_at"]),
    }


def _customer_id(conn: Any, environment: str, ref: str, by_alias: bool) -> str:
    if not by_alias:
        return str(resolve_customer(conn, environment, ref)["id"])
    found = conn.execute(select(customer_aliases.c.customer_id).where(
        customer_aliases.c.environment == environment, customer_aliases.c.alias == ref,
    )).scalar()
    if found is None:
        from kassa.domain.errors import NotFound

        raise NotFound(f"No customer has the alias {ref!r}.", field="customer_alias")
    return str(found)


def open_link(engine: Engine, token: str, now: datetime) -> tuple[Visit, str]:
    """Spend the link's token and open a visit: the visit and its cookie token. ``Gone`` when
    the token is unknown, spent or expired (the three look the same to whoever holds it)."""
    digest = token_hash(token)
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with engine.begin() as conn:
        spent = conn.execute(
            update(portal_sessions)
            .where(portal_sessions.c.token_hash == digest, portal_sessions.c.opened_at.is_(None),
                   portal_sessions.c.expires_at > now)
            .values(opened_at=now)
            .returning(*portal_sessions.c["id", "environment", "customer_id", "settings",
                                            "return_url"])
        ).mappings().first()
        if spent is None:
            raise Gone(LINK_SPENT)
        conn.execute(delete(portal_visits).where(portal_visits.c.expires_at <= now))
        expires_at = now + VISIT_LIFETIME
        conn.execute(insert(portal_visits).values(
            token_hash=token_hash(cookie), portal_session_id=spent["id"],
            environment=spent["environment"], customer_id=spent["customer_id"],
            csrf_token=csrf, created_at=now, expires_at=expires_at,
        ))
    visit = Visit(spent["id"], spent["environment"], spent["customer_id"], csrf,
                  dict(spent["settings"]), spent["return_url"], expires_at)
    return visit, cookie


def find_visit(engine: Engine, cookie: str | None, now: datetime) -> Visit | None:
    """The live visit whose cookie token is ``cookie``, or None."""
    if not cookie:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(portal_visits.c["portal_session_id", "environment", "customer_id",
                                   "csrf_token", "expires_at"],
                   portal_sessions.c["settings", "return_url"])
            .join(portal_sessions, portal_sessions.c.id == portal_visits.c.portal_session_id)
            .where(portal_visits.c.token_hash == token_hash(cookie),
                   portal_visits.c.expires_at > now)
        ).mappings().first()
    if row is None:
        return None
    return Visit(row["portal_session_id"], row["environment"], row["customer_id"],
                 row["csrf_token"], dict(row["settings"]), row["return_url"], row["expires_at"])


def end_visit(engine: Engine, cookie: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(portal_visits).where(portal_visits.c.token_hash == token_hash(cookie)))
