"""Products and billable metrics: request and response schemas."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from kassa.api.schemas.common import (
    Flag,
    LongText,
    Metadata,
    MetadataPatch,
    Name,
    Schema,
    client_id,
    parse_decimal_value,
    problem,
    unique,
)

MetricId = Annotated[str, Field(min_length=1, max_length=80)]


# ---------------------------------------------------------------- products

FeeType = Literal["fixed", "metered"]
PaymentTerms = Literal["advance", "arrears"]
BillingFrequency = Literal["recurring", "one-off"]


class ProductCreate(Schema):
    id: Annotated[str | None, client_id("prod")] = None
    name: Name
    description: LongText | None = None
    fee_type: FeeType
    payment_terms: PaymentTerms | None = Field(
        None, description="Default billing direction; advance for fixed, arrears for metered"
    )
    billing_frequency: BillingFrequency | None = Field(None, description="Required for fixed")
    metric_ids: Annotated[list[MetricId], Field(max_length=10), AfterValidator(unique)] = []
    sku: Annotated[str, Field(max_length=100)] | None = None
    unit_label_singular: Annotated[str, Field(max_length=50)] | None = None
    unit_label_plural: Annotated[str, Field(max_length=50)] | None = None
    metadata: Metadata = {}


class ProductUpdate(Schema):
    name: Name | None = None
    description: LongText | None = None
    fee_type: FeeType | None = None
    payment_terms: PaymentTerms | None = None
    billing_frequency: BillingFrequency | None = None
    metric_ids: Annotated[list[MetricId], Field(max_length=10), AfterValidator(unique)] | None = (
        None
    )
    sku: Annotated[str, Field(max_length=100)] | None = None
    unit_label_singular: Annotated[str, Field(max_length=50)] | None = None
    unit_label_plural: Annotated[str, Field(max_length=50)] | None = None
    metadata: MetadataPatch | None = None

    not_nullable = ("name", "fee_type", "payment_terms")


# ---------------------------------------------------------------- metrics

AggregationMethod = Literal["count", "count_unique", "sum", "min", "max", "average", "latest"]
FilterOperator = Literal[
    "equal", "not_equal", "contains", "not_contains", "gt", "gte", "lt", "lte", "in"
]
PropertyName = Annotated[str, Field(min_length=1, max_length=255)]
# Each kind taken as sent (strict): a long string of digits is a string over its limit, never
# read as an integer; integers fit in 64 bits, as the stored filter must.
Scalar = (
    Annotated[str, Field(max_length=1000, strict=True)]
    | Annotated[int, Field(ge=-(2**63), le=2**63 - 1, strict=True)]
    | Annotated[float, Field(strict=True, allow_inf_nan=False)]
    | Flag
)


class Aggregation(Schema):
    method: AggregationMethod
    field: PropertyName | None = Field(
        None, description="The event property aggregated; required for every method but count"
    )

    @model_validator(mode="after")
    def _field_per_method(self) -> Aggregation:
        if self.method == "count" and self.field is not None:
            raise problem("field", "count counts events and takes no field")
        if self.method != "count" and self.field is None:
            raise problem("field", f"required for the {self.method} aggregation")
        return self


class PropertyFilter(Schema):
    field: PropertyName
    operator: FilterOperator
    value: Scalar | Annotated[list[Scalar], Field(min_length=1, max_length=100)]

    @model_validator(mode="after")
    def _value_per_operator(self) -> PropertyFilter:
        value, op = self.value, self.operator
        if op == "in":
            if not isinstance(value, list):
                raise problem("value", "the in operator takes a list of values")
        elif isinstance(value, list):
            raise problem("value", f"the {op} operator takes a single value, not a list")
        elif op in {"gt", "gte", "lt", "lte"}:
            try:
                self.value = format(parse_decimal_value(value), "f")
            except PydanticCustomError:
                raise problem("value", f"the {op} operator compares numbers") from None
        elif op in {"contains", "not_contains"} and not isinstance(value, str):
            raise problem("value", f"the {op} operator takes a string")
        return self


class FilterGroup(Schema):
    operator: Literal["and", "or"] = "and"
    filters: Annotated[list[PropertyFilter], Field(min_length=1, max_length=20)]


class MetricCreate(Schema):
    id: Annotated[str | None, client_id("mtr")] = None
    name: Name
    description: LongText | None = None
    event_name: Annotated[str, Field(min_length=1, max_length=255)]
    aggregation: Aggregation
    filter_groups: Annotated[list[FilterGroup], Field(max_length=20)] = Field(
        [], description="Groups are combined with AND; each group's operator joins its filters"
    )
    metadata: Metadata = {}

    @field_validator("event_name")
    @classmethod
    def _event_name(cls, value: str) -> str:
        if value != value.strip():
            raise ValueError("must not start or end with whitespace")
        return value


class MetricUpdate(Schema):
    name: Name | None = None
    description: LongText | None = None
    event_name: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    aggregation: Aggregation | None = None
    filter_groups: Annotated[list[FilterGroup], Field(max_length=20)] | None = None
    metadata: MetadataPatch | None = None

    not_nullable = ("name", "event_name", "aggregation", "filter_groups")


__all__ = [
    "MetricCreate",
    "MetricUpdate",
    "ProductCreate",
    "ProductUpdate",
]
