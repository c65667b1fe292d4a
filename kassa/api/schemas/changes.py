"""The Changes API (Path A): the change request, and the version, delta and proration it makes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from kassa.api.schemas.common import Flag, Schema, problem
from kassa.api.schemas.items import BundleId, ProductId, Quantity
from kassa.api.schemas.prices import Price
from kassa.api.schemas.subscriptions import Effective
from kassa.resources.fields import DateString, DecimalString, ResponseSchema, Timestamp
from kassa.resources.subscriptions import DateRange, Version


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
        return _price_change(self)


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
        return _price_change(self)


class ChangeRequest(Schema):
    add: Annotated[list[AddItem], Field(max_length=100)] = []
    remove: Annotated[list[RemoveItem], Field(max_length=100)] = []
    update: Annotated[list[UpdateItem], Field(max_length=100)] = []
    plan_id: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    effective: Effective = "immediate"
    proration: Literal["full", "none"] = "full"
    source_version_id: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    draft: Flag = False
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


class Delta(ResponseSchema):
    added: list[Any]
    removed: list[Any]
    updated: list[Any]


class ProrationLine(ResponseSchema):
    product_id: str | None
    bundle_id: str | None
    period: DateRange
    covers: DateRange
    period_days: int
    remaining_days: int
    old_amount: DecimalString
    new_amount: DecimalString
    old_daily_rate: DecimalString
    new_daily_rate: DecimalString
    credit: DecimalString
    charge: DecimalString
    net: DecimalString


class Proration(ResponseSchema):
    behaviour: str
    effective_date: DateString
    lines: list[ProrationLine]
    credit: DecimalString
    charge: DecimalString
    net: DecimalString


class ChangeResult(Version):
    proration: Proration | None = Field(  # type: ignore[assignment]
        description="Replaces the version's proration behaviour: None when nothing is prorated"
    )
    delta: Delta


class ChangePreview(ResponseSchema):
    subscription_id: str
    source_version_id: str
    effective_at: Timestamp
    items: list[dict[str, Any]]
    delta: Delta
    proration: Proration | None


def _price_change(item: ChildUpdate | UpdateItem) -> dict[str, Any]:
    """A product's change as the service takes it: adjust, new_price and quantity when given."""
    out: dict[str, Any] = {"product_id": item.product_id}
    if item.adjust is not None:
        out["adjust"] = item.adjust
    if item.new_price is not None:
        out["new_price"] = item.new_price.canonical()
    if item.quantity is not None:
        out["quantity"] = item.quantity
    return out
