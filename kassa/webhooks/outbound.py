"""Outgoing HTTP for webhook attempts, through an httpx transport that can be injected.

Real installations use two pooled, kept-alive ``httpx.HTTPTransport`` pools shared by all worker
threads: production attempts under the public-address policy connect only to the addresses the
policy checked (``PinnedTransport``), the others resolve as usual. Tests hand
``Outbound(transport=httpx.MockTransport(...))`` to ``build`` (then used for both).
Requests go to the transport directly: a webhook POST needs none of ``httpx.Client``'s cookies,
auth or redirect handling (redirects are not followed: a 3xx is a failed attempt), and skipping
them makes each attempt markedly cheaper.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

import kassa
from kassa.domain.webhooks import DELIVERY_TIMEOUT_SECONDS, RESPONSE_EXCERPT_BYTES, is_delivered
from kassa.webhooks.urls import Resolver, UnsafeUrl, check_public_host, resolve_host

USER_AGENT = f"Kassa-Webhooks/{kassa.__version__}"
LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=50)


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
    _open: httpx.BaseTransport | None = field(default=None, init=False, repr=False)
    _pinned: httpx.BaseTransport | None = field(default=None, init=False, repr=False)

    def _transport(self, *, pin: bool) -> httpx.BaseTransport:
        with self._lock:
            if self.transport is not None:
                return self.transport
            if pin:
                # Imported on first use, as httpx imports httpcore: a command that sends
                # nothing (a billing run) starts without httpcore, h11, h2 and anyio.
                from kassa.webhooks.pinned import PinnedTransport

                self._pinned = self._pinned or PinnedTransport(LIMITS)
                return self._pinned
            self._open = self._open or httpx.HTTPTransport(limits=LIMITS)
            return self._open

    def close(self) -> None:
        with self._lock:
            for transport in (self.transport, self._open, self._pinned):
                if transport is not None:
                    transport.close()

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, require_public: bool
    ) -> AttemptResult:
        """POST ``body``; success is a 2xx within the timeout. Never raises for HTTP trouble."""
        started = self.timer()
        status: int | None = None
        excerpt: str | None = None
        error: str | None = None
        try:
            request = httpx.Request(
                "POST",
                url,
                content=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
                extensions={"timeout": httpx.Timeout(self.timeout_seconds).as_dict()},
            )
            if require_public:  # DNS may have changed since the URL was accepted: check it, and
                from kassa.webhooks.pinned import pinned  # (see _transport)

                host = request.url.raw_host.decode("ascii")  # connect to what was checked
                with pinned(host, check_public_host(host, request.url.port or 443, self.resolve)):
                    response = self._transport(pin=True).handle_request(request)
            else:
                response = self._transport(pin=False).handle_request(request)
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
