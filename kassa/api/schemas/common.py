"""Shared request schema building blocks: strict money strings, currencies, metadata, field
problems. The response building blocks (``ResponseSchema``, ``DecimalString``, ...) are in
``kassa.resources.fields``."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    Strict,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kassa.domain.currencies import MINOR_UNITS, is_currency
from kassa.domain.dates import OUT_OF_RANGE, as_utc_in_range, day_in_range
from kassa.ids import client_id_problem
from kassa.resources.fields import MONEY_JSON_SCHEMA

MAX_DECIMAL_DIGITS = 38
MAX_DECIMAL_PLACES = 18


# PostgreSQL text and JSONB cannot hold NUL; a lone surrogate is not Unicode and cannot be encoded.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable_text(value: Any) -> tuple[str, str] | None:
    """The first string in ``value`` (keys included) that no database can store, as
    ``(subpath, message)``. Iterative: a deeply nested body must not exhaust the stack."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            found = _UNSTORABLE.search(node)
            if found:
                what = "the NUL character" if found.group() == "\x00" else "a lone UTF-16 surrogate"
                return path, f"must not contain {what}"
        elif isinstance(node, dict):
            for key, item in reversed(list(node.items())):
                if isinstance(key, str) and _UNSTORABLE.search(key):
                    return path, "keys must not contain the NUL character or a lone surrogate"
                stack.append((f"{path}.{key}" if path else str(key), item))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(node))))
    return None


def _not_nullable_in_document(schema: dict[str, Any], cls: type) -> None:
    """The JSON schema of a model says what ``not_nullable`` means: those fields may be left
    out but are never null (no ``null`` branch, no ``null`` default)."""
    names = getattr(cls, "not_nullable", ())
    fields = getattr(cls, "model_fields", {})
    properties = schema.get("properties", {})
    for name in names:
        field = fields.get(name)
        prop = properties.get((field.alias if field is not None and field.alias else name))
        if prop is None:
            continue
        branches = prop.get("anyOf")
        if branches is not None:
            kept = [b for b in branches if b.get("type") != "null"]
            if len(kept) == 1:
                del prop["anyOf"]
                prop.update(kept[0])
            else:
                prop["anyOf"] = kept
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class Schema(BaseModel):
    """Base of every request schema: unknown fields are refused, never silently dropped, and no
    string may hold what the databases refuse (NUL, lone surrogates).

    ``not_nullable`` names the optional fields that may be left out but not sent as null (a
    PATCH's name, say): the validation refuses a null there ("cannot be null") and the OpenAPI
    document offers no null."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, json_schema_extra=_not_nullable_in_document
    )
    not_nullable: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _declared_not_null(self) -> Any:
        not_null(self, *type(self).not_nullable)
        return self

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        found = _unstorable_text(data)
        if found is not None:
            raise problem(*found)
        return data


def problem(subpath: str, message: str) -> PydanticCustomError:
    """A validation error on a field *inside* the model being validated.

    Raise it from a model validator; the error handler appends ``subpath`` (``tiers[2].max_units``)
    to the model's location, so the 422 names the exact field.
    """
    return PydanticCustomError("kassa", "{message}", {"message": message, "kassa_subpath": subpath})


def problems(found: list[tuple[str, str]]) -> PydanticCustomError:
    """Several nested problems at once (``[(subpath, message), ...]``), reported as one 422 with
    one ``errors`` entry per problem."""
    (first_path, first_message), rest = found[0], found[1:]
    return PydanticCustomError(
        "kassa",
        "{message}",
        {
            "message": first_message,
            "kassa_subpath": first_path,
            "kassa_more": [list(p) for p in rest],
        },
    )


_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _parse_decimal(value: Any, *, what: str) -> Decimal:
    """The documented form only: ``-?[0-9]+(.[0-9]+)?`` (Python's Decimal also reads "5_000",
    "1e5", "NaN" and non-ASCII digits such as "١٢")."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise PydanticCustomError(
            "decimal_string",
            "{what} must be a decimal string such as \"500.00\", not a JSON {kind}",
            {"what": what, "kind": type(value).__name__.replace("str", "string")},
        )
    text = value.strip()
    if not _PLAIN_DECIMAL.fullmatch(text):
        try:
            Decimal(text)
        except InvalidOperation:
            raise PydanticCustomError(
                "decimal_string", "{what} must be a decimal string such as \"500.00\"",
                {"what": what},
            ) from None
        raise PydanticCustomError(
            "decimal_string", "{what} must be a plain decimal such as \"500.00\"", {"what": what}
        )
    return _within_limits(Decimal(text), what)


