"""Form bodies: ``application/x-www-form-urlencoded`` (what plain forms and htmx send), read up
to a size limit and decoded as UTF-8; one value per field name. ``parsed`` reads what a form
asks for with the API's own request schema (what it refuses is a ``FieldErrors``, as the API's
422), and ``field_errors`` or ``messages_by_field`` put what a schema or a service refused beside
the inputs it names. (``form_paths.nested`` builds a nested body from inputs named by path.)"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import Request
from pydantic import BaseModel, ValidationError

from kassa.api.errors import FieldErrors, validation_errors
from kassa.domain.errors import KassaError

FORM_LIMIT = 64 * 1024  # a dashboard form is a few fields; nothing needs more
FORM = "form"  # the key of errors that belong to no input: shown above the form
M = TypeVar("M", bound=BaseModel)


class FormRefused(Exception):
    """A body no form sends (too large, another encoding, not UTF-8, a NUL character)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass(frozen=True)
class Form:
    """The fields of a posted form; a missing field reads as ``""``. A field sent several times
    (checkboxes of one name) reads as its last value with ``get``, as all of them with ``all``."""

    fields: Mapping[str, str] = field(default_factory=dict)
    repeated: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    def all(self, name: str) -> list[str]:
        """Every value sent under ``name``, in order (none: an empty list)."""
        if name in self.repeated:
            return list(self.repeated[name])
        return [self.fields[name]] if name in self.fields else []

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
    repeated: dict[str, list[str]] = {}
    for name, value in pairs:
        repeated.setdefault(name, []).append(value)
    return Form(dict(pairs), {k: tuple(v) for k, v in repeated.items() if len(v) > 1})


def parsed(schema: type[M], data: Mapping[str, Any]) -> M:
    """``data`` read by the API's request ``schema``: what it refuses is a ``FieldErrors``
    naming each field, as the API's 422 names them (``contract.start_date``, ``tags[2]``)."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        errors = validation_errors(exc.errors())
        raise FieldErrors(f"{errors[0]['field']}: {errors[0]['message']}", errors) from None


def messages_by_field(exc: KassaError, default: str | None = None) -> dict[str, str]:
    """``exc``'s messages by the request field each names, as the API's 422 lists them (the
    first for a field wins): for forms whose inputs are named as the API's fields. A message
    naming no field is under ``default`` (None: left out)."""
    found = ([(e["field"], e["message"]) for e in exc.errors] if isinstance(exc, FieldErrors)
             else [(exc.field, exc.detail)])
    errors: dict[str, str] = {}
    for name, message in found:
        if name or default:
            errors.setdefault(name or default, message)  # type: ignore[arg-type]
    return errors


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _input_for(path: str | None, inputs: Mapping[str, str]) -> str:
    """The form input showing service field ``path``: named exactly, else by the longest
    prefix (``items`` holds ``items[0].price``); a field the form does not show is the form's."""
    if not path:
        return FORM
    if path in inputs:
        return inputs[path]
    for prefix in sorted(inputs, key=len, reverse=True):
        if path.startswith((prefix + ".", prefix + "[")):
            return inputs[prefix]
    return FORM


def field_errors(exc: KassaError, inputs: Mapping[str, str]) -> dict[str, str]:
    """``exc``'s messages by form input (``inputs`` maps service fields to input names); the
    first message for an input wins, and those of no input are under ``FORM``."""
    if isinstance(exc, FieldErrors):
        found = [(e["field"], e["message"]) for e in exc.errors]
    else:
        found = [(exc.field, exc.detail)]
    errors: dict[str, str] = {}
    for path, message in found:
        errors.setdefault(_input_for(path, inputs), _sentence(message))
    return errors
