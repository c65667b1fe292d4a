"""Exchange rates: the body of ``POST /fx-rates``."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from kassa.api.schemas.common import CurrencyCode, Day, Schema, problem
from kassa.domain.errors import InvalidRequest
from kassa.domain.fx import MAX_RATE_PLACES, parse_rate


def _rate(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise PydanticCustomError("rate", 'must be a decimal string such as "1.0842"', {})
    try:
        return parse_rate(value)
    except InvalidRequest as exc:
        message = exc.detail.removeprefix("rate ").removeprefix("rate: ").rstrip(".")
        raise PydanticCustomError("rate", message, {}) from None


Rate = Annotated[
    Decimal, BeforeValidator(_rate),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$",
                    "examples": ["1.0842"],
                    "description": f"Above 0, below 10^9, at most {MAX_RATE_PLACES} decimals"}),
]


class FxRateCreate(Schema):
    """A manual rate: 1 ``base`` = ``rate`` ``quote`` from ``valid_from`` on."""

    base: CurrencyCode
    quote: CurrencyCode
    rate: Rate
    valid_from: Day = Field(description="The first day the rate applies (YYYY-MM-DD)")

    @model_validator(mode="after")
    def _two_currencies(self) -> FxRateCreate:
        if self.base == self.quote:
            raise problem("quote", "must differ from base")
        return self
