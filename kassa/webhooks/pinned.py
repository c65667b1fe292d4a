"""Connections to the addresses the URL policy checked, so a rebinding DNS cannot redirect them.

A production attempt resolves its host once, through ``check_public_host``, and runs inside
``pinned(host, addresses)``; the transport's network backend then connects to those addresses
instead of resolving the name again. TLS still verifies the certificate for the URL's host (SNI
and the Host header come from the URL, not from the address connected to).
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import httpcore
import httpx

_PIN: ContextVar[tuple[str, tuple[str, ...]] | None] = ContextVar("webhook_pin", default=None)


@contextmanager
def pinned(host: str, addresses: list[str]) -> Iterator[None]:
    """New connections to ``host`` made inside go to ``addresses`` (in order), nowhere else."""
    token = _PIN.set((host, tuple(addresses)))
    try:
        yield
    finally:
        _PIN.reset(token)


class PinnedBackend(httpcore.SyncBackend):
    """Connects to the pinned addresses of the host; refuses a host that has none."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        pin = _PIN.get()
        if pin is None or pin[0] != host:
            raise httpcore.ConnectError(f"no checked address for host {host!r}")
        error = httpcore.ConnectError(f"no checked address for host {host!r}")
        for address in pin[1]:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        raise error


class PinnedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose pool connects through ``PinnedBackend``."""

    def __init__(self, limits: httpx.Limits) -> None:
        super().__init__(limits=limits)
        self._pool = httpcore.ConnectionPool(  # httpx builds its pool with the default backend
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(),
        )
