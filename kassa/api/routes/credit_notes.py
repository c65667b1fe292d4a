"""Credit notes: drafted against an invoice, applied as a refund or as credit, or voided."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.common import ListResponse
from kassa.api.routes.invoices import PDF, pdf_response
from kassa.api.schemas.credit_notes import CreditNoteApply, CreditNoteCreate
from kassa.resources.credit_notes import CreditNote
from kassa.services.billing import documents
from kassa.services.billing import credit_notes

router = APIRouter(tags=["credit notes"])


@router.post("/credit-notes", status_code=201, response_model=CreditNote)
def create_credit_note(body: CreditNoteCreate, ctx: EnvCtx) -> dict[str, Any]:
    """A draft credit note for an issued or paid invoice, by lines or by amount; with
    ``resolution`` applied at once (nothing is stored when it cannot be applied)."""
    return credit_notes.create_credit_note(ctx, body.model_dump())


@router.get("/credit-notes", response_model=ListResponse[CreditNote])
def list_credit_notes(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: customer_id, invoice_id, status."""
    return page_body(credit_notes.list_credit_notes(ctx, query))


@router.get("/credit-notes/{note_id}", response_model=CreditNote)
def get_credit_note(note_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return credit_notes.get_credit_note(ctx, note_id)


@router.get("/credit-notes/{note_id}/pdf", response_class=Response, responses=PDF)
def credit_note_pdf(note_id: str, ctx: EnvCtx) -> Response:
    """The credit note as a PDF, rendered once and served the same from then on."""
    return pdf_response(documents.credit_note_pdf(ctx, note_id), note_id)


@router.post("/credit-notes/{note_id}/apply", response_model=CreditNote)
def apply_credit_note(note_id: str, body: CreditNoteApply, ctx: EnvCtx) -> dict[str, Any]:
    """``refund`` to the original payment, or ``credit`` (off the amount due, the rest to the
    customer's credit balance)."""
    return credit_notes.apply_credit_note(ctx, note_id, body.resolution,
                                          expires_at=body.credit_grant_expires_at)


@router.post("/credit-notes/{note_id}/void", response_model=CreditNote)
def void_credit_note(note_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return credit_notes.void_credit_note(ctx, note_id)
