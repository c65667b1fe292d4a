"""The emails log: every email rendered for sending, with its outcome."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.common import ListResponse
from kassa.api.schemas.emails import Email, EmailDetail
from kassa.services import emails

router = APIRouter(prefix="/emails", tags=["emails"])


@router.get("", response_model=ListResponse[Email])
def list_emails(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Newest first. Filters: status (queued, sent, failed), template, id."""
    return page_body(emails.list_emails(ctx, query))


@router.get("/{email_id}", response_model=EmailDetail)
def get_email(email_id: str, ctx: EnvCtx) -> dict[str, Any]:
    """One email with its rendered HTML and text."""
    return emails.get_email(ctx, email_id)
