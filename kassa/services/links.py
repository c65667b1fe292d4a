"""Absolute links Kassa hands out (portal and checkout sessions, PDFs in emails).

They are built on ``KASSA_PUBLIC_URL`` when it is set (the address customers reach Kassa at,
behind a proxy), else on the base URL of the request that asked for them, else (a job, with no
request) on the address ``kassa serve`` listens on."""

from __future__ import annotations

from kassa.config import Settings


def public_base(settings: Settings, request_base: str | None = None) -> str:
    """``https://billing.example.com``: no trailing slash."""
    if settings.public_url:
        return settings.public_url
    if request_base:
        return request_base.rstrip("/")
    host = "127.0.0.1" if settings.host in {"0.0.0.0", "::", ""} else settings.host
    return f"http://{host}:{settings.port}"


def absolute(settings: Settings, path: str, request_base: str | None = None) -> str:
    """``path`` (starting with /) as an absolute link."""
    return public_base(settings, request_base) + path
