"""Customer usage and usage thresholds: request and response schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from kassa.api.schemas.common import (
    DateString,
    DecimalString,
    DecimalValue,
    ResponseSchema,
    Schema,
    Timestamp,
    problem,
)


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


class UsageThreshold(ResponseSchema):
    id: str
    customer_id: str
    subscription_id: str | None
    metric_id: str
    value: DecimalString
    status: str
    last_exceeded_at: Timestamp | None
    last_period_start: DateString | None
    created_at: Timestamp
    updated_at: Timestamp


class DailyUsage(ResponseSchema):
    date: DateString
    value: DecimalString


class MetricUsage(ResponseSchema):
    subscription_id: str
    product_id: str | None
    metric_id: str
    metric_name: str
    event_name: str
    aggregation: str
    from_: Timestamp = Field(alias="from")
    to: Timestamp
    value: DecimalString
    series: list[DailyUsage] | None = Field(None, description="With group_by=day only")


class CustomerUsage(ResponseSchema):
    customer_id: str
    data: list[MetricUsage]
