"""Outgoing HTTP for webhook attempts, through an httpx transport that can be injected.

Real installations use ``httpx.HTTPTransport`` (a pooled, kept-alive connection pool shared by
all worker threads); tests hand ``Outbound(transport=httpx.MockTransport(...))`` to ``build``.
Requests go to the transport directly: a webhook POST needs none of ``httpx.Client``'s cookies,
auth or redirect handling (redirects are not followed: a 3xx is a failed attempt), and skipping
them makes each attempt markedly cheaper.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

import kassa
from kassa.domain.webhooks import DELIVERY_TIMEOUT_SECONDS, RESPONSE_EXCERPT_BYTES, is_delivered
from kassa.webhooks.urls import Resolver, UnsafeUrl, check_public_host, resolve_host

USER_AGENT = f"Kassa-Webhooks/{kassa.__version__}"


@dataclass(frozen=True)
class AttemptResult:
    """What one delivery attempt got back."""

    delivered: bool
    status_code: int | None
    duration_ms: int
    response: str | None  # the first 1 KB of the body, decoded leniently
    error: str | None


@dataclass
class Outbound:
    transport: httpx.BaseTransport | None = None
    resolve: Resolver = resolve_host
    timeout_seconds: float = DELIVERY_TIMEOUT_SECONDS
    timer: Callable[[], float] = time.perf_counter  # seconds; tests move their own
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _transport(self) -> httpx.BaseTransport:
        with self._lock:
            if self.transport is None:
                self.transport = httpx.HTTPTransport(
                    limits=httpx.Limits(max_connections=200, max_keepalive_connections=50)
                )
            return self.transport

    def close(self) -> None:
        with self._lock:
            if self.transport is not None:
                self.transport.close()

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, require_public: bool
    ) -> AttemptResult:
        """POST ``body``; success is a 2xx within the timeout. Never raises for HTTP trouble."""
        started = self.timer()
        status: int | None = None
        excerpt: str | None = None
        error: str | None = None
        try:
            if require_public:  # DNS may have changed since the URL was accepted
                parts = urlsplit(url)
                check_public_host(parts.hostname or "", parts.port or 443, self.resolve)
            request = httpx.Request(
                "POST",
                url,
                content=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
                extensions={"timeout": httpx.Timeout(self.timeout_seconds).as_dict()},
            )
            response = self._transport().handle_request(request)
            try:
                excerpt = _read_excerpt(response)
                status = response.status_code
            finally:
                response.close()
        except UnsafeUrl as exc:
            error = f"refused: {exc}"
        except httpx.TimeoutException:
            error = f"timed out (no answer within {self.timeout_seconds:g} s)"
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        elapsed = self.timer() - started
        delivered = is_delivered(status, elapsed, self.timeout_seconds)
        if status is not None and not delivered and 200 <= status < 300:
            error = f"answered after {elapsed:.1f} s (limit {self.timeout_seconds:g} s)"
        return AttemptResult(delivered, status, round(elapsed * 1000), excerpt, error)


def _read_excerpt(response: httpx.Response) -> str:
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= RESPONSE_EXCERPT_BYTES:
            break  # the rest is not read: closing drops the connection instead
    return data[:RESPONSE_EXCERPT_BYTES].decode("utf-8", errors="replace")
