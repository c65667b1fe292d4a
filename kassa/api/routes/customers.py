from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.customers import CustomerCreate, CustomerUpdate
from kassa.api.schemas.common import ListResponse
from kassa.resources.customers import Customer
from kassa.services import customers

router = APIRouter(prefix="/customers", tags=["customers"])


@router.post("", status_code=201, response_model=Customer)
def create_customer(body: CustomerCreate, ctx: EnvCtx) -> dict[str, Any]:
    """Create a customer; emits ``customer.created``."""
    return customers.create_customer(ctx, body.model_dump())


@router.get("", response_model=ListResponse[Customer])
def list_customers(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: search (name or email containing the text, any case, or the id), id, email,
    currency, segment, archived (default false)."""
    return page_body(customers.list_customers(ctx, query))


@router.get("/{customer_id}", response_model=Customer)
def get_customer(customer_id: str, ctx: EnvCtx) -> dict[str, Any]:
    """By id or by alias."""
    return customers.get_customer(ctx, customer_id)


@router.patch("/{customer_id}", response_model=Customer)
def update_customer(customer_id: str, body: CustomerUpdate, ctx: EnvCtx) -> dict[str, Any]:
    return customers.update_customer(ctx, customer_id, body.model_dump(exclude_unset=True))


@router.delete("/{customer_id}", response_model=Customer)
def archive_customer(customer_id: str, ctx: EnvCtx) -> dict[str, Any]:
    """Archive the customer (its history stays; it leaves default lists)."""
    return customers.archive_customer(ctx, customer_id)
