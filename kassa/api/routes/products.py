from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.catalog import ProductCreate, ProductUpdate
from kassa.api.schemas.common import ListResponse
from kassa.resources.catalog import Product
from kassa.services import catalog

router = APIRouter(prefix="/products", tags=["products"])


@router.post("", status_code=201, response_model=Product)
def create_product(body: ProductCreate, ctx: EnvCtx) -> dict[str, Any]:
    return catalog.create_product(ctx, body.model_dump())


@router.get("", response_model=ListResponse[Product])
def list_products(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: id, fee_type, payment_terms, billing_frequency, sku, archived; search (the
    name or sku contains it, any case, or the id is it)."""
    return page_body(catalog.list_products(ctx, query))


@router.get("/{product_id}", response_model=Product)
def get_product(product_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return catalog.get_product(ctx, product_id)


@router.patch("/{product_id}", response_model=Product)
def update_product(product_id: str, body: ProductUpdate, ctx: EnvCtx) -> dict[str, Any]:
    return catalog.update_product(ctx, product_id, body.model_dump(exclude_unset=True))


@router.delete("/{product_id}", response_model=Product)
def archive_product(product_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return catalog.archive_product(ctx, product_id)
