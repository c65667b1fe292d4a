"""Settings -> Email templates (admins): the built-ins Kassa ships, this environment's overrides
and own templates; edit a template's subject and body (saving a built-in's key overrides it) and
Restore built-in (deleting the override), through the services of /email-templates, the form
read by the API's EmailTemplateSave."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from kassa.api.schemas.emails import EmailTemplateSave
from kassa.domain.errors import KassaError
from kassa.services import email_templates
from kassa.store.queries import ListQuery
from kassa.web.auth import Managing, ManagingForm, Visitor
from kassa.web.forms import messages_by_field, parsed
from kassa.web.rendering import page, url

router = APIRouter(prefix="/settings/email-templates")

SOURCES = {"builtin": "Built-in", "override": "Override", "custom": "Custom"}
MAX_TEMPLATES = 100


@router.get("", name="email_templates")
def template_list(request: Request, visitor: ManagingForm) -> Response:
    found = email_templates.list_templates(visitor.ctx, ListQuery(limit=MAX_TEMPLATES))
    return page(request, "settings/email_templates.html", active="settings",
                title="Email templates", found=found, sources=SOURCES)


def _template_page(request: Request, visitor: Visitor, key: str, *, status: int = 200,
                   **context: Any) -> Response:
    template = email_templates.get_template(visitor.ctx, key)
    values = {"subject": template["subject"], "body": template["body"],
              "text": template["text"] or ""}
    context = {"notice": None, "values": values} | context
    return page(request, "settings/email_template.html", status=status, active="settings",
                title=f"Email template {template['name']}",
                here=url(request, "email_template", key=key), email=template,
                sources=SOURCES, **context)


@router.get("/{key}", name="email_template")
def edit_template(request: Request, visitor: ManagingForm, key: str) -> Response:
    return _template_page(request, visitor, key)


@router.post("/{key}", name="save_email_template")
def save_template(request: Request, visitor: Managing, key: str) -> Response:
    """Save template: PUT /email-templates/{key} (a built-in's key: the override)."""
    form = visitor.form
    try:
        body = parsed(EmailTemplateSave, {"subject": form.get("subject"),
                                          "body": form.get("body"),
                                          "text": form.get("text") or None})
        saved, _ = email_templates.save_template(visitor.ctx, key, body.model_dump())
    except KassaError as exc:
        return _template_page(request, visitor, key, status=422, values=form.values(),
                              errors=messages_by_field(exc, default="body"))
    what = "this environment's override is in use" if saved["builtin"] else "saved"
    return _template_page(request, visitor, key, notice=f"Saved {saved['name']}: {what}.")


@router.post("/{key}/restore", name="restore_email_template")
def restore_template(request: Request, visitor: Managing, key: str) -> Response:
    """Restore built-in: DELETE /email-templates/{key} of the override."""
    deleted = email_templates.delete_template(visitor.ctx, key)
    if deleted["current"] is None:
        return template_list(request, visitor)
    return _template_page(request, visitor, key,
                          notice=f"Restored the built-in {deleted['current']['name']}.")
