"""Customer usage and usage thresholds."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field, model_validator

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.common import DecimalValue, Instant, Schema, problem
from kassa.services import customer_usage, usage_thresholds

router = APIRouter(tags=["usage"])


@router.get("/customers/{customer_id}/usage")
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


class ThresholdCreate(Schema):
    customer_id: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    subscription_id: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    metric_id: Annotated[str, Field(min_length=1, max_length=80)]
    value: DecimalValue

    @model_validator(mode="after")
    def _target(self) -> ThresholdCreate:
        if self.customer_id is None and self.subscription_id is None:
            raise problem("customer_id", "give customer_id or subscription_id")
        if self.value < 0:
            raise problem("value", "must not be negative")
        return self


@router.post("/usage-thresholds", status_code=201)
def create_threshold(body: ThresholdCreate, ctx: EnvCtx) -> dict[str, Any]:
    """``usage.threshold_exceeded`` fires once per billing period when usage passes ``value``."""
    return usage_thresholds.create_threshold(ctx, body.model_dump())


@router.get("/usage-thresholds")
def list_thresholds(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: customer_id, subscription_id, metric_id, status."""
    return page_body(usage_thresholds.list_thresholds(ctx, query))


@router.get("/usage-thresholds/{threshold_id}")
def get_threshold(threshold_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return usage_thresholds.get_threshold(ctx, threshold_id)


@router.delete("/usage-thresholds/{threshold_id}")
def archive_threshold(threshold_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return usage_thresholds.archive_threshold(ctx, threshold_id)
