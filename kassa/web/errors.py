"""Failures as pages: a missing session redirects to sign-in; a refusal, a missing page or an
error a service raised gets a readable page with its status (the statuses are the API's, from
``kassa.api.errors.status_for``); nothing ever shows a stack trace. An htmx request gets the
message in the page's flash area instead of a whole page."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from kassa.api.errors import status_for
from kassa.domain.errors import KassaError, TooManyAttempts
from kassa.web.auth import Refused, SignInRequired, known_visitor
from kassa.web.forms import FormRefused
from kassa.web.rendering import is_htmx, page, url

log = logging.getLogger("kassa.web")

TITLES = {400: "Bad request", 403: "Not allowed", 404: "Page not found", 405: "Not allowed",
          409: "Conflict", 413: "Form too large", 415: "Unsupported form", 422: "Invalid input",
          429: "Too many attempts", 500: "Something went wrong"}


def validation_message(exc: RequestValidationError) -> str:
    """A page's one-line account of a request that failed validation (its first problem)."""
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
    return f"{where}: {first.get('msg', 'invalid value')}."


def http_message(request: Request, exc: StarletteHTTPException) -> str:
    """A page's account of Starlette's own refusals: no such page, a method not taken."""
    if exc.status_code == 404:
        return f"There is no page at {request.url.path}."
    if exc.status_code == 405:
        return f"{request.method} is not allowed on {request.url.path}."
    return str(exc.detail)


def _error_page(
    request: Request, status: int, title: str, detail: str, headers: dict[str, str] | None
) -> Response:
    headers = dict(headers or {})
    known_visitor(request)  # signed in: the page keeps its sidebar and header
    if is_htmx(request):
        headers |= {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
    return page(request, "error.html", partial="partials/flash.html", status=status,
                headers=headers, title=title, detail=detail, status_code=status)


async def error_page(
    request: Request, status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    """The error page (it reads the session and the clock: off the event loop)."""
    return await run_in_threadpool(_error_page, request, status, title, detail, headers)


def install(web: FastAPI) -> None:
    @web.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _exc: SignInRequired) -> Response:
        target = url(request, "sign_in")
        if request.method == "GET" and request.url.path != target:
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            target += "?next=" + quote(path, safe="")
        if is_htmx(request):  # htmx follows this header, whatever the status
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @web.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        return await error_page(request, exc.status, exc.title, exc.detail, exc.headers)

    @web.exception_handler(FormRefused)
    async def _form(request: Request, exc: FormRefused) -> Response:
        return await error_page(request, exc.status, TITLES[exc.status], exc.detail)

    @web.exception_handler(KassaError)
    async def _kassa_error(request: Request, exc: KassaError) -> Response:
        status = status_for(exc)
        if status >= 500:
            log.error("internal error: %s", exc.detail)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else {}
        return await error_page(request, status, TITLES.get(status, "Error"), exc.detail, headers)

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
        log.exception("unhandled error on a page", exc_info=exc)
        return await error_page(request, 500, TITLES[500],
                          "The request was not completed. The error is in Kassa's log.")
