"""Automations: the list with a Pause / Resume toggle per row; Create Automation from a template
or from scratch (a YAML or JSON editor: a refused definition's errors are shown at their lines);
an automation's page with its definition, Activate, Pause / Resume and Test Automation with
sample data. Its Executions and Versions tabs are ``automation_history``'s. Every change is the
service the API route calls (``kassa.automations.service``, ``dryrun``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from kassa.api.errors import FieldErrors, field_messages
from kassa.api.schemas.automations import TriggerSample
from kassa.automations import dryrun, overview, service, templates
from kassa.automations.source_lines import LineError, SourceInvalid, dump, load, located
from kassa.domain.errors import InvalidRequest, KassaError
from kassa.web.auth import Acting, ActingForm, Viewing, Visitor
from kassa.web.forms import parsed
from kassa.web.listing import PageNumber, page_count, page_query
from kassa.web.rendering import page, url

router = APIRouter(prefix="/automations")

LABELS = {"draft": "Draft", "active": "Active", "paused": "Paused", "inactive": "Inactive",
          "running": "Running", "waiting": "Waiting", "completed": "Completed",
          "failed": "Failed", "canceled": "Canceled", "succeeded": "Succeeded",
          "skipped": "Skipped", "started": "Started"}
TABS = [("Definition", "automation"), ("Executions", "automation_executions"),
        ("Versions", "automation_versions")]
# What the editor of a new automation starts with: a trigger and one step to build on.
STARTER = """\
name: New automation
description: What it does, for the list.
trigger:
  type: event
  event: invoice.overdue
steps:
  - type: action
    action: create_task
    message: "Call {{customer.name}} about invoice {{invoice.number}}"
"""
STEP_KEYS = ("type", "action", "onError", "errorHandling")


def label(status: str | None) -> str:
    return LABELS.get(status or "", (status or "").replace("_", " ").capitalize())


def trigger_text(trigger: dict[str, Any]) -> str:
    """A trigger as a sentence: ``Event payment.failed``, ``Every 24h``, ``Cron 0 9 * * 1
    (Europe/Berlin)``, ``First day of month (UTC)``, ``Manual``."""
    kind = trigger.get("type")
    if kind == "event":
        days = trigger.get("days")
        return f"Event {trigger['event']}" + (f" ({days} days before)" if days is not None
                                              else "")
    if kind == "manual":
        return "Manual"
    zone = trigger.get("timezone") or "UTC"
    if trigger.get("interval"):
        return f"Every {trigger['interval']}"
    if trigger.get("cron"):
        return f"Cron {trigger['cron']} ({zone})"
    return f"{str(trigger.get('calendar', '')).replace('_', ' ').capitalize()} ({zone})"


def condition_text(condition: Any) -> str:
    """A condition as written: the expression, ``field operator value``, or its parts joined
    by AND / OR."""
    if not isinstance(condition, dict):
        return str(condition)
    if "if" in condition:
        return str(condition["if"])
    if "field" in condition:
        value = orjson.dumps(condition["value"]).decode()
        return f"{condition['field']} {condition['operator']} {value}"
    key = "and" if "and" in condition else "or"
    return f" {key.upper()} ".join(f"({condition_text(c)})" for c in condition.get(key, []))


def step_params(step: dict[str, Any]) -> list[tuple[str, str]]:
    """An action step's settings (template, to, message...) as text."""
    return [(k, v if isinstance(v, str) else orjson.dumps(v).decode())
            for k, v in step.items() if k not in STEP_KEYS]


def as_json(value: Any, indent: bool = False) -> str:
    """A step's output or a trigger as JSON text (money as its decimal string)."""
    return orjson.dumps(value, default=str,
                        option=orjson.OPT_INDENT_2 if indent else 0).decode()


def output_summary(value: Any, width: int = 70) -> str | None:
    """A step's output in one short line (None when it fits whole)."""
    text = as_json(value)
    return None if len(text) <= width else text[:width - 1] + "…"


VIEW_HELPERS = {"label": label, "as_json": as_json, "output_summary": output_summary,
                "trigger_text": trigger_text, "condition_text": condition_text,
                "step_params": step_params}


def saved_definition(source: str, save: Callable[[dict[str, Any]], Any]) -> Any:
    """``save`` of the definition ``source`` writes; ``SourceInvalid`` with the errors at their
    lines when it does not read or the service refuses it."""
    try:
        return save(load(source))
    except KassaError as exc:
        raise SourceInvalid(located(source, field_messages(exc))) from None


# ------------------------------------------------------------------------------ the list

@router.get("", name="automations")
def automation_list(request: Request, visitor: Viewing, page_number: PageNumber = 1) -> Response:
    return _list_page(request, visitor, page_number)


def _list_page(request: Request, visitor: Visitor, page_number: int = 1, *, status: int = 200,
               notice: str | None = None, problem: str | None = None) -> Response:
    found = overview.list_automations(visitor.ctx, page_query(page_number,
                                                              sort=("created_at", "desc")))
    return page(request, "automations/list.html", status=status, active="automations",
                title="Automations", here=url(request, "automations"), found=found,
                page_number=page_number, pages=page_count(found.total), notice=notice,
                problem=problem, **VIEW_HELPERS)


def _toggle(request: Request, visitor: Visitor, automation_id: str,
            change: Callable[[Any, str], dict[str, Any]], done: str) -> Response:
    """Pause or Resume, from the list (``from=list``) or the automation's page."""
    on_list = visitor.form.get("from") == "list"
    try:
        automation = change(visitor.ctx, automation_id)
    except KassaError as exc:
        if on_list:
            return _list_page(request, visitor, status=422, problem=exc.detail)
        return automation_page(request, visitor, automation_id, status=422, problem=exc.detail)
    notice = f"{done} {automation['name']}."
    if on_list:
        return _list_page(request, visitor, notice=notice)
    return automation_page(request, visitor, automation_id, notice=notice)


