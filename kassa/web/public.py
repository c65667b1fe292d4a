"""The customer-facing pages' shared layer (the billing portal at /portal, the hosted checkout at
/checkout): each is an app of its own, with the dashboard's static assets and security headers,
its own error pages in the customer layout (the seller's name and logo from Settings → Company,
no dashboard chrome), and nothing from another origin.

``render`` renders a page in that layout; a ``Refused`` or ``KassaError`` raised by a page
becomes a readable page with its status (410 for a spent link), never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, Response

from kassa.api.errors import status_for
from kassa.domain.errors import KassaError
from kassa.resources.settings import CompanySettings
from kassa.services import environment_settings
from kassa.web.app import STATIC, PageHeaders
from kassa.web.errors import http_message, validation_message
from kassa.web.forms import FormRefused
from kassa.web.rendering import HTMX, env, static, url

if TYPE_CHECKING:
    from kassa.bootstrap import Kassa

log = logging.getLogger("kassa.web")

TITLES = {400: "Bad request", 401: "Please open your billing link again", 403: "Not allowed", 404: "Page not found", 405: "Not allowed",
          409: "Conflict", 410: "This link has expired", 413: "Form too large",
          415: "Unsupported form", 422: "Invalid input", 429: "Too many attempts",
          500: "Something went wrong", 503: "Unavailable"}


class Refused(Exception):
    """A customer-facing refusal with a readable page: 403 (a form without its token), 404 (no
    such page for this customer), 410 (a spent link)."""

    def __init__(self, status: int, detail: str, title: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail
        self.title = title or TITLES.get(status, "Error")


def company(engine: Engine, environment: str | None) -> CompanySettings:
    """The seller whose name and logo head the page (the sandbox's when none is known yet)."""
    with engine.connect() as conn:
        return environment_settings.read(conn, environment or "sandbox", CompanySettings)


def render(request: Request, template: str, *, environment: str | None, status: int = 200,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    kassa: Kassa = request.app.state.kassa
    base = {
        "request": request,
        "company": company(kassa.engine, environment),
        "sandbox": environment == "sandbox",
        "url": lambda name, **params: url(request, name, **params),
        "static": lambda path: static(request, path),
        "htmx": HTMX,
        "errors": {},
        "values": {},
    }
    html = env.get_template(template).render(base | context)
    return HTMLResponse(html, status_code=status, headers=headers)


def _error(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    environment = getattr(request.state, "environment", None)
    return render(request, "customer/error.html", environment=environment, status=status,
                  title=title, detail=detail, status_code=status)


async def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return await run_in_threadpool(_error, request, status, title, detail)


def _install_errors(web: FastAPI) -> None:
    @web.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        return await error_page(request, exc.status, exc.title, exc.detail)

    @web.exception_handler(FormRefused)
    async def _form(request: Request, exc: FormRefused) -> Response:
        return await error_page(request, exc.status, TITLES[exc.status], exc.detail)

    @web.exception_handler(KassaError)
    async def _kassa_error(request: Request, exc: KassaError) -> Response:
        status = status_for(exc)
        if status >= 500:
            log.error("internal error: %s", exc.detail)
        return await error_page(request, status, TITLES.get(status, "Error"), exc.detail)

    @web.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return await error_page(request, 422, TITLES[422], validation_message(exc))

    @web.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        return await error_page(request, status, TITLES.get(status, "Error"),
                                http_message(request, exc))

    @web.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on a customer page", exc_info=exc)
        return await error_page(request, 500, TITLES[500],
                                "The request was not completed. Please try again later.")


def create_public_app(kassa_app: Kassa, routers: Sequence[APIRouter]) -> FastAPI:
    """A customer-facing app: its routers, the shared static files, error pages, headers."""
    web = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    web.state.kassa = kassa_app
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in routers:
        web.include_router(router)
    _install_errors(web)
    web.add_middleware(PageHeaders)
    return web
