"""Invoices: the list with status filters (Payment Failed among them), paginated in SQL, and an
invoice's page with its full breakdown (lines with their periods, proration, discounts, tax,
credits, payments and their refunds, credit notes) and the FAQ's actions: Retry Payment, Apply
Credits, Issue Refund / Create Credit Note, Void. Each action calls the service its API route
calls, with the form read by the route's request schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from kassa.api.schemas.credit_notes import CreditNoteCreate, CreditReason
from kassa.api.schemas.invoices import ApplyCredits
from kassa.domain.errors import InvalidRequest, KassaError
from kassa.services.billing import documents
from kassa.services.billing import credit_notes, invoice_actions, invoice_overview, payments
from kassa.web.auth import Acting, Viewing, Visitor
from kassa.web.forms import messages_by_field, parsed
from kassa.web.listing import PageNumber, page_count, page_query
from kassa.web.rendering import page, url

router = APIRouter(prefix="/invoices")

# Statuses as the documents write them ("status: Payment Failed").
LABELS = {"draft": "Draft", "issued": "Issued", "payment_failed": "Payment Failed",
          "overdue": "Overdue", "paid": "Paid", "void": "Void", "pending_refund": "Pending refund",
          "applied": "Applied", "succeeded": "Succeeded", "failed": "Failed",
          "pending": "Pending", "processing": "Processing", "canceled": "Canceled",
          "upcoming": "Upcoming"}
REASONS = [(r, r.replace("_", " ").capitalize()) for r in CreditReason.__args__]
# The panels an action button opens (``?open=``) before its Confirm, and the action of each.
PANELS = {"apply-credits": "apply_credits", "refund": "refund", "credit-note": "credit_note",
          "void": "void"}


def label(status: str) -> str:
    return LABELS.get(status, status.replace("_", " ").capitalize())


@router.get("", name="invoices")
def invoice_list(
    request: Request,
    visitor: Viewing,
    status: Annotated[str, Query(max_length=200)] = "",
    customer_id: Annotated[str, Query(max_length=255)] = "",
    page_number: PageNumber = 1,
) -> Response:
    """Newest first; ``status`` as GET /invoices takes it (``overdue`` or
    ``issued,payment_failed,overdue``), ``customer_id`` a customer's id or alias."""
    chosen = [s.strip() for s in status.split(",") if s.strip()]
    filters = {"status": chosen} if chosen else {}
    if customer_id.strip():
        filters["customer_id"] = [customer_id.strip()]
    query = page_query(page_number, sort=("created_at", "desc"), filters=filters)
    problem = None
    unknown = [s for s in chosen if s not in invoice_overview.STATUSES]
    if unknown:
        problem = (f"There is no invoice status {unknown[0]!r}; statuses: "
                   f"{', '.join(invoice_overview.STATUSES)}.")
        found = None
    else:
        try:
            found = invoice_overview.list_invoices(visitor.ctx, query)
        except KassaError as exc:
            problem, found = exc.detail, None
    pages = page_count(found.total) if found else 1
    return page(request, "invoices/list.html", partial="invoices/_results.html",
                status=200 if problem is None else 422, active="invoices", title="Invoices",
                found=found, problem=problem, status_filter=",".join(chosen),
                customer_id=customer_id.strip(), page_number=page_number, pages=pages,
                statuses=[(s, label(s)) for s in invoice_overview.STATUSES], label=label)


def _invoice_page(request: Request, visitor: Visitor, invoice_id: str, *, status: int = 200,
                  opened: str | None = None, **context: Any) -> Response:
    details = invoice_overview.invoice_details(visitor.ctx, invoice_id)
    if opened is not None and status == 200 and not details["actions"][PANELS[opened]]:
        opened = None  # e.g. Issue Refund on an invoice with nothing paid
    invoice = details["invoice"]
    title = f"Invoice {invoice['number']}" if invoice["number"] else "Draft invoice"
    context = {"notice": None, "problem": None} | context
    return page(request, "invoices/invoice.html", partial="invoices/_invoice.html",
                status=status, active="invoices", title=title,
                here=url(request, "invoice", invoice_id=invoice_id), opened=opened,
                label=label, reasons=REASONS, **details, **context)


@router.get("/{invoice_id}/pdf", name="invoice_pdf")
def invoice_pdf(visitor: Viewing, invoice_id: str) -> Response:
    """Download PDF: the document ``GET /invoices/{id}/pdf`` serves (the one stored when the
    invoice was issued)."""
    pdf = documents.invoice_pdf(visitor.ctx, invoice_id)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{invoice_id}.pdf"'})


