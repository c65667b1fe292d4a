"""Form bodies: ``application/x-www-form-urlencoded`` (what plain forms and htmx send), read up
to a size limit and decoded as UTF-8; one value per field name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

FORM_LIMIT = 64 * 1024  # a dashboard form is a few fields; nothing needs more


class FormRefused(Exception):
    """A body no form sends (too large, another encoding, not UTF-8, a NUL character)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass(frozen=True)
class Form:
    """The fields of a posted form; a missing field reads as ``""``."""

    fields: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    def text(self, name: str) -> str:
        """The field with surrounding whitespace removed."""
        return self.get(name).strip()

    def values(self) -> dict[str, Any]:
        """The fields to show again in the form (never a password or a token)."""
        return {k: v for k, v in self.fields.items() if k not in ("password", "csrf_token")}


async def read_form(request: Request) -> Form:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_LIMIT:
            raise FormRefused(413, f"The form is larger than {FORM_LIMIT} bytes.")
    if not body:
        return Form()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise FormRefused(415, "Forms are sent as application/x-www-form-urlencoded.")
    try:
        text = bytes(body).decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise FormRefused(400, "The form is not valid UTF-8.") from None
    if any("\x00" in name or "\x00" in value for name, value in pairs):
        raise FormRefused(400, "A form field must not contain the NUL character.")
    return Form(dict(pairs))
