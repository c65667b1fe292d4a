"""The document's event triggers, each through the real state change that emits it, with the
Execution API's response as the document shows it; and its conditions: the text rules verbatim
as top-level conditions, and field/operator/value rules combined with AND/OR in a branch."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.automations.helpers import CUSTOMER, activate, advance, executions, tasks
from tests.documents import CONDITION_RULES, EXECUTIONS_RESPONSE
from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import card
from tests.scenarios.seed_catalog import ok

BIG_CO = "AcBigCo12"
# The document's event table, but for subscription.ending_soon and usage.threshold_exceeded
# (test_notices.py and the renewal_reminder and usage_alert templates in test_templates.py).
EVENTS = ("invoice.issued", "invoice.paid", "invoice.overdue", "payment.failed",
          "payment.succeeded", "subscription.activated", "subscription.canceled",
          "customer.created", "credits.depleted")
NOTE = ("{{trigger.event}} {{trigger.customer.name}} {{trigger.invoice.number}} "
        "{{trigger.invoice.total}} {{trigger.payment.amount}} {{trigger.data.id}}")


def task(message: str) -> dict:
    return {"type": "action", "action": "create_task", "message": message}


def on(api: TestClient, event: str, *steps: dict, **extra) -> str:
    """An active automation on ``event`` (by default one task noting what triggered it)."""
    created = ok(api.post("/automations", json={
        "name": f"On {event}", "trigger": {"type": "event", "event": event},
        "steps": list(steps) or [task(NOTE)], **extra}), 201)
    return activate(api, created["id"])["id"]


def one_time(api: TestClient, customer: str, amount: str, **extra) -> dict:
    return ok(api.post("/invoices", json={
        "customer_id": customer, "lines": [{"description": "Services", "amount": amount}],
        **extra}), 201)


def test_each_event_of_the_table_starts_its_automation_once(api) -> None:
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    # invoice.paid with three steps, 5 seconds apart: the execution the document shows.
    paid_steps = (task(NOTE), {"type": "action", "action": "delay", "duration": "5s"},
                  task("still paid: {{invoice.status}}"))
    automations = {event: on(api, event, *(paid_steps if event == "invoice.paid" else ()))
                   for event in EVENTS}
    advance(api, "2026-07-01T00:00:01Z")  # the automations consumer starts
    sc.build(api)  # customer.created twice
    ok(api.post("/credit-grants", json={"customer_id": CUSTOMER, "amount": "30.00"}), 201)
    card(api, CUSTOMER)
    card(api, BIG_CO, "decline")
    paid = one_time(api, CUSTOMER, "100.00", auto_pay=True)  # 30.00 of credit, 70.00 charged
    failed = one_time(api, BIG_CO, "250.00", auto_pay=True, payment_terms="net_7")
    sub = ok(api.post("/subscriptions", json={
        "customer_id": BIG_CO, "currency": "USD", "auto_activate": True,
        "billing": {"payment_terms": "net_30", "auto_issue_invoices": False},
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-07-01"},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("10.00", "advance")}]}),
        201)["id"]
    advance(api, "2026-07-05T00:00:00Z")
    ok(api.post(f"/subscriptions/{sub}/cancel", json={"timing": "immediate"}))
    advance(api, "2026-07-20T00:00:00Z")  # net 7: Big Co's invoice is overdue on 9 July
    advance(api, "2026-07-25T00:00:00Z")  # and again: nothing new

    number, failed_number = paid["number"], failed["number"]
    payments = {p["status"]: p["id"] for p in ok(api.get("/payments"))["data"]}
    expected = {
        "customer.created": [f"customer.created Acme Corp    {CUSTOMER}",
                             f"customer.created Big Co    {BIG_CO}"],
        "credits.depleted": [f"credits.depleted Acme Corp {number} 100.00  "],
        "invoice.issued": [f"invoice.issued Acme Corp {number} 100.00  {paid['id']}",
                           f"invoice.issued Big Co {failed_number} 250.00  {failed['id']}"],
        "payment.succeeded": [f"payment.succeeded Acme Corp {number} 100.00 70.00 "
                              f"{payments['succeeded']}"],
        "invoice.paid": [f"invoice.paid Acme Corp {number} 100.00  {paid['id']}",
                         "still paid: paid"],
        "payment.failed": [f"payment.failed Big Co {failed_number} 250.00 250.00 "
                           f"{payments['failed']}"],
        "subscription.activated": [f"subscription.activated Big Co    {sub}"],
        "subscription.canceled": [f"subscription.canceled Big Co    {sub}"],
        "invoice.overdue": [f"invoice.overdue Big Co {failed_number} 250.00  {failed['id']}"],
    }
    made = tasks(api)
    for event, automation in automations.items():
        runs = executions(api, automation)
        assert {(r["status"], r["triggeredBy"]) for r in runs} == {("completed", event)}, event
        assert sorted(m for _, m, *_ in made if m.startswith(event) or (
            event == "invoice.paid" and m.startswith("still"))) == sorted(expected[event])
    overdue = executions(api, automations["invoice.overdue"])
    assert [r["triggeredAt"] for r in overdue] == ["2026-07-09T00:00:00Z"]

    # The Execution API's answer, as the document shows it: three steps, 5 seconds.
    listed = ok(api.get(f"/automations/{automations['invoice.paid']}/executions"))
    [shown] = listed["executions"]
    [documented] = json.loads(EXECUTIONS_RESPONSE)["executions"]
    assert set(documented) <= set(shown) and shown["id"].startswith("exec_")
    same = ("status", "triggeredBy", "stepsExecuted")
    assert [shown[k] for k in same] == [documented[k] for k in same] == [
        "completed", "invoice.paid", 3]
    assert (shown["triggeredAt"], shown["completedAt"]) == ("2026-07-01T00:00:01Z",
                                                            "2026-07-01T00:00:06Z")
    assert listed["pagination"]["total"] == 1


def test_the_documents_condition_runs_only_for_large_enterprise_invoices(api) -> None:
    """``IF invoice.amount > 1000 AND customer.segment = "enterprise" THEN continue ELSE skip``,
    verbatim, as the automation's conditions."""
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    automation = on(api, "invoice.issued", task("large {{invoice.number}} {{invoice.amount}}"),
                    conditions=CONDITION_RULES)
    advance(api, "2026-07-01T00:00:01Z")
    sc.build(api)
    ok(api.patch(f"/customers/{CUSTOMER}", json={"segment": "enterprise"}))
    ok(api.patch(f"/customers/{BIG_CO}", json={"segment": "smb"}))
    large = one_time(api, CUSTOMER, "1500.00")
    one_time(api, CUSTOMER, "1000.00")  # not above 1000
    one_time(api, BIG_CO, "1500.00")  # not enterprise
    advance(api, "2026-07-01T01:00:00Z")
    [run] = executions(api, automation)
    assert run["status"] == "completed"
    assert [m for _, m, *_ in tasks(api)] == [f"large {large['number']} 1500.00"]


