"""The one failure every channel raises, and the redaction of what it may not show."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

REDACTED = "***"


class ChannelError(Exception):
    """The message could not be sent; ``reason`` says why, with every secret redacted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: what an error may say about a URL whose path or
    credentials are secret (a Slack webhook's path is its token)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an invalid URL)"
    return f"{parts.scheme}://{host}{port}"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every non-empty secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text
