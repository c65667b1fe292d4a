"""Loops over a query through the API: the customer's subscriptions and its overdue invoices,
each bound as ``item`` (also after a delay inside the loop body)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.automations.helpers import CUSTOMER, advance, execution
from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import invoices
from tests.scenarios.seed_catalog import ok


def task(message: str) -> dict:
    return {"type": "action", "action": "create_task", "message": message}


LOOPS = {
    "name": "Collections review", "trigger": {"type": "manual"},
    "steps": [
        {"type": "loop", "over": "customer.subscriptions",
         "steps": [task("subscription {{item.id}} {{item.status}}")]},
        {"type": "loop", "over": "{{ customer.overdue_invoices }}", "steps": [
            {"type": "condition", "if": "{{item.total}} > 150",
             "then": [task("large {{item.id}} {{item.total}} {{item.currency}}")],
             "else": [task("small {{item.id}} {{item.total}}")]},
            {"type": "delay", "duration": "1d"},
            task("a day later {{item.id}} {{item.status}}"),
        ]},
    ],
}


def two_overdue(api: TestClient) -> tuple[list[str], list[dict]]:
    """Two active subscriptions (100.00 and 200.00 a month, net 30, no auto-pay) whose first
    invoices are overdue, their second ones only issued."""
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))
    subs = [ok(api.post("/subscriptions", json={
        "customer_id": CUSTOMER, "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-12-01"},
        "billing": {"payment_terms": "net_30"},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed(amount, "advance")}]}), 201)["id"]
        for amount in ("100.00", "200.00")]
    advance(api, "2027-01-05T00:00:00Z")
    overdue = sorted((i for i in invoices(api) if i["status"] == "overdue"),
                     key=lambda i: i["total"])
    assert len(overdue) == 2 and len(invoices(api)) == 4
    return subs, overdue


def test_loops_over_subscriptions_and_overdue_invoices(api) -> None:
    subs, (small, large) = two_overdue(api)
    automation = ok(api.post("/automations", json=LOOPS), 201)["id"]
    ok(api.post(f"/automations/{automation}/activate"))
    started = ok(api.post(f"/automations/{automation}/run",
                          json={"trigger": {"customer": {"id": CUSTOMER}}}), 202)
    run_id = started["execution_id"]
    assert execution(api, automation, run_id)["status"] == "waiting"  # the first invoice's delay
    advance(api, "2027-01-07T00:00:00Z")
    run = execution(api, automation, run_id)
    assert run["status"] == "completed"
    messages = [t["message"] for t in reversed(ok(api.get("/tasks"))["data"])]
    assert sorted(messages[:2]) == sorted(f"subscription {s} active" for s in subs)
    assert messages[2:] == [
        f"small {small['id']} 100.00", f"a day later {small['id']} unpaid",
        f"large {large['id']} 200.00 USD", f"a day later {large['id']} unpaid"]
    assert [s["path"] for s in run["steps"]] == [
        "steps[0]", "steps[0].steps[0]", "steps[0].steps[0]",
        "steps[1]", "steps[1].steps[0]", "steps[1].steps[0].else[0]", "steps[1].steps[1]",
        "steps[1].steps[2]",
        "steps[1].steps[0]", "steps[1].steps[0].then[0]", "steps[1].steps[1]",
        "steps[1].steps[2]"]