def _within_limits(number: Decimal, what: str) -> Decimal:
    _, digits, exponent = number.as_tuple()
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if len(digits) > MAX_DECIMAL_DIGITS or places > MAX_DECIMAL_PLACES:
        raise PydanticCustomError(
            "decimal_string",
            "{what} allows at most 38 digits, 18 after the decimal point",
            {"what": what},
        )
    return number


def _money(value: Any) -> Decimal:
    if isinstance(value, Decimal):  # already parsed (internal re-validation)
        return value
    return _parse_decimal(value, what="Money")


def parse_decimal_value(value: Any) -> Decimal:
    """Non-money decimals (percentages, usage values): strings, or JSON numbers taken exactly."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise PydanticCustomError("decimal", "must be a number or a decimal string", {})
    if isinstance(value, int):
        return _within_limits(Decimal(value), "Value")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PydanticCustomError("decimal", "must be a finite number", {})
        # repr is the shortest text that reads back as this float: what the client wrote,
        # often with an exponent (1e-05, 1e+16), taken as a plain decimal.
        return _within_limits(Decimal(format(Decimal(repr(value)), "f")), "Value")
    return _parse_decimal(value, what="Value")


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise PydanticCustomError("non_negative", "must not be negative", {})
    return value


def _percentage(value: Decimal) -> Decimal:
    if not Decimal(0) <= value <= Decimal(100):
        raise PydanticCustomError("percentage", "must be a percentage between 0 and 100", {})
    return value


_as_text = PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json")

Money = Annotated[Decimal, BeforeValidator(_money), _as_text, MONEY_JSON_SCHEMA]
"""A money amount: a decimal string in JSON (a JSON number is a 422); Decimal in Python."""

NonNegativeMoney = Annotated[
    Money, AfterValidator(_non_negative),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?$", "examples": ["500.00"]}),
]

DecimalValue = Annotated[Decimal, BeforeValidator(parse_decimal_value), _as_text, MONEY_JSON_SCHEMA]
"""A non-money exact decimal (percentage, usage value): decimal string or JSON number."""

Percentage = Annotated[
    DecimalValue, AfterValidator(_percentage),
    WithJsonSchema({"type": "string", "pattern": r"^0*(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)$",
                    "description": "a percentage from 0 to 100", "examples": ["20.00"]}),
]



_DAY_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INSTANT_TEXT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _day_text(value: Any) -> Any:
    """A day is a YYYY-MM-DD string (pydantic alone also reads a number as a Unix time)."""
    if isinstance(value, date) and not isinstance(value, datetime):  # internal re-validation
        return value
    if not isinstance(value, str) or not _DAY_TEXT.fullmatch(value):
        raise PydanticCustomError("date_format", 'must be a date string such as "2026-07-01"', {})
    return value


def _day(value: date) -> date:
    if not day_in_range(value):
        raise PydanticCustomError("date_range", OUT_OF_RANGE, {})
    return value


def _instant_text(value: Any) -> Any:
    """An instant is an RFC 3339 string with its offset (pydantic alone also reads a number, or
    a string of digits, as a Unix time)."""
    if isinstance(value, datetime):  # internal re-validation (the dashboard's forms)
        return value
    if not isinstance(value, str) or not _INSTANT_TEXT.fullmatch(value):
        raise PydanticCustomError(
            "datetime_format",
            'must be an RFC 3339 date-time with an offset, such as "2026-07-01T00:00:00Z"', {},
        )
    return value


def _instant(value: datetime) -> datetime:
    utc = as_utc_in_range(value)
    if utc is None:
        raise PydanticCustomError("date_range", OUT_OF_RANGE, {})
    return utc


# What the OpenAPI document states of a day and an instant: the calendar's years (1970-2999,
# ``kassa.domain.dates``) and real months, days and times. (The parsers read the looser
# ``_DAY_TEXT``/``_INSTANT_TEXT`` and then refuse what is out of range with a clear message.)
_YEAR_MONTH_DAY = r"(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_DAY_DOCUMENTED = f"^{_YEAR_MONTH_DAY}$"
_INSTANT_DOCUMENTED = (
    f"^{_YEAR_MONTH_DAY}[Tt]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{{1,9}})?)?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)

Day = Annotated[
    date, BeforeValidator(_day_text), AfterValidator(_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": _DAY_DOCUMENTED,
                    "examples": ["2026-07-01"]}),
]
"""A date (YYYY-MM-DD string) in Kassa's calendar (``kassa.domain.dates``)."""

