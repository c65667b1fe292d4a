"""Outgoing HTTP for webhook attempts: one shared httpx client, with an injectable transport.

Tests hand ``Outbound(transport=httpx.MockTransport(...))`` (or a resolver) to ``build``; real
installations use httpx's default transport with connection pooling.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
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
    _client: httpx.Client | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def client(self) -> httpx.Client:
        """The shared client (thread-safe; created on first use)."""
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    transport=self.transport,
                    timeout=httpx.Timeout(self.timeout_seconds),
                    follow_redirects=False,
                    limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
                    headers={"User-Agent": USER_AGENT},
                )
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, require_public: bool
    ) -> AttemptResult:
        """POST ``body``; success is a 2xx within the timeout. Never raises for HTTP trouble."""
        started = time.perf_counter()
        try:
            if require_public:  # DNS may have changed since the URL was accepted
                parts = urlsplit(url)
                check_public_host(parts.hostname or "", parts.port or 443, self.resolve)
            request_headers = {"Content-Type": "application/json", **headers}
            with self.client().stream(
                "POST", url, content=body, headers=request_headers
            ) as response:
                excerpt = _read_excerpt(response)
                status: int | None = response.status_code
            error = None
        except UnsafeUrl as exc:
            status, excerpt, error = None, None, f"refused: {exc}"
        except httpx.TimeoutException:
            status, excerpt = None, None
            error = f"timed out (no answer within {self.timeout_seconds:g} s)"
        except httpx.HTTPError as exc:
            status, excerpt, error = None, None, f"{type(exc).__name__}: {exc}"[:500]
        elapsed = time.perf_counter() - started
        delivered = is_delivered(status, elapsed, self.timeout_seconds)
        if status is not None and not delivered and 200 <= status < 300:
            error = f"answered after {elapsed:.1f} s (limit {self.timeout_seconds:g} s)"
        return AttemptResult(delivered, status, round(elapsed * 1000), excerpt, error)


def _read_excerpt(response: httpx.Response) -> str:
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= RESPONSE_EXCERPT_BYTES:
            break
    return data[:RESPONSE_EXCERPT_BYTES].decode("utf-8", errors="replace")
