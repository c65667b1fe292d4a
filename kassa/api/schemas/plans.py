"""Plans and bundles."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from kassa.api.schemas.common import (
    CurrencyCode,
    LongText,
    Metadata,
    MetadataPatch,
    Name,
    Schema,
    client_id,
)
from kassa.api.schemas.items import ChildItem, Items, stored_items
from kassa.api.schemas.subscriptions import Billing, Contract, Renewal


class PlanCreate(Schema):
    id: Annotated[str | None, client_id("pln")] = None
    name: Name
    description: LongText | None = None
    currency: CurrencyCode
    items: Annotated[Items, Field(min_length=1)]
    contract: Contract | None = None
    billing: Billing | None = None
    renewal: Renewal | None = None
    metadata: Metadata = {}

    def data(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude={"items"}, exclude_none=True)
        data["items"] = stored_items(self.items)
        return data


class PlanUpdate(Schema):
    name: Name | None = None
    description: LongText | None = None
    items: Annotated[Items, Field(min_length=1)] | None = None
    contract: Contract | None = None
    billing: Billing | None = None
    renewal: Renewal | None = None
    metadata: MetadataPatch | None = None

    not_nullable = ("name", "items", "contract", "billing")

    def data(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude={"items"}, exclude_unset=True)
        if self.items is not None:
            data["items"] = stored_items(self.items)
        return data


Children = Annotated[list[ChildItem], Field(min_length=1, max_length=100)]


class BundleCreate(Schema):
    id: Annotated[str | None, client_id("bnd")] = None
    name: Name
    description: LongText | None = None
    items: Children = Field(description="The bundle's products with their default prices")
    metadata: Metadata = {}

    def data(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude={"items"}, exclude_none=True)
        data["items"] = [c.stored() for c in self.items]
        return data


class BundleUpdate(Schema):
    name: Name | None = None
    description: LongText | None = None
    items: Children | None = None
    metadata: MetadataPatch | None = None

    not_nullable = ("name", "items")

    def data(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude={"items"}, exclude_unset=True)
        if self.items is not None:
            data["items"] = [c.stored() for c in self.items]
        return data
