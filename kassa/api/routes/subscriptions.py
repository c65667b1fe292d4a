from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.common import ListResponse
from kassa.api.schemas.prices import canonical_price
from kassa.api.schemas.changes import ChangePreview, ChangeRequest, ChangeResult
from kassa.api.schemas.subscriptions import (
    CancelRequest,
    PauseRequest,
    SubscriptionCreate,
    SubscriptionUpdate,
)
from kassa.api.schemas.versions import PublishRequest, VersionCreate, VersionReplace
from kassa.resources.subscriptions import Subscription, Version, VersionDeleted, VersionList
from kassa.services import subscriptions as subs

router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])


@router.post("", status_code=201, response_model=Subscription)
def create_subscription(body: SubscriptionCreate, ctx: EnvCtx) -> dict[str, Any]:
    """Raw items, a plan, a plan with overrides, or bundles; created as a draft unless
    ``auto_activate`` is true."""
    return subs.create_subscription(ctx, body.data())


@router.get("", response_model=ListResponse[Subscription])
def list_subscriptions(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: customer_id, status, plan_id, currency, id."""
    return page_body(subs.list_subscriptions(ctx, query))


@router.get("/{sub_id}", response_model=Subscription)
def get_subscription(sub_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return subs.get_subscription(ctx, sub_id)


@router.patch("/{sub_id}", response_model=Subscription)
def update_subscription(sub_id: str, body: SubscriptionUpdate, ctx: EnvCtx) -> dict[str, Any]:
    """Name, discount, spend limits, escalation, billing flags, renewal and metadata: applied at
    once, without a new version. In metadata a null value removes the key."""
    return subs.update(ctx, sub_id, body.data())


@router.post("/{sub_id}/activate", response_model=Subscription)
def activate(sub_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return subs.activate(ctx, sub_id)


@router.post("/{sub_id}/cancel", response_model=Subscription)
def cancel(sub_id: str, body: CancelRequest, ctx: EnvCtx) -> dict[str, Any]:
    """timing: immediate, end_of_term (default) or a date; scheduled ones can be undone."""
    return subs.cancel(ctx, sub_id, body.model_dump())


@router.post("/{sub_id}/uncancel", response_model=Subscription)
def uncancel(sub_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return subs.uncancel(ctx, sub_id)


@router.post("/{sub_id}/pause", response_model=Subscription)
def pause(sub_id: str, ctx: EnvCtx, body: PauseRequest | None = None) -> dict[str, Any]:
    """Pause now, until ``resume_at`` or until resumed."""
    return subs.pause(ctx, sub_id, body.resume_at if body else None)


@router.post("/{sub_id}/resume", response_model=Subscription)
def resume(sub_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return subs.resume(ctx, sub_id)


# ------------------------------------------------------------------ versions


@router.get("/{sub_id}/versions", response_model=VersionList)
def list_versions(sub_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return {"data": subs.list_versions(ctx, sub_id)}


@router.get("/{sub_id}/versions/current", response_model=Version)
def current_version(sub_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return subs.get_version(ctx, sub_id, "current")


@router.get("/{sub_id}/versions/{version_id}", response_model=Version)
def get_version(sub_id: str, version_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return subs.get_version(ctx, sub_id, version_id)


@router.post("/{sub_id}/versions", status_code=201, response_model=Version)
def create_version(sub_id: str, body: VersionCreate, ctx: EnvCtx) -> dict[str, Any]:
    """Path B: a complete item set, a draft by default."""
    return subs.create_version(ctx, sub_id, body.data())


@router.put("/{sub_id}/versions/{version_id}", response_model=Version)
def replace_version(
    sub_id: str, version_id: str, body: VersionReplace, ctx: EnvCtx
) -> dict[str, Any]:
    """Replace a draft's contents (422 for a published version)."""
    return subs.replace_version(ctx, sub_id, version_id, body.data())


@router.post("/{sub_id}/versions/{version_id}/publish", response_model=Version)
def publish_version(
    sub_id: str, version_id: str, ctx: EnvCtx, body: PublishRequest | None = None
) -> dict[str, Any]:
    return subs.publish_version(ctx, sub_id, version_id, body.proration if body else None)


@router.delete("/{sub_id}/versions/{version_id}", response_model=VersionDeleted)
def delete_version(sub_id: str, version_id: str, ctx: EnvCtx) -> dict[str, Any]:
    """Discard a draft (422 for a published version)."""
    return subs.delete_version(ctx, sub_id, version_id)


# ------------------------------------------------------------------ changes


@router.post("/{sub_id}/changes", status_code=201, response_model=ChangeResult)
def create_change(sub_id: str, body: ChangeRequest, ctx: EnvCtx) -> dict[str, Any]:
    """Path A: add/remove/update on the source version; returns the new version with its delta
    and, for immediate changes, the proration."""
    return subs.change_subscription(ctx, sub_id, body.data(), canonical_price, preview=False)


@router.post("/{sub_id}/changes/preview", response_model=ChangePreview)
def preview_change(sub_id: str, body: ChangeRequest, ctx: EnvCtx) -> dict[str, Any]:
    """The same computation as POST /changes, without writing anything."""
    return subs.change_subscription(ctx, sub_id, body.data(), canonical_price, preview=True)
