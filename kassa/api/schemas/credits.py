"""Credit grants and credit balances: request and response schemas."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from kassa.api.schemas.common import (
    CurrencyCode,
    DecimalValue,
    Instant,
    Integer,
    Metadata,
    Schema,
    problem,
)


class CreditGrantCreate(Schema):
    customer_id: Annotated[str, Field(min_length=1, max_length=255)]
    type: Literal["monetary", "units"] = "monetary"
    amount: DecimalValue
    currency: CurrencyCode | None = None
    metric_id: Annotated[str, Field(max_length=80)] | None = None
    expires_at: Instant | None = None
    priority: Annotated[Integer, Field(ge=0, le=1_000_000)] = 100
    reason: Annotated[str, Field(max_length=2000)] | None = None
    metadata: Metadata = {}

    @model_validator(mode="after")
    def _shape(self) -> CreditGrantCreate:
        if self.amount <= 0:
            raise problem("amount", "must be positive")
        if self.type == "monetary" and self.metric_id is not None:
            raise problem("metric_id", "only unit credits are tied to a metric")
        if self.type == "units" and self.currency is not None:
            raise problem("currency", "unit credits have no currency")
        return self
