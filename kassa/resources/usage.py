"""Usage thresholds and usage summaries as the API shows them."""

from __future__ import annotations

from pydantic import Field

from kassa.resources.fields import DateString, DecimalString, ResponseSchema, Timestamp


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
