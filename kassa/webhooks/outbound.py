"""Outgoing HTTP for webhook attempts, through an httpx transport that can be injected.

Real installations use one pooled, kept-alive ``PinnedTransport`` shared by all worker threads:
every attempt connects only to the addresses the URL policy (kassa.webhooks.urls) checked for
it. Tests hand ``Outbound(transport=httpx.MockTransport(...))`` to ``build``.
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
from kassa.webhooks.urls import (
    Resolver,
    UnsafeUrl,
    all_public,
    check_public_host,
    resolve_host,
    target_addresses,
)

USER_AGENT = f"Kassa-Webhooks/{kassa.__version__}"
LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=50)


@dataclass(frozen=True)
class AttemptResult:
    """What one delivery attempt got back."""

    delivered: bool
    status_code: int | None
    duration_ms: int
    response: str | None  # the first 1 KB of the body, decoded leniently (public addresses)
    error: str | None


@dataclass
class Outbound:
    transport: httpx.BaseTransport | None = None
    resolve: Resolver = resolve_host
    timeout_seconds: float = DELIVERY_TIMEOUT_SECONDS
    timer: Callable[[], float] = time.perf_counter  # seconds; tests move their own
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _pinned: httpx.BaseTransport | None = field(default=None, init=False, repr=False)

    def _transport(self) -> httpx.BaseTransport:
        with self._lock:
            if self.transport is not None:
                return self.transport
            # Imported on first use, as httpx imports httpcore: a command that sends nothing
            # (a billing run) starts without httpcore, h11, h2 and anyio.
            from kassa.webhooks.pinned import PinnedTransport

            self._pinned = self._pinned or PinnedTransport(LIMITS)
            return self._pinned

    def close(self) -> None:
        with self._lock:
            for transport in (self.transport, self._pinned):
                if transport is not None:
                    transport.close()

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, require_public: bool,
        allow_private: bool = True,
    ) -> AttemptResult:
        """POST ``body``; success is a 2xx within the timeout. Never raises for HTTP trouble.

        Every attempt resolves the host first and connects only to the addresses checked:
        never link-local or cloud metadata; private ones only with ``allow_private`` (and not
        ``require_public``). A reply from an address that is not public keeps no body."""
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
            # DNS may have changed since the URL was accepted: check it, and connect to what
            # was checked (imported here: see _transport).
            from kassa.webhooks.pinned import pinned

            host = request.url.raw_host.decode("ascii")
            port = request.url.port or (443 if request.url.scheme == "https" else 80)
            if require_public or not allow_private:
                addresses = check_public_host(host, port, self.resolve,
                                              require_public=require_public)
            else:
                addresses = target_addresses(host, port, self.resolve)
            with pinned(host, addresses):
                response = self._transport().handle_request(request)
            try:
                if all_public(addresses):
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
