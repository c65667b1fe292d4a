"""Credit grants and a customer's credit balance."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.common import ListResponse
from kassa.api.schemas.credits import CreditGrantCreate
from kassa.resources.credits import CreditBalance, CreditGrant
from kassa.services.billing import credits

router = APIRouter(tags=["credits"])


@router.post("/credit-grants", status_code=201, response_model=CreditGrant)
def create_credit_grant(body: CreditGrantCreate, ctx: EnvCtx) -> dict[str, Any]:
    """Grant monetary or unit credit; applied to invoices at issue, earliest expiry first, then
    lowest priority, then oldest."""
    return credits.create_grant(ctx, body.model_dump())


@router.get("/credit-grants", response_model=ListResponse[CreditGrant])
def list_credit_grants(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: customer_id, status, type."""
    return page_body(credits.list_grants(ctx, query))


@router.get("/credit-grants/{grant_id}", response_model=CreditGrant)
def get_credit_grant(grant_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return credits.get_grant(ctx, grant_id)


@router.post("/credit-grants/{grant_id}/void", response_model=CreditGrant)
def void_credit_grant(grant_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return credits.void_grant(ctx, grant_id)


@router.get("/customers/{customer_id}/credit-balance", response_model=CreditBalance)
def credit_balance(customer_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return credits.customer_balance(ctx, customer_id)
