"""Priced items as they appear in plans, bundles, subscriptions and versions."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from kassa.api.schemas.common import Integer, Schema, problem
from kassa.api.schemas.prices import Price

ProductId = Annotated[str, Field(min_length=1, max_length=80)]
BundleId = Annotated[str, Field(min_length=1, max_length=80)]
Quantity = Annotated[Integer, Field(ge=0, le=10**12, description="Seats or units (default 1)")]


class ChildItem(Schema):
    """A standalone item, or a child of a bundle: a product with its full price."""

    product_id: ProductId
    price: Price
    quantity: Quantity | None = None

    def stored(self) -> dict[str, Any]:
        item: dict[str, Any] = {"product_id": self.product_id, "price": self.price.canonical()}
        if self.quantity is not None:
            item["quantity"] = self.quantity
        return item


class Item(Schema):
    """Either ``{product_id, price[, quantity]}`` or ``{bundle_id[, items]}``."""

    product_id: ProductId | None = None
    price: Price | None = None
    quantity: Quantity | None = None
    bundle_id: BundleId | None = None
    items: Annotated[list[ChildItem], Field(max_length=100)] | None = Field(
        None, description="Bundle children with full prices (defaults: the bundle's own)"
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Item:
        if (self.product_id is None) == (self.bundle_id is None):
            raise problem("product_id", "give exactly one of product_id or bundle_id")
        if self.product_id is not None:
            if self.price is None:
                raise problem("price", "required for a product item")
            if self.items is not None:
                raise problem("items", "only bundle items have child items")
        else:
            if self.price is not None or self.quantity is not None:
                field = "price" if self.price is not None else "quantity"
                raise problem(field, "a bundle carries prices on its child items, not itself")
        return self

    def stored(self) -> dict[str, Any]:
        if self.bundle_id is not None:
            item: dict[str, Any] = {"bundle_id": self.bundle_id}
            if self.items is not None:
                item["items"] = [c.stored() for c in self.items]
            return item
        return ChildItem(
            product_id=self.product_id, price=self.price, quantity=self.quantity  # type: ignore[arg-type]
        ).stored()


Items = Annotated[list[Item], Field(max_length=200)]


def stored_items(items: list[Item] | None) -> list[dict[str, Any]] | None:
    return None if items is None else [i.stored() for i in items]
