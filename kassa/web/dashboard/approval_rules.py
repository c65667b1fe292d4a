"""Settings -> Approval rules: the rules that hold a subscription for approval when it is
activated; list, create, edit and delete (admins), through the services of /approval-rules and
read by the API's request schema. A rule's approvers are users' emails."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from kassa.api.schemas.approvals import WHOLE, ConditionType, RuleCreate
from kassa.domain.approvals import describe
from kassa.api.errors import FieldErrors
from kassa.domain.errors import KassaError
from kassa.services.subscriptions import approvals
from kassa.store.queries import ListQuery
from kassa.web.auth import Managing, Viewing, Visitor
from kassa.web.forms import Form, messages_by_field, parsed
from kassa.web.rendering import page, url

router = APIRouter(prefix="/settings/approval-rules")

MAX_CONDITIONS = 20  # as RuleCreate allows
CONDITIONS = [
    ("discount_percentage_exceeds", "Discount above (%)"),
    ("tcv_exceeds", "Total contract value above"),
    ("acv_exceeds", "Annual contract value above"),
    ("mrr_exceeds", "Monthly recurring revenue above"),
    ("product_present", "Includes product (id)"),
    ("contract_months_exceed", "Contract longer than (months)"),
    ("payment_terms_days_exceed", "Payment terms longer than (days)"),
    ("customer_segment_equals", "Customer segment is"),
    ("customer_is_new", "Customer is new (true or false)"),
]
assert [c for c, _ in CONDITIONS] == list(ConditionType.__args__)
MATCHES = [("all", "All conditions hold"), ("any", "Any condition holds")]
STRATEGIES = [("any", "Any one approver"), ("all", "All approvers"),
              ("min_n", "At least N approvers")]


def _value(kind: str, text: str) -> Any:
    """A condition's value as JSON would carry it: whole numbers as numbers, true/false as
    booleans, the rest (decimals, ids, segments) as text; what does not read so is left as text
    for the schema to refuse with its message."""
    if kind in WHOLE and text.isdigit():
        return int(text)
    if kind == "customer_is_new":
        return {"true": True, "false": False, "": None}.get(text.lower(), text)
    return text or None


def rule_body(form: Form) -> tuple[dict[str, Any], list[int]]:
    """The POST /approval-rules body the form asks for, and the form row of each condition
    (blank rows are skipped, so the body's conditions[i] is the form's conditions[rows[i]])."""
    conditions, rows = [], []
    for row in range(MAX_CONDITIONS):
        kind = form.text(f"conditions[{row}].type")
        if kind:
            conditions.append({"type": kind,
                               "value": _value(kind, form.text(f"conditions[{row}].value"))})
            rows.append(row)
    minimum = form.text("approvers.min_approvals")
    approvers = {"strategy": form.text("approvers.strategy") or "any",
                 "names": [n for n in re.split(r"[\s,;]+", form.get("approvers.names")) if n],
                 "min_approvals": int(minimum) if minimum.isdigit() else minimum or None}
    priority = form.text("priority")
    return {
        "name": form.text("name"),
        "description": form.text("description") or None,
        "conditions": conditions,
        "match": form.text("match") or "all",
        "priority": int(priority) if priority.isdigit() else priority or 100,
        "approvers": approvers,
        "enabled": form.get("enabled") == "on",
    }, rows


def _read(form: Form) -> dict[str, Any]:
    """The form read by RuleCreate, errors named after the form's own fields."""
    body, rows = rule_body(form)
    try:
        return parsed(RuleCreate, body).model_dump(mode="json")
    except FieldErrors as exc:
        def named(field: str) -> str:
            found = re.match(r"conditions\[(\d+)\]", field)
            if found and int(found.group(1)) < len(rows):
                return f"conditions[{rows[int(found.group(1))]}]" + field[found.end():]
            return field
        raise FieldErrors(exc.detail, [{**e, "field": named(e["field"])}
                                       for e in exc.errors]) from None


