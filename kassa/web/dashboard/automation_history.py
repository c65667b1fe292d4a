"""An automation's Executions tab (each run with its step-by-step log) and Versions tab (a new
version by editing the definition; Activate a draft, Restore an inactive one), through the
services of GET /automations/{id}/executions and /versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from kassa.automations import executions, overview, service
from kassa.automations.source_lines import LineError, SourceInvalid, dump
from kassa.domain.errors import KassaError
from kassa.store.queries import ListQuery
from kassa.web.auth import Acting, ActingForm, Viewing, Visitor
from kassa.automations.service import DEFINITION_FIELDS
from kassa.web.dashboard.automations import TABS, VIEW_HELPERS, saved_definition
from kassa.web.listing import PageNumber, page_count, page_query
from kassa.web.rendering import page, url

router = APIRouter(prefix="/automations/{automation_id}")

MAX_VERSIONS = 100


def _tab(request: Request, visitor: Visitor, automation_id: str, template: str, tab: str, *,
         status: int = 200, **context: Any) -> Response:
    automation = overview.automation_details(visitor.ctx, automation_id)
    return page(request, template, status=status, active="automations",
                title=f"{automation['name']}", automation=automation, tab=tab, tabs=TABS,
                here=url(request, tab, automation_id=automation_id),
                **VIEW_HELPERS, **({"notice": None, "problem": None} | context))


@router.get("/executions", name="automation_executions")
def execution_list(request: Request, visitor: Viewing, automation_id: str,
                   page_number: PageNumber = 1) -> Response:
    """Newest first: status, triggered by and at, completed, steps executed."""
    found = executions.list_executions(visitor.ctx, automation_id,
                                       page_query(page_number, sort=("created_at", "desc")))
    return _tab(request, visitor, automation_id, "automations/executions.html",
                "automation_executions", found=found, page_number=page_number,
                pages=page_count(found.total))


@router.get("/executions/{execution_id}", name="automation_execution")
def execution_page(request: Request, visitor: Viewing, automation_id: str,
                   execution_id: str) -> Response:
    """One run: what triggered it and its step-by-step log."""
    run = executions.get_execution(visitor.ctx, automation_id, execution_id)
    return _tab(request, visitor, automation_id, "automations/execution.html",
                "automation_executions", run=run)


def _versions_page(request: Request, visitor: Visitor, automation_id: str, *,
                   status: int = 200, **context: Any) -> Response:
    versions = service.list_versions(visitor.ctx, automation_id,
                                     ListQuery(limit=MAX_VERSIONS, sort=("number", "desc")))
    return _tab(request, visitor, automation_id, "automations/versions.html",
                "automation_versions", status=status, versions=versions, **context)


@router.get("/versions", name="automation_versions")
def version_list(request: Request, visitor: Viewing, automation_id: str) -> Response:
    return _versions_page(request, visitor, automation_id)


def _editor_page(request: Request, visitor: Visitor, automation_id: str, source: str, *,
                 status: int = 200, line_errors: list[LineError] | None = None) -> Response:
    return _tab(request, visitor, automation_id, "automations/new_version.html",
                "automation_versions", status=status, source=source,
                line_errors=line_errors or [])


@router.get("/versions/new", name="new_automation_version")
def new_version(request: Request, visitor: ActingForm, automation_id: str) -> Response:
    """Edit Definition: the latest version's definition in the editor."""
    latest = service.get_automation(visitor.ctx, automation_id)
    return _editor_page(request, visitor, automation_id,
                        dump({k: latest.get(k) for k in DEFINITION_FIELDS}))


@router.post("/versions", name="create_automation_version")
def create_version(request: Request, visitor: Acting, automation_id: str) -> Response:
    """Save as new version: POST /automations/{id}/versions (a draft)."""
    source = visitor.form.get("definition")
    try:
        version = saved_definition(
            source, lambda data: service.add_version(visitor.ctx, automation_id, data))
    except SourceInvalid as exc:
        return _editor_page(request, visitor, automation_id, source, status=422,
                            line_errors=exc.errors)
    return _versions_page(request, visitor, automation_id, notice=(
        f"Saved version {version['number']} as a draft: Activate it to run it."))


@router.post("/versions/{version_id}/activate", name="activate_automation_version")
def activate_version(request: Request, visitor: Acting, automation_id: str,
                     version_id: str) -> Response:
    """Activate a draft, or Restore an inactive version: the active one becomes inactive."""
    try:
        version = service.activate_version(visitor.ctx, automation_id, version_id)
    except KassaError as exc:
        return _versions_page(request, visitor, automation_id, status=422, problem=exc.detail)
    return _versions_page(request, visitor, automation_id,
                          notice=f"Version {version['number']} is active.")
