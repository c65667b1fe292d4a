"""Outgoing HTTP for the Slack and SMS channels: one pooled httpx client, transport injectable
(tests point it at real loopback servers, or hand in ``httpx.MockTransport``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

import kassa
from kassa.channels.errors import ChannelError, origin

USER_AGENT = f"Kassa/{kassa.__version__}"
TIMEOUT_SECONDS = 15.0
EXCERPT_CHARS = 300


@dataclass
class HttpChannel:
    transport: httpx.BaseTransport | None = None
    timeout_seconds: float = TIMEOUT_SECONDS
    _client: httpx.Client | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    transport=self.transport, timeout=self.timeout_seconds,
                    headers={"User-Agent": USER_AGENT}, follow_redirects=False,
                )
            return self._client

    def post(self, url: str, *, what: str, **kwargs: Any) -> httpx.Response:
        """POST to ``url``; ChannelError for a transport failure, naming ``what`` and the URL's
        origin only (paths and query strings of these URLs carry tokens)."""
        try:
            return self.client().post(url, **kwargs)
        except httpx.TimeoutException:
            raise ChannelError(
                f"{what} at {origin(url)} did not answer within {self.timeout_seconds:g} s"
            ) from None
        except httpx.InvalidURL:
            raise ChannelError(f"{what}: the URL is not valid") from None
        except httpx.HTTPError as exc:
            raise ChannelError(f"{what} at {origin(url)} cannot be reached: "
                               f"{type(exc).__name__}") from None

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def excerpt(response: httpx.Response) -> str:
    """The start of a response body, for an error message."""
    text = response.text.strip()
    return text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")
