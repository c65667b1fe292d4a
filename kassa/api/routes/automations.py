"""Automations: definitions (JSON or YAML), versions, activation, runs, tests, executions;
the automation templates and the tasks automations create."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import yaml
from fastapi import APIRouter, Request

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.errors import ApiError, FieldErrors, field_messages
from kassa.api.schemas.automations import (
    AUTOMATION_BODY,
    Automation,
    AutomationDeleted,
    AutomationTemplates,
    AutomationUpdate,
    AutomationVersion,
    ExecutionDetail,
    ExecutionList,
    ManualRun,
    Task,
    TaskUpdate,
    TestResult,
    TriggerSample,
)
from kassa.api.schemas.common import ListResponse
from kassa.automations import dryrun, executions, service, tasks, templates, triggers
from kassa.automations.source_lines import located
from kassa.domain.errors import InvalidRequest
from kassa.services.exact_json import TOO_DEEP

router = APIRouter(prefix="/automations", tags=["automations"])
templates_router = APIRouter(prefix="/automation-templates", tags=["automations"])
tasks_router = APIRouter(prefix="/tasks", tags=["automations"])

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


async def _definition_body(request: Request) -> tuple[dict[str, Any], str | None]:
    """The body as a mapping, and its text when it is YAML (``yaml.safe_load``, when the
    Content-Type says so; else JSON); a syntax error is a 400 naming the problem."""
    raw = await request.body()
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    source = None
    try:
        if media in YAML_TYPES:
            source = raw.decode("utf-8")
            data = yaml.safe_load(source)
        else:
            data = orjson.loads(raw)
    except yaml.YAMLError as exc:
        raise ApiError(400, f"Malformed YAML body: {' '.join(str(exc).split())}.",
                       field="body") from None
    except RecursionError:
        raise ApiError(400, f"Malformed {'YAML' if source is not None else 'JSON'} body: "
                       f"{TOO_DEEP}.", field="body") from None
    except (orjson.JSONDecodeError, UnicodeDecodeError) as exc:
        reason = TOO_DEEP if "depth limit" in str(exc) else str(exc)
        raise ApiError(400, f"Malformed JSON body: {reason}.", field="body") from None
    if not isinstance(data, dict):
        raise ApiError(422, "The body must be an object (a definition or {\"template\": KEY}).")
    return data, source


def _at_lines(source: str | None, save: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``save()``; a definition refused in a YAML body names each field's ``line`` too."""
    try:
        return save()
    except InvalidRequest as exc:
        if source is None or not exc.field:
            raise
        errors = [{"field": e.field, "message": e.message, "line": e.line}
                  for e in located(source, field_messages(exc)) if e.field]
        raise FieldErrors(exc.detail, errors) from None


@router.post("", status_code=201, response_model=Automation, openapi_extra={
    "requestBody": AUTOMATION_BODY})
async def create_automation(request: Request, ctx: EnvCtx) -> dict[str, Any]:
    """A new automation, its version 1 a draft (activate it to run)."""
    data, source = await _definition_body(request)
    return _at_lines(source, lambda: service.create_automation(ctx, data))


@router.get("", response_model=ListResponse[Automation])
def list_automations(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: id, status (draft, active, paused), trigger_event."""
    return page_body(service.list_automations(ctx, query))


@router.get("/{automation_id}", response_model=Automation)
def get_automation(automation_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return service.get_automation(ctx, automation_id)


@router.patch("/{automation_id}", response_model=Automation)
def update_automation(automation_id: str, body: AutomationUpdate, ctx: EnvCtx) -> dict[str, Any]:
    """Change the latest version's fields (a draft in place, else a new draft version)."""
    return service.update_automation(ctx, automation_id, body.model_dump(exclude_unset=True))


@router.delete("/{automation_id}", response_model=AutomationDeleted)
def delete_automation(automation_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return service.delete_automation(ctx, automation_id)


@router.post("/{automation_id}/activate", response_model=Automation)
def activate(automation_id: str, ctx: EnvCtx) -> dict[str, Any]:
    """Activate the latest version; the one active so far becomes inactive."""
    return service.activate(ctx, automation_id)


@router.post("/{automation_id}/pause", response_model=Automation)
def pause(automation_id: str, ctx: EnvCtx) -> dict[str, Any]:
    """Stop triggering; events meanwhile are not replayed on resume."""
    return service.pause(ctx, automation_id)


@router.post("/{automation_id}/resume", response_model=Automation)
def resume(automation_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return service.resume(ctx, automation_id)


@router.post("/{automation_id}/versions", status_code=201, response_model=AutomationVersion,
             openapi_extra={"requestBody": AUTOMATION_BODY})
async def add_version(automation_id: str, request: Request, ctx: EnvCtx) -> dict[str, Any]:
    """A full new definition, as a draft version."""
    data, source = await _definition_body(request)
    return _at_lines(source, lambda: service.add_version(ctx, automation_id, data))


@router.get("/{automation_id}/versions", response_model=ListResponse[AutomationVersion])
def list_versions(automation_id: str, ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Newest first. Filters: status (draft, active, inactive)."""
    return page_body(service.list_versions(ctx, automation_id, query))


@router.post("/{automation_id}/versions/{version_id}/activate", response_model=AutomationVersion)
def activate_version(automation_id: str, version_id: str, ctx: EnvCtx) -> dict[str, Any]:
    """Activate this version (restore an older one); the active one becomes inactive."""
    return service.activate_version(ctx, automation_id, version_id)


@router.post("/{automation_id}/run", status_code=202, response_model=ManualRun)
def run(automation_id: str, body: TriggerSample, ctx: EnvCtx) -> dict[str, Any]:
    """Start an execution now with this trigger context (records named by id)."""
    return triggers.run_manually(ctx, automation_id, body.trigger)


@router.post("/{automation_id}/test", response_model=TestResult)
def test(automation_id: str, body: TriggerSample, ctx: EnvCtx) -> dict[str, Any]:
    """Dry run of the latest version: delays skipped, emails rendered not sent, nothing
    changed; the step log as an execution's."""
    return dryrun.test_automation(ctx, automation_id, body.trigger)


@router.get("/{automation_id}/executions", response_model=ExecutionList)
def list_executions(automation_id: str, ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Newest first. Filters: status, triggered_by."""
    body = page_body(executions.list_executions(ctx, automation_id, query))
    return {"executions": body["data"], "pagination": body["pagination"]}


@router.get("/{automation_id}/executions/{execution_id}", response_model=ExecutionDetail)
def get_execution(automation_id: str, execution_id: str, ctx: EnvCtx) -> dict[str, Any]:
    """The execution with its step-by-step log."""
    return executions.get_execution(ctx, automation_id, execution_id)


@templates_router.get("", response_model=AutomationTemplates)
def list_templates(ctx: EnvCtx) -> dict[str, Any]:
    """Pre-built automations to start from (POST /automations {"template": KEY})."""
    del ctx  # authenticated like every resource
    return {"data": templates.list_templates()}


@tasks_router.get("", response_model=ListResponse[Task])
def list_tasks(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: status (open, completed), assignee, customer_id, invoice_id, execution_id."""
    return page_body(tasks.list_tasks(ctx, query))


@tasks_router.get("/{task_id}", response_model=Task)
def get_task(task_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return tasks.get_task(ctx, task_id)


@tasks_router.patch("/{task_id}", response_model=Task)
def update_task(task_id: str, body: TaskUpdate, ctx: EnvCtx) -> dict[str, Any]:
    """Complete a task (``status: completed``), reopen it, or change assignee or message."""
    return tasks.update_task(ctx, task_id, body.model_dump(exclude_unset=True))