RULES = {
    "segment equals": {"field": "customer.segment", "operator": "equals", "value": "enterprise"},
    "not smb": {"field": "customer.segment", "operator": "not_equals", "value": "smb"},
    "over 1000": {"field": "invoice.total", "operator": "greater_than", "value": 1000},
    "at least 1500": {"field": "invoice.total", "operator": "greater_than_or_equal",
                      "value": "1500.00"},
    "under 100": {"field": "invoice.total", "operator": "less_than", "value": 100},
    "at most 1500": {"field": "invoice.total", "operator": "less_than_or_equal", "value": 1500},
    "tagged vip": {"field": "customer.tags", "operator": "contains", "value": "vip"},
    "name contains Corp": {"field": "customer.name", "operator": "contains", "value": "Corp"},
    "currency in": {"field": "invoice.currency", "operator": "in", "value": ["EUR", "USD"]},
    "AND": {"and": [{"field": "customer.segment", "operator": "equals", "value": "enterprise"},
                    {"field": "invoice.total", "operator": "less_than", "value": 100}]},
    "OR": {"or": [{"field": "customer.segment", "operator": "equals", "value": "smb"},
                  {"field": "customer.tags", "operator": "contains", "value": "vip"}]},
    "text AND/OR": 'invoice.total > 1000 AND customer.segment = "smb" OR customer.tags '
                   'contains "vip"',
}


def test_field_operator_value_rules_combine_with_and_or(api) -> None:
    """One branch per rule on Acme (enterprise, tagged vip) and its 1500.00 USD invoice."""
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    sc.build(api)
    ok(api.patch(f"/customers/{CUSTOMER}", json={"segment": "enterprise", "tags": ["vip"]}))
    invoice = one_time(api, CUSTOMER, "1500.00")
    automation = activate(api, ok(api.post("/automations", json={
        "name": "Rules", "trigger": {"type": "manual"},
        "steps": [{"type": "branch", "if": rule, "then": [task(f"{name}: yes")],
                   "else": [task(f"{name}: no")]} for name, rule in RULES.items()]}),
        201)["id"])["id"]
    ok(api.post(f"/automations/{automation}/run",
                json={"trigger": {"invoice": {"id": invoice["id"]}}}), 202)
    answers = dict(m.split(": ") for _, m, *_ in tasks(api))
    assert answers == {
        "segment equals": "yes", "not smb": "yes", "over 1000": "yes", "at least 1500": "yes",
        "under 100": "no", "at most 1500": "yes", "tagged vip": "yes",
        "name contains Corp": "yes", "currency in": "yes", "AND": "no", "OR": "yes",
        "text AND/OR": "yes"}
