"""Create Automation → From Scratch, guided (automations.txt, "Creating Automations via
Dashboard" Steps 2-5): Configure the Trigger (Trigger Type, the event or schedule, Name), Add
Conditions (rows of Field, Operator, Value joined by AND / OR), Add Actions (Send Email, Send
SMS, Retry Payment, Update Record, Wait, or a condition whose then branch holds the actions
after it), then Next saves version 1 as a draft through ``service.create_automation`` and
the automation's page offers Test Automation and Activate.

Plain form posts: the definition built so far is the hidden ``draft`` field (``builder_forms``
reads each step's inputs into it, checked by the API's parser); each POST answers with the next
step's page, the last one redirects. Edit as YAML opens the editor on the draft."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from kassa.automations import service
from kassa.automations.source_lines import dump
from kassa.domain.errors import KassaError
from kassa.services import email_templates
from kassa.store.queries import ListQuery
from kassa.web.auth import Acting, ActingForm, Visitor
from kassa.web.dashboard import builder_forms as bf
from kassa.web.dashboard.automations import STARTER, _created, _new_page
from kassa.web.forms import FORM, field_errors
from kassa.web.rendering import page, url

router = APIRouter(prefix="/automations/builder")

STAGES = [("Create", None), ("Trigger", "trigger"), ("Conditions", "conditions"),
          ("Actions", "steps"), ("Test and Activate", None)]
MAX_ROWS = 20
MAX_TEMPLATES = 100
OPTIONS = {"events": bf.EVENTS, "trigger_types": bf.TRIGGER_TYPES, "schedules": bf.SCHEDULES,
           "calendars": bf.CALENDAR_OPTIONS, "operators": bf.OPERATOR_OPTIONS,
           "combine_options": bf.COMBINE, "field_suggestions": bf.FIELD_SUGGESTIONS,
           "kinds": bf.KINDS, "customer_fields": bf.CUSTOMER_FIELDS,
           "default_to": bf.DEFAULT_TO, "summary": bf.step_summary, "runs_on": bf.runs_on,
           "stages": STAGES}


def _page(request: Request, visitor: Visitor, stage: str, draft: dict[str, Any], *,
          status: int = 200, **context: Any) -> Response:
    context = {"errors": {}, "values": {}, "place": bf.TOP, "kind": None, "rows": [],
               "combine": "and", "notice": None} | context
    if stage == "steps":
        found = email_templates.list_templates(visitor.ctx, ListQuery(limit=MAX_TEMPLATES))
        context |= {"listed": bf.listed(draft), "places": bf.places(draft),
                    "template_options": [(t["key"], f"{t['name']} ({t['key']})")
                                         for t in found.rows]}
    return page(request, "automations/builder.html", status=status, active="automations",
                title=f"Create Automation: {dict((s, n) for n, s in STAGES if s)[stage]}",
                here=url(request, "automation_builder"), stage=stage, draft=draft,
                draft_json=bf.dump_draft(draft), kind_labels=bf.KIND_LABELS,
                stage_number=[key for _, key in STAGES].index(stage), **OPTIONS, **context)


def _yaml(request: Request, draft: dict[str, Any]) -> Response:
    """Edit as YAML: the editor of From Scratch, holding what was built so far."""
    return _new_page(request, dump(draft) if draft.get("trigger") else STARTER)


@router.get("", name="automation_builder")
def builder(request: Request, visitor: ActingForm) -> Response:
    """Step 2: Configure the Trigger."""
    return _page(request, visitor, "trigger", {"steps": []},
                 values=bf.trigger_values({}))


@router.post("/trigger", name="builder_trigger")
def trigger_step(request: Request, visitor: Acting) -> Response:
    """Step 2's Next: the trigger checked, then Step 3 (Add Conditions)."""
    form = visitor.form
    draft = bf.load_draft(form.get("draft"))
    try:
        draft = bf.read_trigger(form, draft)
    except bf.FormInvalid as exc:
        return _page(request, visitor, "trigger", draft, status=422, errors=exc.errors,
                     values=form.values())
    if form.get("do") == "yaml":
        return _yaml(request, draft)
    return _conditions_page(request, visitor, draft)