@router.post("/{automation_id}/pause", name="pause_automation")
def pause(request: Request, visitor: Acting, automation_id: str) -> Response:
    return _toggle(request, visitor, automation_id, service.pause,
                   "Paused (it does not trigger until resumed):")


@router.post("/{automation_id}/resume", name="resume_automation")
def resume(request: Request, visitor: Acting, automation_id: str) -> Response:
    return _toggle(request, visitor, automation_id, service.resume, "Resumed:")


# ---------------------------------------------------------------------- Create Automation

def _new_page(request: Request, source: str, *, status: int = 200,
              line_errors: list[LineError] | None = None, problem: str | None = None,
              template: str = "") -> Response:
    return page(request, "automations/new.html", status=status, active="automations",
                title="Create Automation", here=url(request, "new_automation"),
                templates=templates.list_templates(), source=source,
                line_errors=line_errors or [], problem=problem, chosen=template)


@router.get("/new", name="new_automation")
def new_automation(request: Request, visitor: ActingForm,
                   template: Annotated[str, Query(max_length=80)] = "") -> Response:
    """From a template (Use template, or Edit first: the editor holds its definition) or from
    scratch (the editor holds the Quick Start)."""
    if template:
        try:
            return _new_page(request, dump(templates.template_definition(template)),
                             template=template)
        except KassaError as exc:
            return _new_page(request, STARTER, status=422, problem=exc.detail)
    return _new_page(request, STARTER)


def _created(request: Request, automation: dict[str, Any]) -> Response:
    """To the new automation's page (a reload there creates nothing more)."""
    return RedirectResponse(url(request, "automation", automation_id=automation["id"])
                            + "?done=created", status_code=303)


@router.post("", name="create_automation")
def create_automation(request: Request, visitor: Acting) -> Response:
    """From scratch: the editor's YAML or JSON, as POST /automations takes it."""
    source = visitor.form.get("definition")
    try:
        automation = saved_definition(
            source, lambda data: service.create_automation(visitor.ctx, data))
    except SourceInvalid as exc:
        return _new_page(request, source, status=422, line_errors=exc.errors)
    return _created(request, automation)


@router.post("/from-template", name="create_automation_from_template")
def create_from_template(request: Request, visitor: Acting) -> Response:
    """Use template: POST /automations {"template": KEY}."""
    try:
        automation = service.create_automation(visitor.ctx,
                                                {"template": visitor.form.text("template")})
    except KassaError as exc:
        return _new_page(request, STARTER, status=422, problem=exc.detail)
    return _created(request, automation)


# ------------------------------------------------------------------- an automation's page

def automation_page(request: Request, visitor: Visitor, automation_id: str, *,
                    status: int = 200, **context: Any) -> Response:
    details = overview.automation_details(visitor.ctx, automation_id)
    context = {"notice": None, "problem": None, "test": None,
               "sample": as_json(details["sample"], indent=True),
               } | context
    return page(request, "automations/page.html", status=status, active="automations",
                title=details["name"], here=url(request, "automation",
                                                automation_id=automation_id),
                automation=details, tab="automation", tabs=TABS, **VIEW_HELPERS, **context)


@router.get("/{automation_id}", name="automation")
def show_automation(request: Request, visitor: Viewing, automation_id: str,
                    done: Annotated[str, Query(max_length=20)] = "") -> Response:
    """The definition, the actions, Test Automation; ``done=created`` after Create."""
    if done == "created":
        name = service.get_automation(visitor.ctx, automation_id)["name"]
        return automation_page(request, visitor, automation_id, notice=(
            f"Created {name}: version 1 is a draft. Test it, then Activate it."))
    return automation_page(request, visitor, automation_id)


@router.post("/{automation_id}/activate", name="activate_automation")
def activate(request: Request, visitor: Acting, automation_id: str) -> Response:
    """Activate: the latest version runs on its trigger from now on."""
    try:
        automation = service.activate(visitor.ctx, automation_id)
    except KassaError as exc:
        return automation_page(request, visitor, automation_id, status=422, problem=exc.detail)
    state = ("it stays paused until resumed" if automation["status"] == "paused"
             else "it runs on its trigger from now on")
    return automation_page(request, visitor, automation_id,
                           notice=f"Activated {automation['name']}: {state}.")


def sample_trigger(text: str) -> dict[str, Any]:
    """The Test Automation sample (a JSON object) as TriggerSample reads it; an InvalidRequest
    naming ``sample`` otherwise."""
    try:
        data = orjson.loads(text or "{}")
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"The sample is not valid JSON: {exc}.", field="sample") from None
    if not isinstance(data, dict):
        raise InvalidRequest('The sample is a JSON object, such as {"customer": {"id": "..."}}.',
                             field="sample")
    try:
        return parsed(TriggerSample, {"trigger": data}).trigger
    except FieldErrors as exc:
        raise InvalidRequest(exc.errors[0]["message"], field="sample") from None


@router.post("/{automation_id}/test", name="test_automation")
def test_automation(request: Request, visitor: Acting, automation_id: str) -> Response:
    """Test Automation: a dry run of the latest version on the sample (delays skipped, emails
    rendered not sent, nothing changed), its step log shown as an execution's."""
    text = visitor.form.get("sample")
    try:
        result = dryrun.test_automation(visitor.ctx, automation_id, sample_trigger(text))
    except KassaError as exc:
        return automation_page(request, visitor, automation_id, status=422, sample=text,
                               errors={"sample": exc.detail})
    return automation_page(request, visitor, automation_id, sample=text, test=result)
