"""Approval rules and approvals."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from kassa.api.schemas.common import (
    Flag,
    Integer,
    LongText,
    Name,
    Schema,
    parse_decimal_value,
    problem,
)

ConditionType = Literal[
    "discount_percentage_exceeds",
    "tcv_exceeds",
    "acv_exceeds",
    "mrr_exceeds",
    "product_present",
    "contract_months_exceed",
    "payment_terms_days_exceed",
    "customer_segment_equals",
    "customer_is_new",
]
NUMERIC = {"discount_percentage_exceeds", "tcv_exceeds", "acv_exceeds", "mrr_exceeds"}
WHOLE = {"contract_months_exceed", "payment_terms_days_exceed"}
MAX_WHOLE = 1_000_000  # months or days: far past any contract, and it fits every JSON encoder


class Condition(Schema):
    type: ConditionType
    value: str | int | bool | None = None

    @model_validator(mode="after")
    def _value(self) -> Condition:
        if self.type in NUMERIC:
            try:
                self.value = format(parse_decimal_value(self.value), "f")
            except Exception:
                raise problem("value", f"{self.type} compares with a decimal such as \"1000.00\"") from None
        elif self.type in WHOLE:
            if (isinstance(self.value, bool) or not isinstance(self.value, int)
                    or not 0 <= self.value <= MAX_WHOLE):
                raise problem(
                    "value", f"{self.type} compares with a whole number from 0 to {MAX_WHOLE}"
                )
        elif self.type == "customer_is_new":
            self.value = True if self.value is None else self.value
            if not isinstance(self.value, bool):
                raise problem("value", "customer_is_new takes true or false")
        elif not isinstance(self.value, str) or not self.value:
            raise problem("value", f"{self.type} needs a text value")
        return self


class Approvers(Schema):
    strategy: Literal["any", "all", "min_n"] = "any"
    names: Annotated[list[Annotated[str, Field(min_length=1, max_length=255)]],
                     Field(min_length=1, max_length=50)]
    min_approvals: Annotated[Integer, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _min(self) -> Approvers:
        if len(set(self.names)) != len(self.names):
            raise problem("names", "must not repeat a name")
        if self.strategy == "min_n":
            if self.min_approvals is None:
                raise problem("min_approvals", "required with the min_n strategy")
            if self.min_approvals > len(self.names):
                raise problem("min_approvals", f"cannot exceed the {len(self.names)} approvers")
        return self


class RuleCreate(Schema):
    name: Name
    description: LongText | None = None
    conditions: Annotated[list[Condition], Field(min_length=1, max_length=20)]
    match: Literal["all", "any"] = "all"
    priority: Annotated[Integer, Field(ge=0, le=1_000_000)] = 100
    approvers: Approvers
    enabled: Flag = True


class RuleUpdate(Schema):
    name: Name | None = None
    description: LongText | None = None
    conditions: Annotated[list[Condition], Field(min_length=1, max_length=20)] | None = None
    match: Literal["all", "any"] | None = None
    priority: Annotated[Integer, Field(ge=0, le=1_000_000)] | None = None
    approvers: Approvers | None = None
    enabled: Flag | None = None

    not_nullable = ("name", "conditions", "match", "priority", "approvers", "enabled")


class Decision(Schema):
    approver: Annotated[str, Field(min_length=1, max_length=255)]
    note: Annotated[str, Field(max_length=2000)] | None = None


class Rejection(Schema):
    approver: Annotated[str, Field(min_length=1, max_length=255)]
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
