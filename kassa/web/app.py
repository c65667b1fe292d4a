"""The dashboard as an app of its own, mounted at /dashboard on the API's app (``/`` redirects
there). Its own error pages, its own static route, and headers that keep every page on Kassa's
own origin: the Content-Security-Policy lets nothing load from another host."""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.responses import RedirectResponse

from kassa.web import errors
from kassa.web.dashboard import ROUTERS

if TYPE_CHECKING:
    from kassa.bootstrap import Kassa

PREFIX = "/dashboard"
STATIC = Path(__file__).parent / "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class PageHeaders:
    """Adds the security headers to every response; pages (which may show a key or a password
    once) are never cached, the versioned static files are."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith(f"{scope.get('root_path', '')}/static/")

        async def with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in PAGE_HEADERS.items():
                    headers.setdefault(name, value)
                headers["Cache-Control"] = "public, max-age=86400" if is_static else "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def create_dashboard(kassa_app: Kassa) -> FastAPI:
    web = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    web.state.kassa = kassa_app
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        web.include_router(router)
    errors.install(web)
    web.add_middleware(PageHeaders)
    return web


def install(app: FastAPI, kassa_app: Kassa) -> None:
    """Mount the dashboard on ``app`` at /dashboard, the customer portal at /portal, the hosted
    checkout at /checkout, and redirect ``/`` to the dashboard."""
    from kassa.web.checkout import create_checkout
    from kassa.web.portal import create_portal

    app.mount(PREFIX, create_dashboard(kassa_app), name="dashboard")
    app.mount("/portal", create_portal(kassa_app), name="portal")
    app.mount("/checkout", create_checkout(kassa_app), name="checkout")

    @app.get("/", include_in_schema=False)
    def _root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)
