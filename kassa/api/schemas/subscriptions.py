"""Subscriptions, versions and the Changes API: request and response schemas."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from kassa.api.schemas.common import (
    Day,
    MetadataPatch,
    CurrencyCode,
    Metadata,
    Name,
    ResponseSchema,
    Schema,
    problem,
)
from kassa.api.schemas.items import BundleId, Items, ProductId, Quantity, stored_items
from kassa.api.schemas.prices import Discount, Price, PriceEscalation, SpendLimit

PeriodType = Literal["fixed", "monthly_rolling"]
PaymentTerms = Literal["due_on_receipt", "net_7", "net_15", "net_30", "net_45", "net_60", "net_90"]
Months = Annotated[int, Field(ge=1, le=120)]
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
    auto_renew: bool = True
    duration_months: Months | None = Field(None, description="Defaults to the contract's")
    period_type: PeriodType | None = None


class Billing(Schema):
    first_billing_date: Day | None = Field(None, description="Billing anchor; default: start")
    auto_issue_invoices: bool | None = None
    auto_pay_invoices: bool | None = None
    payment_terms: PaymentTerms | None = None


class SubscriptionCreate(Schema):
    customer_id: Annotated[str, Field(min_length=1, max_length=255)]
    plan_id: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    currency: CurrencyCode | None = None
    name: Name | None = None
    contract: Contract | None = None
    renewal: Renewal | None = None
    billing: Billing | None = None
    items: Items | None = None
    auto_activate: bool = False
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
    credit_unused_time: bool = Field(
        False, description="Immediate cancellation: credit the unused part of prepaid periods"
    )


class PauseRequest(Schema):
    resume_at: Day | None = Field(None, description="Resume on this date; null: until resumed")


# ------------------------------------------------------------------ versions (Path B)


class VersionCreate(Schema):
    effective_at: Effective = "immediate"
    draft: bool = True
    description: Annotated[str, Field(max_length=2000)] | None = None
    items: Items
    proration: Literal["full", "none"] = "full"

    def data(self) -> dict[str, Any]:
        return {
            "effective": self.effective_at,
            "draft": self.draft,
            "description": self.description,
            "items": stored_items(self.items),
            "proration": self.proration,
        }


class VersionReplace(Schema):
    effective_at: Effective | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    items: Items
    proration: Literal["full", "none"] | None = None

    @model_validator(mode="after")
    def _kept_unless_given(self) -> VersionReplace:
        for name in ("effective_at", "proration"):  # absent: unchanged; null has no meaning
            if name in self.model_fields_set and getattr(self, name) is None:
                raise problem(name, "cannot be null")
        return self

    def data(self) -> dict[str, Any]:
        data = self.model_dump(exclude={"items"}, exclude_unset=True)
        if "effective_at" in data:
            data["effective"] = data.pop("effective_at")
        data["items"] = stored_items(self.items)
        return data


class PublishRequest(Schema):
    proration: Literal["full", "none"] | None = None


# ------------------------------------------------------------------ changes (Path A)


class NewChild(Schema):
    product_id: ProductId
    new_price: Price | None = None
    price: Price | None = Field(None, description="Same as new_price")
    quantity: Quantity | None = None

    @model_validator(mode="after")
    def _one_price(self) -> NewChild:
        if self.new_price is None and self.price is None:
            raise problem("new_price", "required: the full price of the new item")
        if self.new_price is not None and self.price is not None:
            raise problem("price", "give new_price or price, not both")
        return self

    def data(self) -> dict[str, Any]:
        price = self.new_price or self.price
        out: dict[str, Any] = {"product_id": self.product_id, "new_price": price.canonical()}  # type: ignore[union-attr]
        if self.quantity is not None:
            out["quantity"] = self.quantity
        return out


class ChildUpdate(Schema):
    product_id: ProductId
    adjust: dict[str, Any] | None = Field(None, description="Partial price, merged field by field")
    new_price: Price | None = None
    quantity: Quantity | None = None

    @model_validator(mode="after")
    def _exclusive(self) -> ChildUpdate:
        if self.adjust is not None and self.new_price is not None:
            raise problem(
                "new_price",
                "adjust and new_price cannot be combined: use adjust for a partial change or "
                "new_price to replace the price",
            )
        if self.adjust is None and self.new_price is None and self.quantity is None:
            raise problem("adjust", "give adjust, new_price or quantity")
        return self

    def data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"product_id": self.product_id}
        if self.adjust is not None:
            out["adjust"] = self.adjust
        if self.new_price is not None:
            out["new_price"] = self.new_price.canonical()
        if self.quantity is not None:
            out["quantity"] = self.quantity
        return out


class AddItem(Schema):
    product_id: ProductId | None = None
    bundle_id: BundleId | None = None
    new_price: Price | None = None
    price: Price | None = None
    quantity: Quantity | None = None
    items: Annotated[list[NewChild], Field(max_length=100)] | None = None

    @model_validator(mode="after")
    def _shape(self) -> AddItem:
        if (self.product_id is None) == (self.bundle_id is None):
            raise problem("product_id", "give exactly one of product_id or bundle_id")
        if self.product_id is not None:
            if self.new_price is None and self.price is None:
                raise problem("new_price", "required: the full price of the new item")
            if self.items is not None:
                raise problem("items", "only bundles have child items")
        elif self.new_price is not None or self.price is not None:
            raise problem("new_price", "a bundle carries prices on its child items")
        return self

    def data(self) -> dict[str, Any]:
        if self.bundle_id is not None:
            out: dict[str, Any] = {"bundle_id": self.bundle_id}
            if self.items is not None:
                out["items"] = [c.data() for c in self.items]
            return out
        return NewChild(
            product_id=self.product_id,  # type: ignore[arg-type]
            new_price=self.new_price,
            price=self.price,
            quantity=self.quantity,
        ).data()


class RemoveItem(Schema):
    product_id: ProductId | None = None
    bundle_id: BundleId | None = None

    @model_validator(mode="after")
    def _one(self) -> RemoveItem:
        if (self.product_id is None) == (self.bundle_id is None):
            raise problem("product_id", "give exactly one of product_id or bundle_id")
        return self


class RemoveChild(Schema):
    product_id: ProductId


class UpdateItem(Schema):
    product_id: ProductId | None = None
    bundle_id: BundleId | None = None
    adjust: dict[str, Any] | None = None
    new_price: Price | None = None
    quantity: Quantity | None = None
    items: Annotated[list[ChildUpdate], Field(max_length=100)] | None = None
    add_items: Annotated[list[NewChild], Field(max_length=100)] | None = None
    remove_items: Annotated[list[RemoveChild], Field(max_length=100)] | None = None

    @model_validator(mode="after")
    def _shape(self) -> UpdateItem:
        if (self.product_id is None) == (self.bundle_id is None):
            raise problem("product_id", "give exactly one of product_id or bundle_id")
        if self.product_id is not None:
            for name in ("items", "add_items", "remove_items"):
                if getattr(self, name) is not None:
                    raise problem(name, f"{name} only applies to a bundle (update[].bundle_id)")
            if self.adjust is None and self.new_price is None and self.quantity is None:
                raise problem("adjust", "give adjust, new_price or quantity")
            if self.adjust is not None and self.new_price is not None:
                raise problem(
                    "new_price",
                    "adjust and new_price cannot be combined: use adjust for a partial change "
                    "or new_price to replace the price",
                )
        else:
            for name in ("adjust", "new_price", "quantity"):
                if getattr(self, name) is not None:
                    raise problem(
                        name,
                        "a bundle's prices live on its children: use items[] with product_id",
                    )
            if not (self.items or self.add_items or self.remove_items):
                raise problem("items", "give items, add_items or remove_items")
        return self

    def data(self) -> dict[str, Any]:
        if self.bundle_id is not None:
            out: dict[str, Any] = {"bundle_id": self.bundle_id}
            if self.items is not None:
                out["items"] = [c.data() for c in self.items]
            if self.add_items is not None:
                out["add_items"] = [c.data() for c in self.add_items]
            if self.remove_items is not None:
                out["remove_items"] = [c.model_dump() for c in self.remove_items]
            return out
        out = {"product_id": self.product_id}
        if self.adjust is not None:
            out["adjust"] = self.adjust
        if self.new_price is not None:
            out["new_price"] = self.new_price.canonical()
        if self.quantity is not None:
            out["quantity"] = self.quantity
        return out


class ChangeRequest(Schema):
    add: Annotated[list[AddItem], Field(max_length=100)] = []
    remove: Annotated[list[RemoveItem], Field(max_length=100)] = []
    update: Annotated[list[UpdateItem], Field(max_length=100)] = []
    plan_id: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    effective: Effective = "immediate"
    proration: Literal["full", "none"] = "full"
    source_version_id: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    draft: bool = False
    description: Annotated[str, Field(max_length=2000)] | None = None

    def data(self) -> dict[str, Any]:
        return {
            "add": [a.data() for a in self.add],
            "remove": [r.model_dump(exclude_none=True) for r in self.remove],
            "update": [u.data() for u in self.update],
            "plan_id": self.plan_id,
            "effective": self.effective,
            "proration": self.proration,
            "source_version_id": self.source_version_id,
            "draft": self.draft,
            "description": self.description,
        }


# ------------------------------------------------------------------ responses


class Version(ResponseSchema):
    id: str
    subscription_id: str
    number: int
    status: str
    effective_at: str | None
    description: str | None
    items: list[dict[str, Any]]
    created_at: str
    updated_at: str


class Subscription(ResponseSchema):
    id: str
    customer_id: str
    plan_id: str | None
    name: str | None
    currency: str
    status: str
    current_version_id: str | None
    pending_changes: list[dict[str, Any]]
    contract: dict[str, Any]
    renewal: dict[str, Any]
    billing: dict[str, Any]
    metadata: dict[str, Any]
    created_at: str
    updated_at: str


class VersionList(ResponseSchema):
    data: list[Version]