def rule_values(rule: dict[str, Any]) -> dict[str, str]:
    """A stored rule as the form's fields."""
    values = {"name": rule["name"], "description": rule["description"] or "",
              "match": rule["match"], "priority": str(rule["priority"]),
              "enabled": "on" if rule["enabled"] else "",
              "approvers.strategy": rule["approvers"].get("strategy", "any"),
              "approvers.names": "\n".join(rule["approvers"].get("names") or []),
              "approvers.min_approvals": str(rule["approvers"].get("min_approvals") or "")}
    for row, condition in enumerate(rule["conditions"]):
        value = condition.get("value")
        values[f"conditions[{row}].type"] = condition["type"]
        values[f"conditions[{row}].value"] = (str(value).lower() if isinstance(value, bool)
                                              else "" if value is None else str(value))
    return values


@router.get("", name="approval_rules")
def rule_list(request: Request, visitor: Viewing) -> Response:
    return _list_page(request, visitor)


def _list_page(request: Request, visitor: Visitor, notice: str | None = None) -> Response:
    rules = approvals.list_rules(visitor.ctx, ListQuery(limit=100, sort=("priority", "asc")))
    return page(request, "approvals/rules.html", active="settings", title="Approval rules",
                here=url(request, "approval_rules"),
                rules=rules, describe=describe, notice=notice,
                strategies=dict(STRATEGIES), matches=dict(MATCHES))


def _form_page(request: Request, visitor: Visitor, rule: dict[str, Any] | None, *,
               status: int = 200, values: dict[str, str] | None = None,
               errors: dict[str, str] | None = None, problem: str | None = None) -> Response:
    values = values if values is not None else (
        rule_values(rule) if rule else {"enabled": "on", "priority": "100"})
    filled = max((int(m.group(1)) for k in values
                  if (m := re.match(r"conditions\[(\d+)\]\.type", k)) and values[k]), default=-1)
    return page(request, "approvals/rule_form.html", status=status, active="settings",
                title=f"Edit {rule['name']}" if rule else "New approval rule", rule=rule,
                here=url(request, "approval_rule", rule_id=rule["id"]) if rule
                else url(request, "new_approval_rule"),
                values=values, errors=errors or {}, problem=problem,
                rows=range(min(MAX_CONDITIONS, max(3, filled + 2))),
                conditions=[("", "—")] + CONDITIONS, matches=MATCHES, strategies=STRATEGIES)


@router.get("/new", name="new_approval_rule")
def new_rule(request: Request, visitor: Viewing) -> Response:
    return _form_page(request, visitor, None)


@router.post("", name="create_approval_rule")
def create_rule(request: Request, visitor: Managing) -> Response:
    try:
        rule = approvals.create_rule(visitor.ctx, _read(visitor.form))
    except KassaError as exc:
        return _refused(request, visitor, None, exc)
    return _list_page(request, visitor, notice=f"Created rule {rule['name']}.")


@router.get("/{rule_id}", name="approval_rule")
def edit_rule(request: Request, visitor: Viewing, rule_id: str) -> Response:
    return _form_page(request, visitor, approvals.get_rule(visitor.ctx, rule_id))


@router.post("/{rule_id}", name="update_approval_rule")
def update_rule(request: Request, visitor: Managing, rule_id: str) -> Response:
    rule = approvals.get_rule(visitor.ctx, rule_id)
    try:
        rule = approvals.update_rule(visitor.ctx, rule_id, _read(visitor.form))
    except KassaError as exc:
        return _refused(request, visitor, rule, exc)
    return _list_page(request, visitor, notice=f"Saved rule {rule['name']}.")


@router.post("/{rule_id}/delete", name="delete_approval_rule")
def delete_rule(request: Request, visitor: Managing, rule_id: str) -> Response:
    rule = approvals.delete_rule(visitor.ctx, rule_id)
    return _list_page(request, visitor, notice=f"Deleted rule {rule['name']}.")


def _refused(request: Request, visitor: Visitor, rule: dict[str, Any] | None,
             exc: KassaError) -> Response:
    values, errors = visitor.form.values(), messages_by_field(exc)
    if errors:
        return _form_page(request, visitor, rule, status=422, values=values, errors=errors)
    return _form_page(request, visitor, rule, status=422, values=values, problem=exc.detail)
