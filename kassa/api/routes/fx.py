"""Exchange rates: ``POST /fx-rates`` (a manual rate) and ``GET /fx-rates``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.common import ListResponse
from kassa.api.schemas.fx import FxRateCreate
from kassa.resources.fx import FxRate
from kassa.services import fx

router = APIRouter(prefix="/fx-rates", tags=["fx-rates"])


@router.post("", status_code=201, response_model=FxRate)
def create_fx_rate(body: FxRateCreate, ctx: EnvCtx) -> dict[str, Any]:
    """A manual exchange rate, valid from ``valid_from`` until a newer one of the pair. A rate
    for the same pair and day exists already: 409 (rates are never changed: invoices keep the
    rate they were billed at)."""
    return fx.create_rate(ctx, body.model_dump())


@router.get("", response_model=ListResponse[FxRate])
def list_fx_rates(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: base, quote, source (manual, ecb). Sort: created_at (default, newest first),
    updated_at, valid_from."""
    return page_body(fx.list_rates(ctx, query))
