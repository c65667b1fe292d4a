"""The document's "Example: Payment Dunning Workflow", step by step on the sandbox clock with
the mail received over SMTP, and an interval schedule. (The payment_dunning template alone,
retrying the payment or escalating, is in test_templates.py.)"""

from __future__ import annotations

from tests.automations.helpers import (
    EMAIL,
    activate,
    advance,
    execution,
    executions,
    failing_invoice,
    mail,
    text,
)
from tests.scenarios.seed_catalog import ok

DUNNING = {
    "name": "Payment Dunning",
    "trigger": {"type": "event", "event": "payment.failed"},  # 1. trigger: Payment Failed
    "conditions": {"if": "{{trigger.failureCount}} == 1"},
    "steps": [
        {"type": "action", "action": "send_email", "template": "payment_failed_gentle",
         "to": "{{trigger.customer.email}}"},  # 2. gentle reminder
        {"type": "delay", "duration": "3d"},  # 3. wait 3 days
        {"type": "condition", "if": "{{invoice.status}} == 'unpaid'", "then": [  # 4.
            {"type": "action", "action": "retry_payment"},  # 5.
            {"type": "action", "action": "send_email", "template": "payment_failed_urgent",
             "to": "{{trigger.customer.email}}"},  # 6. urgent
            {"type": "delay", "duration": "7d"},  # 7. wait 7 days
            {"type": "action", "action": "send_email", "template": "payment_failed_final",
             "to": "{{trigger.customer.email}}"},  # 8. final notice
        ]},
    ],
}


def test_dunning_workflow_step_by_step(api, smtp_server) -> None:
    automation = activate(api, ok(api.post("/automations", json=DUNNING), 201)["id"])  # 9.
    invoice = failing_invoice(api)
    advance(api, "2026-12-01T01:00:00Z")
    assert len(smtp_server.messages) == 1
    [run] = executions(api, automation["id"])
    assert run["status"] == "waiting"
    advance(api, "2026-12-03T23:00:00Z")
    assert len(smtp_server.messages) == 1
    advance(api, "2026-12-04T01:00:00Z")  # the retry declines again; the urgent email
    assert len(smtp_server.messages) == 2
    payments = ok(api.get("/payments", params={"invoice_id": invoice["id"]}))["data"]
    assert sorted(p["status"] for p in payments) == ["failed", "failed"]
    assert len(executions(api, automation["id"])) == 1  # the second failure starts nothing
    advance(api, "2026-12-11T01:00:00Z")
    number = invoice["number"]
    assert mail(smtp_server) == [
        (EMAIL, "2026-12-01T00:00:01Z", f"A quick note about invoice {number}"),
        (EMAIL, "2026-12-04T00:00:01Z", f"Urgent: payment needed for invoice {number}"),
        (EMAIL, "2026-12-11T00:00:01Z", f"Final notice: invoice {number} for 100.00 USD")]
    urgent = text(smtp_server.messages[1].message)
    assert f"We have tried to collect 100.00 USD for invoice {number} 2 times without" in urgent
    [run] = executions(api, automation["id"])
    assert (run["status"], run["completedAt"]) == ("completed", "2026-12-11T00:00:01Z")
    log = execution(api, automation["id"], run["id"])["steps"]
    assert [s["path"] for s in log] == [
        "steps[0]", "steps[1]", "steps[2]", "steps[2].then[0]", "steps[2].then[1]",
        "steps[2].then[2]", "steps[2].then[3]"]
    assert log[3]["output"]["paymentStatus"] == "failed"
    emails = ok(api.get("/emails"))["data"]
    assert {e["status"] for e in emails} == {"sent"}


def test_interval_schedules_run_every_occurrence_in_order(api) -> None:
    ok(api.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))
    automation = ok(api.post("/automations", json={
        "name": "Daily", "trigger": {"type": "schedule", "interval": "24h"},
        "steps": [{"type": "action", "action": "create_task",
                   "message": "check {{trigger.scheduledAt}}"}]}), 201)
    activate(api, automation["id"])
    advance(api, "2026-12-04T12:00:00Z")
    runs = executions(api, automation["id"])
    assert [r["triggeredAt"] for r in reversed(runs)] == [
        "2026-12-02T00:00:00Z", "2026-12-03T00:00:00Z", "2026-12-04T00:00:00Z"]
    messages = sorted(t["message"] for t in ok(api.get("/tasks"))["data"])
    assert messages[0] == "check 2026-12-02T00:00:00Z"
