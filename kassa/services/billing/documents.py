"""Invoice and credit note PDFs (``GET /invoices/{id}/pdf``, ``GET /credit-notes/{id}/pdf``, the
dashboard's Download PDF).

An issued invoice's PDF is rendered once and stored (the ``documents`` table): by the
``render_document`` job its issue enqueues, or by the first request that finds none. From then on
the stored document is served, so what a customer received never changes when the templates or
Settings → Company change later. A draft is rendered on each request, marked as a draft. A credit
note's PDF is stored the same way: by the job its application (its number) enqueues, or on
first need. Rendering reads in one transaction and stores in
another, with no transaction open while WeasyPrint lays the document out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from kassa.documents import render
from kassa.queue import Job
from kassa.resources import render as render_resource
from kassa.resources.credit_notes import CreditNote
from kassa.resources.customers import Customer
from kassa.resources.settings import CompanySettings
from kassa.services import environment_settings
from kassa.services.billing import invoices as inv
from kassa.services.context import Ctx
from kassa.store.queries import get_row
from kassa.store.tables import credit_notes, customers, documents
from kassa.store.uow import UnitOfWork

RENDER_JOB = inv.RENDER_JOB  # enqueued by inv.issue_many
INVOICE, CREDIT_NOTE = "invoice", "credit_note"


def invoice_pdf(ctx: Ctx, invoice_id: str) -> bytes:
    """The invoice's PDF: the stored one, else rendered (and stored unless a draft)."""
    with ctx.uow(read_only=True) as uow:
        stored = _stored(uow, INVOICE, invoice_id)
        if stored is not None:
            return stored
        invoice = inv.invoice_view(inv.load(uow, invoice_id))
        pdf = render.invoice_pdf(invoice, _customer(uow, invoice["customer_id"]), _company(uow))
    if invoice["status"] == "draft":
        return pdf
    return _keep(ctx, INVOICE, invoice_id, pdf)


def credit_note_pdf(ctx: Ctx, note_id: str) -> bytes:
    with ctx.uow(read_only=True) as uow:
        stored = _stored(uow, CREDIT_NOTE, note_id)
        if stored is not None:
            return stored
        note = render_resource(CreditNote, get_row(uow.conn, credit_notes, uow.environment,
                                                   note_id, what="Credit note"))
        invoice = inv.invoice_view(inv.load(uow, note["invoice_id"]))
        pdf = render.credit_note_pdf(note, invoice, _customer(uow, note["customer_id"]),
                                     _company(uow))
    if note["status"] == "draft":
        return pdf
    return _keep(ctx, CREDIT_NOTE, note_id, pdf)


def render_job(ctx: Ctx, job: Job) -> None:
    """The ``render_document`` job: the document rendered and stored, once."""
    if job.payload["kind"] == INVOICE:
        invoice_pdf(ctx, job.payload["id"])
    else:
        credit_note_pdf(ctx, job.payload["id"])


def _stored(uow: UnitOfWork, kind: str, object_id: str) -> bytes | None:
    found = uow.conn.execute(select(documents.c.pdf).where(
        documents.c.environment == uow.environment, documents.c.kind == kind,
        documents.c.object_id == object_id)).scalar()
    return None if found is None else bytes(found)


def _keep(ctx: Ctx, kind: str, object_id: str, pdf: bytes) -> bytes:
    """Store ``pdf`` unless one was stored meanwhile; the one stored."""
    with ctx.uow() as uow:
        dialect = postgresql if uow.dialect == "postgresql" else sqlite
        uow.conn.execute(dialect.insert(documents).values(
            environment=uow.environment, kind=kind, object_id=object_id, pdf=pdf,
            created_at=uow.now).on_conflict_do_nothing(
            index_elements=["environment", "kind", "object_id"]))
        kept = _stored(uow, kind, object_id)
        uow.commit()
    return kept if kept is not None else pdf


def _customer(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    return render_resource(Customer, get_row(uow.conn, customers, uow.environment, customer_id,
                                             what="Customer"))


def _company(uow: UnitOfWork) -> dict[str, Any]:
    return environment_settings.read(uow.conn, uow.environment,
                                     CompanySettings).model_dump(mode="json")
