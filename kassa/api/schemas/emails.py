"""Email templates and the emails log: the request schemas (the responses are in
``kassa.resources.emails``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kassa.api.schemas.common import Schema
from kassa.resources.emails import Email, EmailDetail, EmailTemplate, EmailTemplateDeleted
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


__all__ = ["Email", "EmailDetail", "EmailTemplate", "EmailTemplateCreate", "EmailTemplateDeleted",
           "EmailTemplateSave"]
