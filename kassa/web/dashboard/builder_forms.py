"""The guided builder's forms as definition parts: what a step of Create Automation → From
Scratch posted, as the trigger, ``conditions`` and steps POST /automations takes, each checked
by the API's own parser (``service.canonical``) so a refusal is the API's message, shown beside
the input it names. The definition being built travels between the steps as a hidden JSON field
(``draft``); nothing is stored until the last step saves it as a draft through the service."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from kassa.automations import service
from kassa.domain.automations.conditions import OPERATORS
from kassa.domain.automations.schedule import CALENDARS
from kassa.domain.automations.triggers import EVENTS_WITH_DAYS, TRIGGER_EVENTS
from kassa.domain.errors import KassaError
from kassa.web.dashboard.automations import trigger_text
from kassa.web.forms import FORM, Form, field_errors


class FormInvalid(Exception):
    """A builder step refused: ``errors`` maps each of its inputs (or ``FORM``) to a message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


EVENTS = [(e, f"{e.replace('.', ' ').replace('_', ' ').title()} ({e})")
          for e in sorted(TRIGGER_EVENTS)]
TRIGGER_TYPES = [("event", "Event: runs when something happens (e.g. payment failed)"),
                 ("schedule", "Schedule: runs on a schedule (daily, weekly, ...)")]
SCHEDULES = [("interval", "Interval (every 24h...)"), ("cron", "Cron"),
             ("calendar", "Calendar")]
CALENDAR_OPTIONS = [(key, key.replace("_", " ").capitalize()) for key in CALENDARS]
OPERATOR_OPTIONS = [(name, name.replace("_", " ")) for name in OPERATORS]
COMBINE = [("and", "AND: all of them hold"), ("or", "OR: any of them holds")]
FIELD_SUGGESTIONS = ("invoice.amount", "invoice.total", "invoice.status", "invoice.currency",
                     "customer.segment", "customer.email", "customer.name",
                     "trigger.failureCount", "payment.amount", "payment.failureCount")
# Step 4's kinds: (value, label, what the step is in the definition).
KINDS = [("send_email", "Send Email"), ("send_sms", "Send SMS"),
         ("retry_payment", "Retry Payment"), ("update_customer", "Update Record"),
         ("delay", "Wait"), ("condition", "Add Condition")]
KIND_LABELS = dict(KINDS)
CUSTOMER_FIELDS = [("segment", "Segment"), ("name", "Name"), ("email", "Email"),
                   ("currency", "Currency")]
DEFAULT_TO = "{{trigger.customer.email}}"
TOP = "steps"
_PLACEHOLDER = [{"type": "stop"}]
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_ORDERING = ("greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal")


# ------------------------------------------------------------------------- the draft

def load_draft(text: str) -> dict[str, Any]:
    """The definition built so far (an empty one when the field is missing or mangled)."""
    try:
        data = orjson.loads(text or "{}")
    except orjson.JSONDecodeError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if not isinstance(data.get("steps"), list):
        data["steps"] = []
    return data


def dump_draft(draft: Mapping[str, Any]) -> str:
    return orjson.dumps(draft).decode()


def runs_on(draft: Mapping[str, Any]) -> str:
    """The draft's trigger as a sentence (``Event payment.failed``, ``Every 1d``)."""
    try:
        return trigger_text(draft["trigger"])
    except (KeyError, TypeError, AttributeError):
        return "its trigger"


def _checked(data: Mapping[str, Any], inputs: Mapping[str, str]) -> None:
    """``service.canonical`` of ``data``: FormInvalid with its messages by input if refused."""
    try:
        service.canonical(data)
    except KassaError as exc:
        raise FormInvalid(field_errors(exc, inputs)) from None


# ---------------------------------------------------------------------- Step 2: trigger

TRIGGER_INPUTS = {"name": "name", "description": "description", "trigger.type": "trigger_type",
                  "trigger.event": "event", "trigger.days": "days",
                  "trigger.interval": "interval", "trigger.cron": "cron",
                  "trigger.timezone": "timezone", "trigger.calendar": "calendar",
                  "trigger": "trigger_type"}


