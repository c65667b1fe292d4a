"""Email templates and the emails log as the API shows them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from kassa.resources.fields import From, ResponseSchema, Timestamp


class EmailTemplate(ResponseSchema):
    key: str
    name: str
    subject: str
    body: str
    text: str | None
    source: str = Field(description="builtin, override (of a built-in) or custom")
    builtin: bool = Field(description="Kassa ships a template under this key")
    overridden: bool = Field(description="this environment replaced the built-in")
    created_at: Timestamp | None
    updated_at: Timestamp | None


class EmailTemplateDeleted(ResponseSchema):
    key: str
    deleted: bool
    current: EmailTemplate | None = Field(
        description="the built-in in effect again after deleting an override, else null")


class Email(ResponseSchema):
    id: str
    status: str = Field(description="queued, sent or failed")
    to: Annotated[list[str], From("to_addresses")]
    cc: Annotated[list[str], From("cc_addresses")]
    subject: str
    template: str
    error: str | None
    message_id: str | None
    source: dict[str, Any] | None = Field(
        description="what asked for it: {execution_id, step} for an automation step, "
        "{event_id, event_type} for a customer email (Settings → Invoicing)")
    attempts: int
    sent_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class EmailDetail(Email):
    html: str
    text: str
