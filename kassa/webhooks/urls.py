"""Which URLs a webhook endpoint may have.

Sandbox: ``http`` or ``https``, any host (loopback included), for local development. Production:
``https`` to a host whose every address is public, unless the operator sets
``KASSA_WEBHOOK_ALLOW_PRIVATE=1`` (then production accepts what the sandbox accepts). Host names
are resolved, so a name pointing at 127.0.0.1, 10.x, 169.254.x (cloud metadata) and the like is
refused. Delivery checks again before each production attempt, since DNS answers change, and
connects to the addresses it checked (kassa.webhooks.pinned), never to a second DNS answer.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]

MAX_URL_LENGTH = 2048


class UnsafeUrl(ValueError):
    """The URL is not acceptable for a webhook endpoint; the message says why."""


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]).split("%")[0] for info in infos})


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, require_public: bool, resolve: Resolver = resolve_host) -> str:
    """The URL, trimmed, if acceptable; else UnsafeUrl naming the problem.

    ``require_public``: production without KASSA_WEBHOOK_ALLOW_PRIVATE (https, public addresses).
    """
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"must be a URL of 1 to {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"is not a valid URL ({exc})") from None
    if parts.scheme not in {"http", "https"}:
        raise UnsafeUrl("must be an http:// or https:// URL")
    host = parts.hostname
    if not host:
        raise UnsafeUrl("must name a host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("must not contain credentials (user:password@)")
    if parts.fragment:
        raise UnsafeUrl("must not contain a #fragment")
    if require_public:
        if parts.scheme != "https":
            raise UnsafeUrl("must use https in production")
        check_public_host(host, port or 443, resolve)
    return url


def check_public_host(host: str, port: int, resolve: Resolver = resolve_host) -> list[str]:
    """The addresses of ``host``; UnsafeUrl unless every one is public."""
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError):
            raise UnsafeUrl(f"host {host!r} cannot be resolved") from None
        if not addresses:
            raise UnsafeUrl(f"host {host!r} cannot be resolved")
    private = [a for a in addresses if not _is_public(a)]
    if private:
        raise UnsafeUrl(
            f"host {host!r} is a private, loopback or link-local address ({private[0]}); "
            "production endpoints must be public (the operator can allow private addresses "
            "with KASSA_WEBHOOK_ALLOW_PRIVATE=1)"
        )
    return addresses
