"""Which URLs a webhook endpoint may have.

Never, in any environment: a link-local address (169.254.0.0/16, fe80::/10) or a cloud-metadata
one (169.254.169.254, fd00:ec2::254, metadata.google.internal), refused on the URL when its host
is such an address or name, and at each delivery after DNS resolution.

Sandbox: ``http`` or ``https``, loopback and private addresses included for local development,
unless the operator sets ``KASSA_SANDBOX_WEBHOOK_ALLOW_PRIVATE=0`` (then every address must be
public, as in production, though ``http`` stays allowed). Production: ``https`` to a host whose
every address is public, unless the operator sets ``KASSA_WEBHOOK_ALLOW_PRIVATE=1`` (then
production accepts what the sandbox accepts). Host names are resolved, so a name pointing at
127.0.0.1, 10.x and the like is refused where private addresses are. Delivery checks again
before each attempt, since DNS answers change, and connects to the addresses it checked
(kassa.webhooks.pinned), never to a second DNS answer. A reply from an address that is not
public is recorded without its body (its status only), so an endpoint cannot read internal
services.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]

MAX_URL_LENGTH = 2048
# Cloud instance metadata services (AWS's IPv6 one is not link-local) and their names.
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"),
                                ipaddress.ip_address("fd00:ec2::254")})
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog"})
NEVER = ("is a link-local or cloud-metadata address ({address}); webhook endpoints may never "
         "point there")


class UnsafeUrl(ValueError):
    """The URL is not acceptable for a webhook endpoint; the message says why."""


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]).split("%")[0] for info in infos})


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip


def _is_public(address: str) -> bool:
    ip = _ip(address)
    return ip.is_global and not ip.is_multicast


def is_forbidden(address: str) -> bool:
    """A link-local or cloud-metadata address: no environment may send there."""
    ip = _ip(address)
    return ip.is_link_local or ip in METADATA_ADDRESSES


def private_allowed(environment: str, settings: Any) -> bool:
    """Whether webhooks of ``environment`` may go to loopback and private addresses."""
    if environment == "production":
        return bool(settings.webhook_allow_private)
    return bool(settings.sandbox_webhook_allow_private)


def _setting(require_public: bool) -> str:
    return ("production endpoints must be public (the operator can allow private addresses with "
            "KASSA_WEBHOOK_ALLOW_PRIVATE=1)" if require_public else
            "this sandbox's endpoints must be public (the operator can allow private addresses "
            "with KASSA_SANDBOX_WEBHOOK_ALLOW_PRIVATE=1)")


def check_url(
    url: str, *, require_public: bool, allow_private: bool = True,
    resolve: Resolver = resolve_host,
) -> str:
    """The URL, trimmed, if acceptable; else UnsafeUrl naming the problem.

    ``require_public``: production without KASSA_WEBHOOK_ALLOW_PRIVATE (https, public addresses).
    ``allow_private`` false (and not ``require_public``): a sandbox without
    KASSA_SANDBOX_WEBHOOK_ALLOW_PRIVATE (public addresses, http allowed).
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
    _refuse_forbidden_host(host)
    if require_public:
        if parts.scheme != "https":
            raise UnsafeUrl("must use https in production")
        check_public_host(host, port or 443, resolve)
    elif not allow_private:
        check_public_host(host, port or (443 if parts.scheme == "https" else 80), resolve,
                          require_public=False)
    return url


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _refuse_forbidden_host(host: str) -> None:
    address = _literal(host)
    if address is not None and is_forbidden(address):
        raise UnsafeUrl(f"host {host!r} " + NEVER.format(address=address))
    if address is None and host.lower().rstrip(".") in METADATA_HOSTS:
        raise UnsafeUrl(f"host {host!r} " + NEVER.format(address=host))


def target_addresses(host: str, port: int, resolve: Resolver = resolve_host) -> list[str]:
    """The addresses of ``host`` (itself when it is one); UnsafeUrl if it cannot be resolved or
    any of them is link-local or cloud metadata."""
    _refuse_forbidden_host(host)
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError):
            raise UnsafeUrl(f"host {host!r} cannot be resolved") from None
        if not addresses:
            raise UnsafeUrl(f"host {host!r} cannot be resolved")
    forbidden = [a for a in addresses if is_forbidden(a)]
    if forbidden:
        raise UnsafeUrl(f"host {host!r} " + NEVER.format(address=forbidden[0]))
    return addresses


def all_public(addresses: list[str]) -> bool:
    return all(_is_public(a) for a in addresses)


def check_public_host(
    host: str, port: int, resolve: Resolver = resolve_host, *, require_public: bool = True
) -> list[str]:
    """The addresses of ``host``; UnsafeUrl unless every one is public (``require_public``:
    the message is production's, else the sandbox's setting)."""
    addresses = target_addresses(host, port, resolve)
    private = [a for a in addresses if not _is_public(a)]
    if private:
        raise UnsafeUrl(
            f"host {host!r} is a private, loopback or link-local address ({private[0]}); "
            + _setting(require_public)
        )
    return addresses
