"""Subscription versions (Path B): request schemas (the responses are in
``kassa.resources.subscriptions``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from kassa.api.schemas.common import Flag, Schema
from kassa.api.schemas.items import Items, stored_items
from kassa.api.schemas.subscriptions import Effective


class VersionCreate(Schema):
    effective_at: Effective = "immediate"
    draft: Flag = True
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

    # absent: unchanged; null has no meaning
    not_nullable = ("effective_at", "proration")

    def data(self) -> dict[str, Any]:
        data = self.model_dump(exclude={"items"}, exclude_unset=True)
        if "effective_at" in data:
            data["effective"] = data.pop("effective_at")
        data["items"] = stored_items(self.items)
        return data


class PublishRequest(Schema):
    proration: Literal["full", "none"] | None = None
