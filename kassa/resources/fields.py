"""What a response field is, for the OpenAPI document and for ``render``.

``DecimalString``, ``Timestamp`` and ``DateString`` are strings on the wire, documented with a
pattern or a format, and each names the conversion ``render`` applies to the stored value.
``From`` and ``Stored`` say where a field's value comes from when it is not the column of the
same name converted by its type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, WithJsonSchema

from kassa.resources.serialize import iso_date, money, rfc3339


class ResponseSchema(BaseModel):
    """Base of response schemas. The services return JSON-ready data, passed through as it is;
    every field is declared (tests/api/test_response_models.py), and an undeclared one still
    reaches the client rather than vanish."""

    model_config = ConfigDict(extra="allow")


@dataclass(frozen=True)
class Convert:
    """``render`` passes the stored value through ``function`` (which takes None to None)."""

    function: Callable[[Any], Any]


@dataclass(frozen=True)
class From:
    """``render`` reads the field from ``column`` instead of the column of its own name."""

    column: str


@dataclass(frozen=True)
class Stored:
    """The column holds the value already in response form (a JSON column written by Kassa):
    ``render`` copies it rather than render it again."""


SHOWN_ONCE = "(shown once: not repeated when the request is replayed with its Idempotency-Key)"
"""What an answer replayed for its ``Idempotency-Key`` holds in place of a secret shown once (a
webhook endpoint's ``secret``, a portal link's ``url``); the stored answer never holds it."""

MONEY_JSON_SCHEMA = WithJsonSchema(
    {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["500.00"]}
)

DecimalString = Annotated[str, MONEY_JSON_SCHEMA, Convert(money)]
"""A money amount or an exact quantity in a response: the canonical decimal string."""
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"}),
                      Convert(rfc3339)]
"""An RFC 3339 UTC instant in a response (``2026-07-01T00:00:00Z``)."""
DateString = Annotated[str, WithJsonSchema({"type": "string", "format": "date"}),
                       Convert(iso_date)]
"""A date (YYYY-MM-DD) in a response."""
TimestampText = Annotated[str, Convert(rfc3339)]
"""A Timestamp that the OpenAPI document has always shown as a plain string (products, metrics,
webhooks, stored events, the clock): rendered the same, documented as before."""