def _conditions_page(request: Request, visitor: Visitor, draft: dict[str, Any],
                     **context: Any) -> Response:
    rows, combine = bf.rows_of(draft.get("conditions"))
    return _page(request, visitor, "conditions", draft, **({"rows": rows, "combine": combine}
                                                          | context))


@router.post("/conditions", name="builder_conditions")
def conditions_step(request: Request, visitor: Acting) -> Response:
    """Step 3: Add Condition (another row), remove one, Back, or Next (checked, then Step 4)."""
    form = visitor.form
    draft = bf.load_draft(form.get("draft"))
    count = min(int(form.text("rows")) if form.text("rows").isdigit() else 0, MAX_ROWS)
    rows, combine, do = bf.condition_rows(form, count), form.text("combine"), form.get("do")
    if do == "back":
        return _page(request, visitor, "trigger", draft, values=bf.trigger_values(draft))
    if do == "add":
        blank = {"field": "", "operator": "equals", "value": ""}
        return _page(request, visitor, "conditions", draft, combine=combine,
                     rows=[*rows, blank][:MAX_ROWS])
    if do.startswith("remove-") and do[7:].isdigit():
        del rows[int(do[7:]):int(do[7:]) + 1]
        return _page(request, visitor, "conditions", draft, combine=combine, rows=rows)
    try:
        draft["conditions"] = bf.read_conditions(rows, combine)
    except bf.FormInvalid as exc:
        return _page(request, visitor, "conditions", draft, status=422, combine=combine,
                     rows=rows, errors=exc.errors)
    if do == "yaml":
        return _yaml(request, draft)
    return _page(request, visitor, "steps", draft)


@router.post("/steps", name="builder_steps")
def steps_step(request: Request, visitor: Acting) -> Response:
    """Step 4: Add Action (choose its type, then its settings), remove a step, Back, Edit as
    YAML, or Next: version 1 saved as a draft, to Test and Activate on its page."""
    form = visitor.form
    draft = bf.load_draft(form.get("draft"))
    do, place, kind = form.get("do"), form.text("place") or bf.TOP, form.text("kind")
    if do == "back":
        return _conditions_page(request, visitor, draft)
    if do == "yaml":
        return _yaml(request, draft)
    if do == "choose":
        if kind not in bf.KIND_LABELS:
            return _page(request, visitor, "steps", draft, status=422, place=place,
                         errors={"kind": "Choose an action type."})
        return _page(request, visitor, "steps", draft, place=place, kind=kind,
                     values={"to": bf.DEFAULT_TO if kind == "send_email" else ""})
    if do == "add":
        try:
            step = bf.read_step(kind, form)
        except bf.FormInvalid as exc:
            return _page(request, visitor, "steps", draft, status=422, place=place, kind=kind,
                         errors=exc.errors, values=form.values())
        place = bf.add_step(draft, place, step)
        return _page(request, visitor, "steps", draft, place=place,
                     notice=f"Added {bf.step_summary(step)}.")
    if do.startswith("remove:"):
        bf.remove_step(draft, do[7:])
        place = place if place in dict(bf.places(draft)) else bf.TOP
        return _page(request, visitor, "steps", draft, place=place, notice="Removed the step.")
    if do == "save":
        try:
            automation = service.create_automation(visitor.ctx, draft)
        except KassaError as exc:
            problem = field_errors(exc, {})[FORM]
            where = f"{exc.field}: " if getattr(exc, "field", None) else ""
            return _page(request, visitor, "steps", draft, status=422, place=place,
                         errors={FORM: where + problem})
        return _created(request, automation)
    return _page(request, visitor, "steps", draft, place=place)
