"""Who is asking and what they may do, for every page: sessions, CSRF and roles in one place.

- **Sessions**: the ``kassa_session`` cookie (HttpOnly, SameSite=Lax, Secure on https, expiring
  with the session) holds a random token; ``kassa.services.sign_in`` keeps its hash and what it
  is looking at. A page without a live session redirects to the sign-in page. The cookie never
  authenticates the JSON API: the API reads API keys only.
- **CSRF**: every POST must carry the session's token, in the ``csrf_token`` form field (plain
  forms) or the ``X-CSRF-Token`` header (htmx sends it from ``<body hx-headers>``); a POST without
  it is refused with a 403 page. The sign-in form, before any session, uses a double-submit
  token (cookie ``kassa_sign_in`` and the same value in the form).
- **Roles**: ``view`` is everyone's, ``act`` (change billing data, move the sandbox clock) needs
  a member, ``manage`` (API keys, users, settings) an admin. A page shows only the buttons the
  user may press, and the POST behind each button checks again.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from kassa.services.context import Ctx
from kassa.services.sign_in import SESSION_LIFETIME, Session, find_session
from kassa.web.forms import Form, read_form

if TYPE_CHECKING:
    from kassa.bootstrap import Kassa

SESSION_COOKIE = "kassa_session"
SIGN_IN_COOKIE = "kassa_sign_in"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# The least role each ability needs.
ABILITIES = {"view": "viewer", "act": "member", "manage": "admin"}
RANK = {"viewer": 0, "member": 1, "admin": 2}
REFUSED_BECAUSE = {
    "act": "Viewers can look at everything but change nothing.",
    "manage": "Only admins manage API keys, users and settings.",
}


class SignInRequired(Exception):
    """No live session: the page answers with a redirect to the sign-in page."""


class Refused(Exception):
    """The request is refused with a readable page (403 without CSRF token or role, 429...)."""

    def __init__(
        self, status: int, title: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.headers = headers or {}


def role_can(role: str, ability: str) -> bool:
    return RANK.get(role, -1) >= RANK[ABILITIES[ability]]


@dataclass
class Visitor:
    """A signed-in request: its session, the installation, and the posted form (empty on GET)."""

    session: Session
    token: str
    kassa: Kassa
    form: Form = field(default_factory=Form)

    def can(self, ability: str) -> bool:
        return role_can(self.session.role, ability)

    @property
    def environment(self) -> str:
        return self.session.environment

    @cached_property
    def ctx(self) -> Ctx:
        """The service context of the environment the session looks at."""
        return self.kassa.ctx(self.session.environment)

    def reload_clock(self) -> None:
        """Read the environment's clock again (after the page moved it)."""
        self.__dict__.pop("ctx", None)


def get_kassa(request: Request) -> Kassa:
    return request.app.state.kassa  # type: ignore[no-any-return]


def _visitor(request: Request) -> Visitor:
    kassa = get_kassa(request)
    token = request.cookies.get(SESSION_COOKIE)
    session = find_session(kassa.engine, token, kassa.wall_clock.now())
    if session is None or token is None:
        raise SignInRequired
    visitor = Visitor(session, token, kassa)
    request.state.visitor = visitor  # the layout and the error pages show who is signed in
    return visitor


def known_visitor(request: Request) -> Visitor | None:
    """The visitor when the request carries a live session, else None (for error pages)."""
    if getattr(request.state, "visitor", None) is None:
        try:
            _visitor(request)
        except SignInRequired:
            return None
    return request.state.visitor  # type: ignore[no-any-return]


def signed_in(request: Request) -> Visitor:
    """Dependency of every page: the visitor, or a redirect to sign in."""
    return _visitor(request)


def posting(ability: str) -> Callable[[Request], Awaitable[Visitor]]:
    """Dependency of a POST: signed in, the session's CSRF token sent, and ``ability``."""

    async def dependency(request: Request) -> Visitor:
        form = await read_form(request)
        visitor = await run_in_threadpool(_visitor, request)
        sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), visitor.session.csrf_token.encode()):
            raise Refused(
                403, "This form has expired",
                "The form was sent without this session's security token (CSRF). Reload the "
                "page and try again.",
            )
        if not visitor.can(ability):
            raise Refused(403, "Not allowed", REFUSED_BECAUSE[ability])
        visitor.form = form
        return visitor

    return dependency


def may(ability: str) -> Callable[[Request], Visitor]:
    """Dependency of a form page (GET) whose POST needs ``ability``: those who may not send the
    form get the refusal its POST would get, not a form they cannot use."""

    def dependency(request: Request) -> Visitor:
        visitor = _visitor(request)
        if not visitor.can(ability):
            raise Refused(403, "Not allowed", REFUSED_BECAUSE[ability])
        return visitor

    return dependency


def check_sign_in_token(request: Request, form: Form) -> None:
    """The sign-in form's double-submit token: the cookie and the field must match."""
    cookie = request.cookies.get(SIGN_IN_COOKIE, "")
    sent = form.get(CSRF_FIELD)
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise Refused(
            403, "This form has expired",
            "The sign-in form was sent without its security token (CSRF). Reload the sign-in "
            "page and try again.",
        )


def sign_in_token(request: Request) -> str:
    """The sign-in form's token: the cookie's, or a new one (``set_sign_in_cookie`` sets it)."""
    return request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)


def _cookie_path(request: Request) -> str:
    return request.scope.get("root_path") or "/"


def set_sign_in_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SIGN_IN_COOKIE, token, max_age=3600, path=_cookie_path(request), httponly=True,
        samesite="lax", secure=request.url.scheme == "https",
    )


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()),
        path=_cookie_path(request), httponly=True, samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(SIGN_IN_COOKIE, path=_cookie_path(request))


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=_cookie_path(request), httponly=True, samesite="lax",
        secure=request.url.scheme == "https",
    )


Viewing = Annotated[Visitor, Depends(signed_in)]
"""A page: any signed-in user."""
Posting = Annotated[Visitor, Depends(posting("view"))]
"""A POST any signed-in user may send (sign out, switch environment): CSRF-checked."""
Acting = Annotated[Visitor, Depends(posting("act"))]
"""A POST that changes billing data or the sandbox clock: members and admins."""
ActingForm = Annotated[Visitor, Depends(may("act"))]
"""The page of a form that changes billing data: members and admins (viewers get a 403)."""
Managing = Annotated[Visitor, Depends(posting("manage"))]
"""A POST that manages API keys, users or settings: admins."""
ManagingForm = Annotated[Visitor, Depends(may("manage"))]
"""A settings page only admins use (its forms manage settings): others get a 403."""
