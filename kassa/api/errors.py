"""Every failure becomes ``{"status", "detail"[, "errors"]}``; this is the only place that maps
exceptions to HTTP statuses. No response ever carries a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match, compile_path

from kassa.domain.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidRequest,
    KassaError,
    NotFound,
    TooManyAttempts,
    Unauthorized,
    Unavailable,
)
from kassa.services.exact_json import TOO_DEEP

log = logging.getLogger("kassa.api")

STATUS_BY_ERROR: list[tuple[type[KassaError], int]] = [
    (NotFound, 404),
    (Unauthorized, 401),
    (Forbidden, 403),
    (Conflict, 409),
    (Gone, 410),
    (TooManyAttempts, 429),
    (Unavailable, 503),
    (InvalidRequest, 422),
    (KassaError, 500),
]


class FieldErrors(InvalidRequest):
    """Several field problems found outside request parsing (e.g. a price after an adjust)."""

    def __init__(self, detail: str, errors: Sequence[dict[str, str]]) -> None:
        super().__init__(detail, field=errors[0]["field"] if errors else None)
        self.errors = list(errors)


def field_messages(exc: KassaError) -> list[tuple[str | None, str]]:
    """``(field, message)`` of each problem ``exc`` names (one, unless it is FieldErrors)."""
    if isinstance(exc, FieldErrors):
        return [(e["field"], e["message"]) for e in exc.errors]
    return [(exc.field, exc.detail)]


class ApiError(Exception):
    """An HTTP-level refusal that has no domain meaning (bad header, malformed body...)."""

    def __init__(self, status: int, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field


def error_body(status: int, detail: str, errors: Sequence[dict[str, str]] | None = None) -> bytes:
    body: dict[str, Any] = {"status": status, "detail": detail}
    if errors:
        body["errors"] = list(errors)
    return orjson.dumps(body)


def error_response(
    status: int,
    detail: str,
    errors: Sequence[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    headers = dict(headers or {})
    if status >= 500 or status == 429:
        headers["Transient-Error"] = "true"
    return Response(
        error_body(status, detail, errors),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def malformed_body(detail: str) -> Response:
    """The 400 of a body that cannot be parsed (bad syntax, bad encoding, nested too deeply)."""
    message = detail.split(": ", 1)[-1].rstrip(".") if ": " in detail else detail.rstrip(".")
    return error_response(400, detail, [{"field": "body", "message": message}])


def status_for(exc: KassaError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 500


def field_path(loc: Sequence[Any]) -> str:
    """``('body', 'items', 1, 'price')`` → ``items[1].price``."""
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


def _join(path: str, subpath: str) -> str:
    if not subpath:
        return path
    if path == "body":
        return subpath
    return f"{path}{subpath}" if subpath.startswith("[") else f"{path}.{subpath}"


def validation_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    """Pydantic errors as ``[{"field": "items[1].price.tiers[2].max_units", "message"}]``."""
    result = []
    for err in errors:
        ctx = err.get("ctx") or {}
        path = field_path(list(err.get("loc", ())))
        message = str(err.get("msg", "Invalid value."))
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        result.append({"field": _join(path, ctx.get("kassa_subpath") or ""), "message": message})
        for subpath, more in ctx.get("kassa_more") or ():
            result.append({"field": _join(path, subpath), "message": more})
    return result


def _summary(errors: list[dict[str, str]]) -> str:
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"Invalid request: {first['field']}: {first['message']}{more}"


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _documented_paths(app: Any) -> list[tuple[Any, int, list[str]]]:
    """The OpenAPI document's paths as ``(regex, parameter count, methods)``, read once."""
    table = getattr(app.state, "kassa_documented_paths", None)
    if table is None:
        table = []
        for template, item in app.openapi().get("paths", {}).items():
            regex, _, convertors = compile_path(template)
            methods = [m for m in _METHODS if m.lower() in item]
            table.append((regex, len(convertors), methods))
        app.state.kassa_documented_paths = table
    return table


def allowed_methods(request: Request) -> list[str]:
    """Every method the resource at the request's path takes, and OPTIONS (Starlette's own
    ``Allow`` names only the first route that matches the path).

    The resource is the most specific documented path template that matches: the one with the
    fewest path parameters, so ``/versions/current`` (GET) is not taken for
    ``/versions/{version_id}`` (GET, PUT, DELETE), which ``PUT /versions/current`` reaches only
    to be told there is no version "current". A path the document does not describe falls back
    to the routes themselves.
    """
    path = request.scope.get("path", "")
    matching = [
        (params, methods) for regex, params, methods in _documented_paths(request.app)
        if regex.match(path)
    ]
    if matching:
        fewest = min(params for params, _ in matching)
        found = {m for params, methods in matching if params == fewest for m in methods}
        return [*(m for m in _METHODS if m in found), "OPTIONS"]
    routes = request.app.router.routes
    fallback = [
        method for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL
               for route in routes)
    ]
    return [*fallback, "OPTIONS"]


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(KassaError)
    async def _kassa_error(_request: Request, exc: KassaError) -> Response:
        status = status_for(exc)
        if status >= 500:
            log.error("internal error: %s", exc.detail)
        if isinstance(exc, FieldErrors):
            return error_response(status, exc.detail, exc.errors)
        errors = [{"field": exc.field, "message": exc.detail}] if exc.field else None
        return error_response(status, exc.detail, errors)

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> Response:
        errors = [{"field": exc.field, "message": exc.detail}] if exc.field else None
        return error_response(exc.status, exc.detail, errors)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> Response:
        raw = exc.errors()
        if any(e.get("type") == "json_invalid" for e in raw):
            err = next(e for e in raw if e.get("type") == "json_invalid")
            reason = (err.get("ctx") or {}).get("error", "invalid JSON")
            return malformed_body(f"Malformed JSON body: {reason}.")
        errors = validation_errors(raw)
        if len(raw) == 1 and tuple(raw[0].get("loc", ())) == ("body",):
            if raw[0].get("type") == "missing":
                return error_response(422, "A JSON request body is required.", errors)
            if raw[0].get("type") in {"model_attributes_type", "dict_type"}:
                return error_response(
                    422,
                    "The request body must be a JSON object "
                    "(send it with Content-Type: application/json).",
                    errors,
                )
        return error_response(422, _summary(errors), errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = str(exc.detail)
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            # FastAPI's own parsing failed otherwise than as a JSON syntax error
            if isinstance(exc.__cause__, RecursionError):
                return malformed_body(f"Malformed JSON body: {TOO_DEEP}.")
            return malformed_body("The request body could not be parsed.")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No such endpoint: {request.method} {request.url.path}."
        elif exc.status_code == 405:
            allow = ", ".join(allowed_methods(request))
            if request.method == "OPTIONS":
                return Response(status_code=204, headers={"Allow": allow})
            detail = f"Method {request.method} is not allowed on {request.url.path}."
            return error_response(405, detail, headers={"Allow": allow})
        return error_response(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        return error_response(500, "Internal server error. The request was not completed.")
