from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import Field

from kassa.api.deps import EnvCtx
from kassa.api.schemas.common import CurrencyCode, DecimalValue, Schema
from kassa.api.schemas.prices import Price
from kassa.resources.fields import ResponseSchema
from kassa.services import pricing

router = APIRouter(prefix="/pricing", tags=["pricing"])


class QuoteRequest(Schema):
    price: Price
    currency: CurrencyCode
    quantity: Annotated[int, Field(ge=0, le=10**12)] = Field(
        1, description="Seats or units for fixed-fee prices"
    )
    usage: dict[Annotated[str, Field(min_length=1, max_length=80)], DecimalValue] = Field(
        {}, description="Metric id → aggregate for the period (metered and percentage types)"
    )


class QuoteLine(ResponseSchema):
    kind: str
    description: str
    units: str | None
    rate: str | None
    amount: str


class Quote(ResponseSchema):
    currency: str
    amount: str
    lines: list[QuoteLine]


@router.post("/quote", response_model=Quote)
def quote_price(body: QuoteRequest, ctx: EnvCtx) -> dict[str, Any]:
    """What ``price`` charges for one full billing period: the amount (rounded once, to the
    currency's minor unit) and its breakdown (tier bands, fees, prepaid and overage parts)."""
    return pricing.quote_price(
        ctx, body.price.canonical(), body.currency, body.quantity, body.usage
    )
