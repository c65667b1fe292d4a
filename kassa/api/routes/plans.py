from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.common import ListResponse
from kassa.api.schemas.plans import BundleCreate, BundleUpdate, PlanCreate, PlanUpdate
from kassa.resources.plans import Bundle, Plan, PlanVersionList
from kassa.services import plans

router = APIRouter(tags=["plans and bundles"])


@router.post("/plans", status_code=201, response_model=Plan)
def create_plan(body: PlanCreate, ctx: EnvCtx) -> dict[str, Any]:
    """A plan: items with full prices, plus contract, billing and renewal defaults."""
    return plans.create_plan(ctx, body.data())


@router.get("/plans", response_model=ListResponse[Plan])
def list_plans(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: id, currency, archived."""
    return page_body(plans.list_plans(ctx, query))


@router.get("/plans/{plan_id}", response_model=Plan)
def get_plan(plan_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return plans.get_plan(ctx, plan_id)


@router.patch("/plans/{plan_id}", response_model=Plan)
def update_plan(plan_id: str, body: PlanUpdate, ctx: EnvCtx) -> dict[str, Any]:
    """Existing subscriptions keep their own items; new subscriptions get the new ones."""
    return plans.update_plan(ctx, plan_id, body.data())


@router.get("/plans/{plan_id}/versions", response_model=PlanVersionList)
def list_plan_versions(plan_id: str, ctx: EnvCtx) -> dict[str, Any]:
    """The plan's item sets, oldest first: one more each time its items change (a subscription
    whose renewal.pricing is plan_latest renews onto the last)."""
    return {"data": plans.list_plan_versions(ctx, plan_id)}


@router.delete("/plans/{plan_id}", response_model=Plan)
def archive_plan(plan_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return plans.archive_plan(ctx, plan_id)


@router.post("/bundles", status_code=201, response_model=Bundle)
def create_bundle(body: BundleCreate, ctx: EnvCtx) -> dict[str, Any]:
    """A bundle: products with default prices, billed as a unit."""
    return plans.create_bundle(ctx, body.data())


@router.get("/bundles", response_model=ListResponse[Bundle])
def list_bundles(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    return page_body(plans.list_bundles(ctx, query))


@router.get("/bundles/{bundle_id}", response_model=Bundle)
def get_bundle(bundle_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return plans.get_bundle(ctx, bundle_id)


@router.patch("/bundles/{bundle_id}", response_model=Bundle)
def update_bundle(bundle_id: str, body: BundleUpdate, ctx: EnvCtx) -> dict[str, Any]:
    return plans.update_bundle(ctx, bundle_id, body.data())


@router.delete("/bundles/{bundle_id}", response_model=Bundle)
def archive_bundle(bundle_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return plans.archive_bundle(ctx, bundle_id)
