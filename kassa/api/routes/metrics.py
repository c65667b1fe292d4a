from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.catalog import MetricCreate, MetricUpdate
from kassa.api.schemas.common import ListResponse
from kassa.resources.catalog import Metric
from kassa.services import catalog

router = APIRouter(prefix="/metrics", tags=["metrics"])


@router.post("", status_code=201, response_model=Metric)
def create_metric(body: MetricCreate, ctx: EnvCtx) -> dict[str, Any]:
    return catalog.create_metric(ctx, body.model_dump(mode="json"))


@router.get("", response_model=ListResponse[Metric])
def list_metrics(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: id, event_name, archived."""
    return page_body(catalog.list_metrics(ctx, query))


@router.get("/{metric_id}", response_model=Metric)
def get_metric(metric_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return catalog.get_metric(ctx, metric_id)


@router.patch("/{metric_id}", response_model=Metric)
def update_metric(metric_id: str, body: MetricUpdate, ctx: EnvCtx) -> dict[str, Any]:
    return catalog.update_metric(ctx, metric_id, body.model_dump(mode="json", exclude_unset=True))


@router.delete("/{metric_id}", response_model=Metric)
def archive_metric(metric_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return catalog.archive_metric(ctx, metric_id)