Instant = Annotated[
    AwareDatetime, BeforeValidator(_instant_text), AfterValidator(_instant),
    # No "format": "date-time": that is RFC 3339's full form, with seconds, which Kassa does
    # not insist on; the pattern says exactly what is read.
    WithJsonSchema({"type": "string", "pattern": _INSTANT_DOCUMENTED,
                    "description": "RFC 3339 date-time with an offset (seconds optional)",
                    "examples": ["2026-07-01T00:00:00Z"]}),
]
"""An RFC 3339 date-time string with its offset (``Z`` or ``+02:00``; seconds may be left out),
in Kassa's calendar; converted to UTC. A number is refused, never read as a Unix time."""

def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "must be an integer, not a boolean", {})
    return value


Integer = Annotated[int, BeforeValidator(_not_a_boolean)]
"""A whole number in a request: JSON ``true``/``false`` is refused (pydantic alone reads them
as 1 and 0)."""

Flag = Annotated[bool, Strict()]
"""A boolean: JSON ``true`` or ``false`` only (never 0, 1 or "true")."""


def _currency(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("currency", "must be an ISO 4217 currency code string", {})
    code = value.strip().upper()
    if not is_currency(code):
        raise PydanticCustomError(
            "currency", "'{code}' is not an ISO 4217 currency code", {"code": value}
        )
    return code


CurrencyCode = Annotated[
    str,
    BeforeValidator(_currency),
    WithJsonSchema({"type": "string", "enum": sorted(MINOR_UNITS), "examples": ["USD"],
                    "description": "An ISO 4217 currency code"}),
]

MAX_METADATA_STRING = 500
_INT64 = (-(2**63), 2**63 - 1)


def _metadata_value(value: Any) -> Any:
    """A scalar that survives the JSON column and the response encoder unchanged."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        if len(value) > MAX_METADATA_STRING:
            raise PydanticCustomError(
                "metadata_value", "strings are at most {max} characters", {"max": MAX_METADATA_STRING}
            )
        return value
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise PydanticCustomError(
                "metadata_value", "integers must fit in 64 bits; send larger numbers as strings", {}
            )
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PydanticCustomError("metadata_value", "numbers must be finite", {})
        return value
    raise PydanticCustomError(
        "metadata_value", "values must be a string, number, boolean or null (metadata is flat)", {}
    )


MetadataValue = Annotated[
    Any,
    PlainValidator(_metadata_value),
    WithJsonSchema({"anyOf": [
        {"type": "string", "maxLength": MAX_METADATA_STRING},
        {"type": "integer", "minimum": _INT64[0], "maximum": _INT64[1]},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
    ]}),
]
MetadataKey = Annotated[str, Field(min_length=1, max_length=40)]
Metadata = Annotated[dict[MetadataKey, MetadataValue], Field(max_length=50)]
"""Up to 50 keys of at most 40 characters; values are scalars (strings up to 500 characters,
integers within 64 bits, finite numbers)."""
MetadataPatch = Annotated[dict[MetadataKey, MetadataValue], Field(max_length=50)]
"""Metadata merged into what is stored (PATCH): a null value removes the key."""

Name = Annotated[str, Field(min_length=1, max_length=255)]
LongText = Annotated[str, Field(max_length=5000)]


def unique(values: list[str] | None) -> list[str] | None:
    if values is not None and len(set(values)) != len(values):
        raise ValueError("must not repeat a value")
    return values


def client_id(prefix: str) -> Any:
    """The check of an id a client chooses (kept when importing), with ``prefix`` as Kassa's own."""

    def check(value: str | None) -> str | None:
        if value is not None and (reason := client_id_problem(value, prefix)):
            raise ValueError(reason)
        return value

    return AfterValidator(check)


def not_null(model: Schema, *names: str) -> None:
    """PATCH: a field that must stay set may be left out, but not sent as null."""
    for name in names:
        if name in model.model_fields_set and getattr(model, name) is None:
            raise problem(name, "cannot be null")

T = TypeVar("T")


class Pagination(BaseModel):
    per_page: int
    total_pages: int
    total: int


class ListResponse(BaseModel, Generic[T]):
    data: list[T]
    pagination: Pagination


class ErrorItem(BaseModel):
    field: str
    message: str
    line: int | None = Field(None, description="where a YAML body writes the field (1-based); "
                                               "only in answers to YAML definitions")


class ErrorResponse(BaseModel):
    status: int
    detail: str
    errors: list[ErrorItem] | None = None