@router.get("/{invoice_id}", name="invoice")
def invoice_page(
    request: Request, visitor: Viewing, invoice_id: str,
    open: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The breakdown; ``open`` shows an action's form (Apply Credits, Issue Refund, Create
    Credit Note, Void) above it, for those who may act."""
    return _invoice_page(request, visitor, invoice_id,
                         opened=open if open in PANELS and visitor.can("act") else None)


def _act(request: Request, visitor: Visitor, invoice_id: str, panel: str | None,
         action: Callable[[], str]) -> Response:
    """Run ``action`` (it returns the notice to show); a refusal shows the invoice again with
    the service's message beside its field, or above the form when it names none."""
    try:
        notice = action()
    except KassaError as exc:
        errors = messages_by_field(exc)
        if not errors or panel is None:
            return _invoice_page(request, visitor, invoice_id, status=422, opened=panel,
                                 problem=exc.detail, values=visitor.form.values())
        return _invoice_page(request, visitor, invoice_id, status=422, opened=panel,
                             errors=errors, values=visitor.form.values())
    return _invoice_page(request, visitor, invoice_id, notice=notice)


@router.post("/{invoice_id}/retry-payment", name="retry_payment")
def retry_payment(request: Request, visitor: Acting, invoice_id: str) -> Response:
    """Retry Payment: credit and wallet first, then the customer's default payment method."""

    def retry() -> str:
        done = payments.retry_payment(visitor.ctx, invoice_id, None)
        invoice, payment = done["invoice"], done["payment"]
        if payment is None:
            return f"Credits and the wallet paid the invoice: it is {label(invoice['status'])}."
        if payment["status"] == "succeeded":
            return (f"Payment of {payment['amount']} {payment['currency']} succeeded: the "
                    f"invoice is {label(invoice['status'])}.")
        reason = f" ({payment['failure_reason']})" if payment["failure_reason"] else ""
        return (f"Payment of {payment['amount']} {payment['currency']} "
                f"{label(payment['status']).lower()}{reason}: the invoice is "
                f"{label(invoice['status'])}.")

    return _act(request, visitor, invoice_id, None, retry)


@router.post("/{invoice_id}/apply-credits", name="apply_credits")
def apply_credits(request: Request, visitor: Acting, invoice_id: str) -> Response:
    """Apply Credits: the amount chosen, off what is due."""

    def apply() -> str:
        body = parsed(ApplyCredits, {"amount": visitor.form.text("amount")})
        invoice = invoice_actions.apply_credits(visitor.ctx, invoice_id, body.amount)
        return (f"Applied {body.amount} {invoice['currency']} of credit: "
                f"{invoice['amount_due']} {invoice['currency']} is due.")

    return _act(request, visitor, invoice_id, "apply-credits", apply)


@router.post("/{invoice_id}/credit-notes", name="create_credit_note")
def create_credit_note(request: Request, visitor: Acting, invoice_id: str) -> Response:
    """Issue Refund / Create Credit Note: amount, reason, note, and Refund to payment method
    or Store as credit, applied at once (POST /credit-notes with ``resolution``)."""
    form = visitor.form
    panel = "refund" if form.text("resolution") == "refund" else "credit-note"

    def create() -> str:
        if form.text("resolution") not in ("refund", "credit"):
            raise InvalidRequest("Choose Refund to payment method or Store as credit.",
                                 field="resolution")
        body = parsed(CreditNoteCreate, {
            "invoice_id": invoice_id, "amount": form.text("amount"),
            "reason": form.text("reason") or "other", "memo": form.text("memo") or None,
            "resolution": form.text("resolution") or None,
        })
        note = credit_notes.create_credit_note(visitor.ctx, body.model_dump())
        what = f"Credit note {note['number']} for {note['amount']} {note['currency']}"
        if note["resolution"] == "credit":
            return f"{what}: stored as credit."
        if note["status"] == "applied":
            return f"{what}: refunded to the payment method."
        return f"{what}: the refund is pending (the processor has not confirmed it)."

    return _act(request, visitor, invoice_id, panel, create)


@router.post("/{invoice_id}/void", name="void_invoice")
def void_invoice(request: Request, visitor: Acting, invoice_id: str) -> Response:
    def void() -> str:
        invoice_actions.void_invoice(visitor.ctx, invoice_id)
        return "The invoice is void; credits and wallet money it used are back with the customer."

    return _act(request, visitor, invoice_id, "void", void)
