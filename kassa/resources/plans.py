"""Plans and bundles as the API and webhooks show them."""

from __future__ import annotations

from typing import Any

from kassa.resources.fields import ResponseSchema, Timestamp


class Plan(ResponseSchema):
    id: str
    name: str
    description: str | None
    currency: str
    items: list[dict[str, Any]]
    contract: dict[str, Any]
    billing: dict[str, Any]
    renewal: dict[str, Any] | None
    metadata: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp
    archived_at: Timestamp | None


class PlanVersion(ResponseSchema):
    """One item set a plan has had: number 1 at its creation, one more each time its items
    changed (the last is its current items)."""

    id: str
    plan_id: str
    number: int
    items: list[dict[str, Any]]
    created_at: Timestamp


class PlanVersionList(ResponseSchema):
    data: list[PlanVersion]


class Bundle(ResponseSchema):
    id: str
    name: str
    description: str | None
    items: list[dict[str, Any]]
    metadata: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp
    archived_at: Timestamp | None