def trigger_values(draft: Mapping[str, Any]) -> dict[str, Any]:
    """Step 2's inputs for the draft's name, description and trigger (to go back and edit)."""
    trigger = draft.get("trigger") or {"type": "event", "event": "payment.failed"}
    schedule = next((k for k in ("interval", "cron", "calendar") if trigger.get(k)), "interval")
    return {"name": draft.get("name", ""), "description": draft.get("description") or "",
            "trigger_type": trigger.get("type", "event"),
            "event": trigger.get("event", "payment.failed"),
            "days": str(trigger.get("days") or ""), "schedule": schedule,
            "interval": trigger.get("interval", ""), "cron": trigger.get("cron", ""),
            "timezone": trigger.get("timezone", "UTC"),
            "calendar": trigger.get("calendar", "first_day_of_month")}


def read_trigger(form: Form, draft: dict[str, Any]) -> dict[str, Any]:
    """The draft with Step 2's name, description and trigger; FormInvalid beside the inputs."""
    kind = form.text("trigger_type")
    trigger: dict[str, Any] = {"type": kind}
    if kind == "event":
        trigger["event"] = form.text("event")
        days = form.text("days")
        if days and trigger["event"] in EVENTS_WITH_DAYS:
            trigger["days"] = int(days) if days.isdigit() else days
    elif kind == "schedule":
        chosen = form.text("schedule")
        trigger[chosen or "interval"] = form.text(chosen) if chosen in (
            "interval", "cron", "calendar") else ""
        trigger["timezone"] = form.text("timezone") or "UTC"
    built = {**draft, "name": form.text("name"), "description": form.text("description") or None,
             "trigger": trigger}
    _checked({**built, "conditions": None, "steps": _PLACEHOLDER}, TRIGGER_INPUTS)
    return built


# ------------------------------------------------------------------- Step 3: conditions

def condition_rows(form: Form, count: int) -> list[dict[str, str]]:
    """The rows posted (Field, Operator, Value), as typed."""
    return [{"field": form.text(f"field-{i}"), "operator": form.text(f"operator-{i}"),
             "value": form.get(f"value-{i}").strip()} for i in range(count)]


def rows_of(conditions: Any) -> tuple[list[dict[str, str]], str]:
    """The draft's rule conditions back as rows and their combination (to edit them again)."""
    if not isinstance(conditions, dict):
        return [], "and"
    key = "or" if "or" in conditions else "and"
    parts = conditions.get(key, [conditions])
    rows = [{"field": str(p["field"]), "operator": str(p["operator"]),
             "value": _value_text(p["value"])} for p in parts if isinstance(p, dict)
            and "field" in p]
    return rows, key


def _value_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_value_text(v) for v in value)
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def rule_value(text: str, operator: str) -> Any:
    """A Value as typed: a number, true/false/null, a comma-separated list for ``in``, or text
    (quotes keep a number as text: ``"1000"``)."""
    if operator == "in":
        return [rule_value(part.strip(), "equals") for part in text.split(",") if part.strip()]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    if _NUMBER.fullmatch(text):
        return orjson.loads(text)
    return {"true": True, "false": False, "null": None}.get(text, text)


def read_conditions(rows: list[dict[str, str]], combine: str) -> dict[str, Any] | None:
    """The top-level ``conditions`` of the rows (blank rows left out): one rule alone, or
    ``{"and": [...]}`` / ``{"or": [...]}``; FormInvalid beside the row's input."""
    kept = [(i, row) for i, row in enumerate(rows) if row["field"] or row["value"]]
    if not kept:
        return None
    key = "or" if combine == "or" else "and"
    errors: dict[str, str] = {}
    rules, inputs = [], {}
    for n, (i, row) in enumerate(kept):
        value = rule_value(row["value"], row["operator"])
        if row["operator"] in _ORDERING and not isinstance(value, (int, float)):
            errors[f"value-{i}"] = (f"{row['operator'].replace('_', ' ').capitalize()} "
                                    "compares with a number, such as 1000.")
        rules.append({"field": row["field"], "operator": row["operator"], "value": value})
        prefix = "conditions" if len(kept) == 1 else f"conditions.{key}[{n}]"
        inputs |= {f"{prefix}.{part}": f"{part}-{i}" for part in ("field", "operator", "value")}
    if errors:
        raise FormInvalid(errors)
    conditions = rules[0] if len(rules) == 1 else {key: rules}
    _checked({"name": "x", "trigger": {"type": "manual"}, "conditions": conditions,
              "steps": _PLACEHOLDER}, inputs)
    return conditions


# ------------------------------------------------------------------------ Step 4: steps

STEP_INPUTS = {"steps[0].template": "template", "steps[0].to": "to",
               "steps[0].message": "message", "steps[0].duration": "duration",
               "steps[0].if": "if", "steps[0].fields": "record_value", "steps[0]": FORM}


