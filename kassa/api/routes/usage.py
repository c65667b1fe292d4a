"""Customer usage and usage thresholds."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.common import Instant, ListResponse
from kassa.api.schemas.usage import ThresholdCreate
from kassa.resources.usage import CustomerUsage, UsageThreshold
from kassa.services.usage import customer_usage, thresholds

router = APIRouter(tags=["usage"])


@router.get(
    "/customers/{customer_id}/usage",
    response_model=CustomerUsage,
    response_model_exclude_unset=True,  # series only with group_by=day
)
def get_customer_usage(
    customer_id: str,
    ctx: EnvCtx,
    from_: Annotated[Instant | None, Query(alias="from")] = None,
    to: Instant | None = None,
    group_by: Literal["day"] | None = None,
) -> dict[str, Any]:
    """Per metric of the customer's active subscriptions: the aggregate over the current billing
    period (or ``from``..``to``), with ``group_by=day`` for a daily series."""
    return customer_usage.customer_usage(ctx, customer_id, from_, to, group_by)


@router.post("/usage-thresholds", status_code=201, response_model=UsageThreshold)
def create_threshold(body: ThresholdCreate, ctx: EnvCtx) -> dict[str, Any]:
    """``usage.threshold_exceeded`` fires once per billing period when usage passes ``value``."""
    return thresholds.create_threshold(ctx, body.model_dump())


@router.get("/usage-thresholds", response_model=ListResponse[UsageThreshold])
def list_thresholds(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: customer_id, subscription_id, metric_id, status."""
    return page_body(thresholds.list_thresholds(ctx, query))


@router.get("/usage-thresholds/{threshold_id}", response_model=UsageThreshold)
def get_threshold(threshold_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return thresholds.get_threshold(ctx, threshold_id)


@router.delete("/usage-thresholds/{threshold_id}", response_model=UsageThreshold)
def archive_threshold(threshold_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return thresholds.archive_threshold(ctx, threshold_id)
