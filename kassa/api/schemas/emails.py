"""Email templates and the emails log."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from kassa.api.schemas.common import Schema
from kassa.resources.fields import ResponseSchema, Timestamp
from kassa.services.email_templates import KEY_PATTERN

TemplateKey = Annotated[str, Field(pattern=KEY_PATTERN, examples=["payment_failed_first"])]
Subject = Annotated[str, Field(min_length=1, max_length=998,
                               examples=["Invoice {{ invoice.id }} is unpaid"])]
Body = Annotated[str, Field(min_length=1, max_length=200_000, description=(
    "HTML, a Jinja2 template (sandboxed, autoescaped) over the automation's variables"))]
Text = Annotated[str, Field(min_length=1, max_length=200_000, description=(
    "The text part (Jinja2, not escaped); absent: derived from the rendered HTML"))]


class EmailTemplateSave(Schema):
    """PUT /email-templates/{key}: the template under that key, created or replaced."""

    subject: Subject
    body: Body
    text: Text | None = None


class EmailTemplateCreate(EmailTemplateSave):
    key: TemplateKey


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
    to: list[str]
    cc: list[str]
    subject: str
    template: str
    error: str | None
    message_id: str | None
    source: dict[str, Any] | None = Field(
        description="what asked for it: {execution_id, step} for an automation step")
    attempts: int
    sent_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class EmailDetail(Email):
    html: str
    text: str
