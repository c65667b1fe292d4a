"""Subscriptions: request schemas, and the values versions and changes share (the responses are
in ``kassa.resources.subscriptions``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from kassa.api.schemas.common import (
    Integer,
    CurrencyCode,
    Day,
    Flag,
    Metadata,
    MetadataPatch,
    Name,
    Schema,
    problem,
)
from kassa.api.schemas.items import Items, stored_items
from kassa.api.schemas.prices import Discount, PriceEscalation, SpendLimit

PeriodType = Literal["fixed", "monthly_rolling"]
PaymentTerms = Literal["due_on_receipt", "net_7", "net_15", "net_30", "net_45", "net_60", "net_90"]
Months = Annotated[Integer, Field(ge=1, le=120)]
CancelReason = Literal[
    "no_longer_required", "moving_provider", "pricing", "support", "features", "upgraded", "other"
]
Effective = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        description="immediate, end_of_term, billing_cycle_start, end_of_contract, next_renewal "
        "or a date YYYY-MM-DD",
    ),
]


class Contract(Schema):
    period_type: PeriodType = "monthly_rolling"
    duration_months: Months | None = Field(None, description="Required for fixed contracts")
    start_date: Day | None = Field(None, description="Defaults to the activation date")

    @model_validator(mode="after")
    def _duration(self) -> Contract:
        if self.period_type == "fixed" and self.duration_months is None:
            raise problem("duration_months", "required for a fixed contract")
        return self


class Renewal(Schema):
    auto_renew: Flag = True
    duration_months: Months | None = Field(None, description="Defaults to the contract's")
    period_type: PeriodType | None = None
    pricing: Literal["keep", "plan_latest"] | None = Field(
        None, description="At each renewal: keep (the default) the subscription's items, or "
        "plan_latest: a new version from its plan's current items, effective at the renewal "
        "date, the subscription's own overrides kept")


class NewRenewal(Renewal):
    """A new subscription's renewal: ``auto_renew`` left out takes the plan's, else the
    environment's Settings → Subscriptions default."""

    auto_renew: Flag | None = None  # type: ignore[assignment]


class Billing(Schema):
    first_billing_date: Day | None = Field(None, description="Billing anchor; default: start")
    auto_issue_invoices: Flag | None = Field(None, description="Default: Settings → Invoicing")
    auto_pay_invoices: Flag | None = Field(None, description="Default: Settings → Invoicing")
    payment_terms: PaymentTerms | None = Field(None, description="Default: Settings → Invoicing")


class SubscriptionCreate(Schema):
    customer_id: Annotated[str, Field(min_length=1, max_length=255)]
    plan_id: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    currency: CurrencyCode | None = None
    name: Name | None = None
    contract: Contract | None = None
    renewal: NewRenewal | None = None
    billing: Billing | None = None
    items: Items | None = None
    auto_activate: Flag = False
    metadata: Metadata = {}
    discount: Discount | None = None
    minimum_spend: SpendLimit | None = None
    maximum_spend: SpendLimit | None = None
    price_escalation: PriceEscalation | None = None

    def data(self) -> dict[str, Any]:
        """Fields the request gave, each with its own defaults filled in."""
        given = self.model_fields_set - {"items"}
        data = {
            name: self.model_dump(mode="json", include={name})[name] for name in given
        }
        data["items"] = stored_items(self.items)
        return data


class SubscriptionUpdate(Schema):
    """Fields that change without a new version; ``metadata`` merges, a null value drops a key."""

    name: Name | None = None
    discount: Discount | None = None
    minimum_spend: SpendLimit | None = None
    maximum_spend: SpendLimit | None = None
    price_escalation: PriceEscalation | None = None
    billing: Billing | None = None
    renewal: Renewal | None = None
    metadata: MetadataPatch | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> SubscriptionUpdate:
        if not self.model_fields_set:
            raise problem("body", "nothing to update")
        if "billing" in self.model_fields_set and self.billing is not None:
            if self.billing.first_billing_date is not None:
                raise problem(
                    "billing.first_billing_date",
                    "the billing anchor cannot change after creation",
                )
        return self

    def data(self) -> dict[str, Any]:
        """Given fields only; billing and renewal merge field by field, the rest replace."""
        merged = {"billing", "renewal", "metadata"}
        return {
            name: self.model_dump(mode="json", include={name}, exclude_unset=name in merged)[name]
            for name in self.model_fields_set
        }


class CancelRequest(Schema):
    reason: CancelReason = "other"
    timing: Effective = Field("end_of_term", description="immediate, end_of_term or YYYY-MM-DD")
    note: Annotated[str, Field(max_length=2000)] | None = None
    credit_unused_time: Flag = Field(
        False, description="Immediate cancellation: credit the unused part of prepaid periods"
    )


class PauseRequest(Schema):
    resume_at: Day | None = Field(None, description="Resume on this date; null: until resumed")
