"""Invoices: one-time invoices, issuing, voiding, collecting, credits, the upcoming invoice."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.common import ListResponse
from kassa.api.schemas.invoices import ApplyCredits, Invoice, OneTimeInvoice, UpcomingInvoice
from kassa.api.schemas.payments import InvoicePayment, ManualPayment, RetryPayment
from kassa.services.billing import documents
from kassa.services.billing import invoice_actions, invoices, payments

router = APIRouter(tags=["invoices"])


@router.get("/invoices", response_model=ListResponse[Invoice])
def list_invoices(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: customer_id, subscription_id, status, kind, number, currency, issued_from,
    issued_to, period_from, period_to (dates YYYY-MM-DD)."""
    return page_body(invoices.list_invoices(ctx, query))


@router.post("/invoices", status_code=201, response_model=Invoice)
def create_invoice(body: OneTimeInvoice, ctx: EnvCtx) -> dict[str, Any]:
    """A one-time invoice; issued at once unless ``auto_issue`` is false."""
    return invoice_actions.create_one_time(ctx, body.model_dump())


@router.get("/invoices/{invoice_id}", response_model=Invoice)
def get_invoice(invoice_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return invoices.get_invoice(ctx, invoice_id)


PDF = {200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
             "description": "The PDF"}}


def pdf_response(pdf: bytes, name: str) -> Response:
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}.pdf"'})


@router.get("/invoices/{invoice_id}/pdf", response_class=Response, responses=PDF)
def invoice_pdf(invoice_id: str, ctx: EnvCtx) -> Response:
    """The invoice as a PDF: an issued invoice's is rendered once (when it is issued) and the
    same document is served from then on; a draft's is rendered now, marked as a draft."""
    return pdf_response(documents.invoice_pdf(ctx, invoice_id), invoice_id)


@router.post("/invoices/{invoice_id}/issue", response_model=Invoice)
def issue_invoice(invoice_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return invoice_actions.issue_invoice(ctx, invoice_id)


@router.post("/invoices/{invoice_id}/void", response_model=Invoice)
def void_invoice(invoice_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return invoice_actions.void_invoice(ctx, invoice_id)


@router.post("/invoices/{invoice_id}/retry-payment", response_model=InvoicePayment)
def retry_payment(invoice_id: str, ctx: EnvCtx, body: RetryPayment | None = None) -> dict[str, Any]:
    """Charge the amount due again (default payment method, or ``payment_method_id``)."""
    return payments.retry_payment(ctx, invoice_id, body.payment_method_id if body else None)


@router.post("/invoices/{invoice_id}/payments", status_code=201, response_model=InvoicePayment)
def record_payment(invoice_id: str, body: ManualPayment, ctx: EnvCtx) -> dict[str, Any]:
    """Record a payment received outside Kassa (a wire transfer)."""
    return payments.record_payment(ctx, invoice_id, body.model_dump())


@router.post("/invoices/{invoice_id}/apply-credits", response_model=Invoice)
def apply_credits(invoice_id: str, ctx: EnvCtx, body: ApplyCredits | None = None) -> dict[str, Any]:
    return invoice_actions.apply_credits(ctx, invoice_id, body.amount if body else None)


@router.get("/subscriptions/{sub_id}/upcoming-invoice", response_model=UpcomingInvoice)
def upcoming_invoice(sub_id: str, ctx: EnvCtx) -> dict[str, Any]:
    """The next billing date's invoice as it stands now (usage so far; a scheduled
    cancellation makes it the final invoice); nothing is stored."""
    return invoice_actions.upcoming_invoice(ctx, sub_id)
