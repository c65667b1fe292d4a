"""Templates (Jinja2, autoescaped, undefined names are errors) and the responses built from them.

``page`` renders a template with what every page's layout needs (who is signed in, the
environment, the sandbox clock, the navigation); for an htmx request it renders the partial
the page names instead, so one handler serves the plain form post and the htmx swap.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from starlette.responses import HTMLResponse

from kassa.services import clock as clocks
from kassa.web.auth import CSRF_FIELD, Visitor

TEMPLATES = Path(__file__).parent / "templates"
HTMX = "htmx-2.0.11.min.js"  # static/VERSIONS.md says where it comes from

# The sidebar: (label, route name). Labels are the source documents' own.
NAV = [
    ("Home", "home"),
    ("Customers", "customers"),
    ("Subscriptions", "subscriptions"),
    ("Invoices", "invoices"),
    ("Approvals", "approvals"),
    ("Catalog", "catalog"),
    ("Automations", "automations"),
    ("Events", "events"),
    ("Settings", "settings"),
]

env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def when(value: datetime | str | None) -> str:
    """An instant as the dashboard shows it: ``2026-07-01 09:30 UTC``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%d %H:%M")
    return text + (f":{value.second:02d}" if value.second else "") + " UTC"


def local_input(value: datetime) -> str:
    """An instant for an ``<input type="datetime-local">`` (read as UTC)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


env.filters["when"] = when
env.filters["local_input"] = local_input


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def url(request: Request, name: str, **params: Any) -> str:
    """The path of route ``name`` of this app, under the prefix it is mounted at."""
    return str(request.scope.get("root_path", "")) + str(request.app.url_path_for(name, **params))


def static(request: Request, path: str) -> str:
    return f"{request.scope.get('root_path', '')}/static/{path}"


def layout(request: Request) -> dict[str, Any]:
    """What base.html reads: the visitor (None before sign-in), the clock, links."""
    visitor: Visitor | None = getattr(request.state, "visitor", None)
    clock = None
    if visitor is not None and visitor.ctx.is_sandbox:
        clock = clocks.clock_state(visitor.ctx.clock) | {"at": visitor.ctx.clock.now()}
    here = url(request, "home")
    if request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return {
        "request": request,
        "here": here,  # where the environment switcher comes back to
        "active": None,  # the sidebar entry of this page
        "visitor": visitor,
        "csrf_token": visitor.session.csrf_token if visitor else "",
        "csrf_field": CSRF_FIELD,
        "clock": clock,
        "nav": NAV,
        "url": lambda name, **params: url(request, name, **params),
        "static": lambda path: static(request, path),
        "htmx": HTMX,
        "errors": {},
        "values": {},
    }


def page(
    request: Request,
    template: str,
    *,
    partial: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """``template`` (or, for htmx, ``partial``) rendered with the layout's context."""
    name = partial if partial is not None and is_htmx(request) else template
    html = env.get_template(name).render(layout(request) | context)
    return HTMLResponse(html, status_code=status, headers=headers)
