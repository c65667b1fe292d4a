"""Payment methods, payments and refunds."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.common import ListResponse
from kassa.api.schemas.payments import PaymentMethodCreate
from kassa.resources.payments import Payment, PaymentMethod, PaymentMethodList, Refund
from kassa.services.billing import payments

router = APIRouter(tags=["payments"])


@router.post(
    "/customers/{customer_id}/payment-methods", status_code=201, response_model=PaymentMethod
)
def add_payment_method(customer_id: str, body: PaymentMethodCreate, ctx: EnvCtx) -> dict[str, Any]:
    """Attach a method. The first one (or ``default: true``) becomes the default charged by
    auto-pay. In the sandbox ``test_behavior`` makes the simulated processor succeed, decline,
    or decline once."""
    return payments.add_method(ctx, customer_id, body.model_dump())


@router.get("/customers/{customer_id}/payment-methods", response_model=PaymentMethodList)
def list_payment_methods(customer_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return {"data": payments.list_methods(ctx, customer_id)}


@router.post("/customers/{customer_id}/payment-methods/{method_id}/default",
             response_model=PaymentMethod)
def default_payment_method(customer_id: str, method_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return payments.set_default(ctx, customer_id, method_id)


@router.delete("/customers/{customer_id}/payment-methods/{method_id}", response_model=PaymentMethod)
def detach_payment_method(customer_id: str, method_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return payments.detach(ctx, customer_id, method_id)


@router.get("/payments", response_model=ListResponse[Payment])
def list_payments(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: customer_id, invoice_id, status."""
    return page_body(payments.list_payments(ctx, query))


@router.get("/payments/{payment_id}", response_model=Payment)
def get_payment(payment_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return payments.get_payment(ctx, payment_id)


@router.get("/refunds", response_model=ListResponse[Refund])
def list_refunds(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    return page_body(payments.list_refunds(ctx, query))


@router.get("/refunds/{refund_id}", response_model=Refund)
def get_refund(refund_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return payments.get_refund(ctx, refund_id)
