"""ASGI middleware: API version header, API-key authentication and idempotency keys.

Pure ASGI (no BaseHTTPMiddleware) so the ingestion path pays as little as possible.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from anyio import to_thread
from sqlalchemy import Engine
from starlette.datastructures import Headers, MutableHeaders

from kassa.api.errors import error_response, status_for
from kassa.config import API_VERSION, SUPPORTED_API_VERSIONS
from kassa.domain.errors import KassaError, Unauthorized
from kassa.services import idempotency
from kassa.services.keys import authenticate

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PUBLIC_PATHS = frozenset({"/health", "/docs", "/redoc", "/openapi.json", "/", "/dashboard",
                          "/portal", "/checkout"})
# The vendored files of /docs and /redoc, the dashboard, the customer portal and the hosted
# checkout (kassa.web), which sign their visitors in themselves: their cookies are never read
# here, so they never authenticate the API; and the payment processors' webhooks, which are
# verified by their signature (kassa.api.routes.stripe_webhooks).
PUBLIC_PREFIXES = ("/docs-assets/", "/dashboard/", "/portal/", "/checkout/", "/integrations/")
IDEMPOTENT_METHODS = frozenset({"POST", "PATCH", "DELETE", "PUT"})
# Usage events carry their own idempotency key per event (unique_id).
IDEMPOTENCY_EXEMPT = frozenset({"/events"})
# Where a route names the fields of its answer shown once (kassa.api.deps.shown_once).
SHOWN_ONCE_STATE = "shown_once"


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class ApiMiddleware:
    """Checks ``Alguna-Version``, echoes it, and authenticates the bearer key.

    The key's environment is put in ``scope["state"]["environment"]`` for the routes.
    """

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        version = headers.get("alguna-version", API_VERSION).strip()

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Alguna-Version"] = (
                    version if version in SUPPORTED_API_VERSIONS else API_VERSION
                )
            await send(message)

        if version not in SUPPORTED_API_VERSIONS:
            supported = ", ".join(sorted(SUPPORTED_API_VERSIONS))
            response = error_response(
                400,
                f"Unsupported Alguna-Version {version!r}; supported: {supported}.",
                [{"field": "Alguna-Version", "message": "unsupported API version"}],
            )
            await response(scope, receive, send_with_version)
            return
        nul = _nul_in_url(scope)
        if nul is not None:
            response = error_response(
                400,
                "The URL must not contain the NUL character (%00).",
                [{"field": nul, "message": "must not contain the NUL character"}],
            )
            await response(scope, receive, send_with_version)
            return
        if _is_public(scope["path"]):
            await self.app(scope, receive, send_with_version)
            return
        try:
            environment = await to_thread.run_sync(
                authenticate, self.engine, headers.get("authorization")
            )
        except Unauthorized as exc:
            response = error_response(401, exc.detail, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send_with_version)
            return
        scope.setdefault("state", {})["environment"] = environment
        limit = EVENTS_BODY_LIMIT if scope["path"] in IDEMPOTENCY_EXEMPT else BODY_LIMIT
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send_with_version)
            return
        over = {"limit": False, "replaced": False}

        async def guarded_send(message: Message) -> None:
            # The body passed the limit while the app read it: whatever the app answers (it may
            # see a broken body), the client gets the 413.
            if over["limit"]:
                if not over["replaced"]:
                    over["replaced"] = True
                    await _too_large(limit)(scope, receive, send_with_version)
                return
            await send_with_version(message)

        await self.app(scope, _limited(receive, limit, over), guarded_send)


# Request bodies: 2 MiB for the API (a plan of 200 fully priced items is far smaller), 16 MiB for
# a batch of usage events.
BODY_LIMIT = 2 * 1024 * 1024
EVENTS_BODY_LIMIT = 16 * 1024 * 1024


def _too_large(limit: int) -> Any:
    return error_response(413, f"The request body is larger than {limit} bytes.")


def _limited(receive: Receive, limit: int, over: dict[str, bool]) -> Receive:
    """``receive`` that stops the body at ``limit`` bytes (the app then sees it end there)."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        if over["limit"]:
            return {"type": "http.disconnect"}
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                over["limit"] = True
                return {"type": "http.disconnect"}
        return message

    return counted


def _nul_in_url(scope: Scope) -> str | None:
    """Where the URL carries a NUL (``path`` or the query parameter's name), else None.

    No id or filter value can hold one, and PostgreSQL refuses it as a query parameter.
    """
    if "\x00" in scope["path"]:
        return "path"
    query: bytes = scope.get("query_string", b"")
    if b"%00" not in query and b"\x00" not in query:
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    return None


class IdempotencyMiddleware:
    """Replays the stored response of a request repeated with the same ``Idempotency-Key``."""

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in IDEMPOTENT_METHODS
            or scope["path"] in IDEMPOTENCY_EXEMPT
            or "environment" not in scope.get("state", {})
        ):
            await self.app(scope, receive, send)
            return
        key = Headers(scope=scope).get("idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        if not key or len(key) > idempotency.MAX_KEY_LENGTH:
            response = error_response(
                400,
                "Idempotency-Key must be 1-255 characters.",
                [{"field": "Idempotency-Key", "message": "must be 1-255 characters"}],
            )
            await response(scope, receive, send)
            return
        body, whole = await _read_body(receive)
        if not whole:  # past the size limit (answered 413) or the client left: nothing to keep
            await self.app(scope, _replaying_receive(body, receive), send)
            return
        environment = scope["state"]["environment"]
        print_ = idempotency.fingerprint(
            scope["method"], scope["path"], scope.get("query_string", b"").decode(), body
        )
        try:
            stored = await to_thread.run_sync(
                idempotency.claim, self.engine, environment, key, print_
            )
        except KassaError as exc:
            field = [{"field": exc.field, "message": exc.detail}] if exc.field else None
            await error_response(status_for(exc), exc.detail, field)(scope, receive, send)
            return
        if stored is not None:
            await _replay(stored, send)
            return

        captured: dict[str, Any] = {"status": 500, "headers": {}, "chunks": []}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = {
                    k.decode(): v.decode()
                    for k, v in message.get("headers", [])
                    if k.lower() in (b"content-type", b"location")
                }
            elif message["type"] == "http.response.body":
                captured["chunks"].append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, _replaying_receive(body, receive), capture)
        except BaseException:
            await to_thread.run_sync(idempotency.release, self.engine, environment, key)
            raise
        status = captured["status"]
        if status >= 500 or status in (413, 429):
            await to_thread.run_sync(idempotency.release, self.engine, environment, key)
        else:
            body = b"".join(captured["chunks"])
            shown_once = scope.get("state", {}).get(SHOWN_ONCE_STATE)
            if shown_once and status < 300:
                body = idempotency.without_shown_once(body, shown_once)
            response = idempotency.StoredResponse(status, captured["headers"], body)
            await to_thread.run_sync(idempotency.store, self.engine, environment, key, response)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The body, and whether it arrived whole (not cut by a disconnect or the size limit)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replaying_receive(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _replay(stored: idempotency.StoredResponse, send: Send) -> None:
    headers = [(k.encode(), v.encode()) for k, v in stored.headers.items()]
    headers.append((b"idempotent-replayed", b"true"))
    headers.append((b"content-length", str(len(stored.body)).encode()))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})
