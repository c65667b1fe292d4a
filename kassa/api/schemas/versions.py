"""Subscription versions (Path B): request and response schemas."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from kassa.api.schemas.common import Schema, problem
from kassa.api.schemas.items import Items, stored_items
from kassa.api.schemas.subscriptions import Effective
from kassa.resources.fields import ResponseSchema, Timestamp


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


class Version(ResponseSchema):
    id: str
    subscription_id: str
    number: int
    status: str
    effective: str | None
    effective_at: Timestamp | None
    description: str | None
    plan_id: str | None
    proration: str | None
    source_version_id: str | None
    items: list[dict[str, Any]]
    published_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class VersionList(ResponseSchema):
    data: list[Version]


class VersionDeleted(Version):
    deleted: bool
