"""Customer usage and usage thresholds: request and response schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from kassa.api.schemas.common import DecimalValue, Schema, problem


class ThresholdCreate(Schema):
    customer_id: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    subscription_id: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    metric_id: Annotated[str, Field(min_length=1, max_length=80)]
    value: DecimalValue

    @model_validator(mode="after")
    def _target(self) -> ThresholdCreate:
        if self.customer_id is None and self.subscription_id is None:
            raise problem("customer_id", "give customer_id or subscription_id")
        if self.value < 0:
            raise problem("value", "must not be negative")
        return self
