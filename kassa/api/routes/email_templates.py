"""Email templates: the built-ins, and this environment's overrides and own templates."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.common import ListResponse
from kassa.api.schemas.emails import (
    EmailTemplate,
    EmailTemplateCreate,
    EmailTemplateDeleted,
    EmailTemplateSave,
)
from kassa.services import email_templates as templates

router = APIRouter(prefix="/email-templates", tags=["emails"])


def _saved(ctx: EnvCtx, key: str, data: dict[str, Any], response: Response) -> dict[str, Any]:
    view, created = templates.save_template(ctx, key, data)
    response.status_code = 201 if created else 200
    return view


@router.post("", status_code=201, response_model=EmailTemplate,
             responses={200: {"model": EmailTemplate, "description": "Replaced"}})
def create_template(body: EmailTemplateCreate, ctx: EnvCtx, response: Response) -> dict[str, Any]:
    """Save the template ``key``: 201 when this environment had none under it (for a built-in
    key: the override begins), 200 when it replaced one. Never a conflict."""
    return _saved(ctx, body.key, body.model_dump(exclude={"key"}), response)


@router.get("", response_model=ListResponse[EmailTemplate])
def list_templates(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Built-ins and this environment's templates, by key. Filters: key, source (builtin,
    override, custom)."""
    return page_body(templates.list_templates(ctx, query))


@router.get("/{key}", response_model=EmailTemplate)
def get_template(key: str, ctx: EnvCtx) -> dict[str, Any]:
    """The template in effect under ``key``: the override, else the built-in."""
    return templates.get_template(ctx, key)


@router.put("/{key}", response_model=EmailTemplate,
            responses={201: {"model": EmailTemplate, "description": "Created"}})
def save_template(
    key: str, body: EmailTemplateSave, ctx: EnvCtx, response: Response
) -> dict[str, Any]:
    """Create (201) or replace (200) the template ``key``."""
    return _saved(ctx, key, body.model_dump(), response)


@router.delete("/{key}", response_model=EmailTemplateDeleted)
def delete_template(key: str, ctx: EnvCtx) -> dict[str, Any]:
    """Delete this environment's template ``key``: an override's built-in is in effect again.
    A built-in that is not overridden cannot be deleted (409)."""
    return templates.delete_template(ctx, key)