def read_step(kind: str, form: Form) -> dict[str, Any]:
    """The step Step 4's settings describe, checked as the API checks a step."""
    if kind == "send_email":
        step = {"type": "action", "action": "send_email", "template": form.text("template"),
                "to": form.text("to") or DEFAULT_TO}
    elif kind == "send_sms":
        step = {"type": "action", "action": "send_sms", "to": form.text("to"),
                "message": form.get("message").strip()}
    elif kind == "retry_payment":
        step = {"type": "action", "action": "retry_payment"}
    elif kind == "update_customer":
        step = {"type": "action", "action": "update_customer",
                "fields": {form.text("record_field") or "segment": form.text("record_value")}}
    elif kind == "delay":
        step = {"type": "delay", "duration": form.text("duration")}
    elif kind == "condition":
        step = {"type": "condition", "if": form.text("if")}
    else:
        raise FormInvalid({FORM: "Choose an action type."})
    if kind == "update_customer" and not form.text("record_value"):
        raise FormInvalid({"record_value": "A value to set is needed."})
    checking = {**step, "then": _PLACEHOLDER} if kind == "condition" else step
    _checked({"name": "x", "trigger": {"type": "manual"}, "steps": [checking]}, STEP_INPUTS)
    return step


def _walk(steps: list[Any], path: str, number: str, depth: int) -> Iterator[dict[str, Any]]:
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        here, shown = f"{path}[{i}]", f"{number}{i + 1}"
        yield {"path": here, "number": shown, "depth": depth, "step": step}
        if step.get("type") == "condition":
            yield from _walk(step.get("then") or [], f"{here}.then", f"{shown}.", depth + 1)


def listed(draft: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every step of the draft in order, numbered 1, 2, 3, 3.1... with its path."""
    return list(_walk(draft.get("steps") or [], TOP, "", 0))


def places(draft: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Where a new step may go: after the last step, or last in a condition's then branch."""
    found = [(TOP, "The workflow, after its last step")]
    for entry in listed(draft):
        if entry["step"].get("type") == "condition":
            found.append((f"{entry['path']}.then",
                          f"Inside step {entry['number']} (If {entry['step'].get('if')})"))
    return found


_PART = re.compile(r"\[(\d+)\]|\.(then)")


def _container(draft: dict[str, Any], place: str) -> list[Any]:
    """The list of steps at ``place`` (``steps``, ``steps[2].then``); the top level otherwise."""
    if place == TOP or not place.startswith(TOP):
        return draft["steps"]
    target: Any = draft["steps"]
    for index, then in _PART.findall(place[len(TOP):]):
        if index:
            if not isinstance(target, list) or int(index) >= len(target):
                return draft["steps"]
            target = target[int(index)]
        elif isinstance(target, dict) and target.get("type") == "condition":
            target = target.setdefault("then", [])
        else:
            return draft["steps"]
    return target if isinstance(target, list) else draft["steps"]


def add_step(draft: dict[str, Any], place: str, step: dict[str, Any]) -> str:
    """``step`` added last at ``place``; where the next step goes (a condition's then)."""
    container = _container(draft, place)
    container.append(step)
    where = place if container is not draft["steps"] else TOP
    if step["type"] == "condition":
        return f"{where}[{len(container) - 1}].then"
    return where


def remove_step(draft: dict[str, Any], path: str) -> None:
    """The step at ``path`` (and, for a condition, its branch) taken out."""
    match = re.fullmatch(r"(.*)\[(\d+)\]", path)
    if match is None:
        return
    container = _container(draft, match.group(1))
    index = int(match.group(2))
    if index < len(container):
        del container[index]


def step_summary(step: Mapping[str, Any]) -> str:
    """A step in a few words: ``Send Email payment_failed_gentle to {{trigger.customer.email}}``."""
    kind = step.get("type")
    if kind == "delay":
        return f"Wait {step.get('duration')}"
    if kind == "condition":
        return f"If {step.get('if')}"
    action = step.get("action", "")
    label = KIND_LABELS.get(action, action)
    if action == "send_email":
        return f"{label} {step.get('template')} to {step.get('to')}"
    if action == "send_sms":
        return f"{label} to {step.get('to')}: {step.get('message')}"
    if action == "update_customer":
        fields = step.get("fields") or {}
        return f"{label}: " + ", ".join(f"customer.{k} = {v}" for k, v in fields.items())
    return label
