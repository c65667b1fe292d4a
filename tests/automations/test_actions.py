"""The document's actions not run elsewhere (void_invoice, create_credit_note, apply_credits,
update_customer, add_tag, and the workflow actions branch, delay and stop), every template
variable it lists, its retry configuration on the automation and its fallback actions, all
through the API."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.automations.helpers import (
    CUSTOMER,
    EMAIL,
    OWNER,
    activate,
    advance,
    create_yaml,
    execution,
    failing_invoice,
    tasks,
)
from tests.documents import FALLBACK_ACTIONS, RETRY_CONFIGURATION
from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok


def task(message: str) -> dict:
    return {"type": "action", "action": "create_task", "message": message}


def run(api: TestClient, definition: dict, trigger: dict) -> tuple[str, str]:
    """``definition`` created, activated and run by hand: (automation, execution)."""
    automation = activate(api, ok(api.post("/automations", json=definition), 201)["id"])["id"]
    started = ok(api.post(f"/automations/{automation}/run", json={"trigger": trigger}), 202)
    return automation, started["execution_id"]


def test_billing_record_and_workflow_actions(api) -> None:
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    sc.build(api)
    invoice, other = (ok(api.post("/invoices", json={
        "customer_id": CUSTOMER, "payment_terms": "net_30",
        "lines": [{"description": "Services", "amount": amount}]}), 201)
        for amount in ("1500.00", "80.00"))
    ok(api.post("/credit-grants", json={"customer_id": CUSTOMER, "amount": "200.00"}), 201)
    automation, run_id = run(api, {"name": "Settle", "trigger": {"type": "manual"}, "steps": [
        {"type": "action", "action": "create_credit_note", "amount": "100.00",
         "reason": "service_issue"},
        {"type": "action", "action": "apply_credits"},
        {"type": "action", "action": "void_invoice", "invoice_id": "{{trigger.other}}"},
        {"type": "action", "action": "update_customer", "fields": {"segment": "enterprise"}},
        {"type": "action", "action": "add_tag", "tag": "collections"},
        {"type": "action", "action": "delay", "duration": "1d"},
        {"type": "action", "action": "branch", "if": "{{customer.segment}} == 'enterprise'",
         "then": [task("{{customer.segment}} {{customer.tags | join(',')}}: {{invoice.number}} "
                       "{{invoice.amountDue}} of {{invoice.total}} due")],
         "else": [task("not enterprise")]},
        {"type": "action", "action": "stop"},
        task("never"),
    ]}, {"customer": {"id": CUSTOMER}, "invoice": {"id": invoice["id"]}, "other": other["id"]})
    assert execution(api, automation, run_id)["status"] == "waiting"
    assert tasks(api) == []
    advance(api, "2026-07-02T00:00:00Z")

    settled = ok(api.get(f"/invoices/{invoice['id']}"))
    assert (settled["total"], settled["credits_applied"], settled["amount_due"]) == (
        "1500.00", "200.00", "1300.00")
    # A generated credit note is a draft, as POST /credit-notes makes it: applying is a review.
    [note] = ok(api.get("/credit-notes"))["data"]
    assert (note["invoice_id"], note["amount"], note["reason"], note["status"]) == (
        invoice["id"], "100.00", "service_issue", "draft")
    assert ok(api.get(f"/invoices/{other['id']}"))["status"] == "void"
    customer = ok(api.get(f"/customers/{CUSTOMER}"))
    assert (customer["segment"], customer["tags"]) == ("enterprise", ["collections"])
    assert [(m, c, i, at) for _, m, c, i, at in tasks(api)] == [
        (f"enterprise collections: {invoice['number']} 1300.00 of 1500.00 due", CUSTOMER,
         invoice["id"], "2026-07-02T00:00:00Z")]
    done = execution(api, automation, run_id)
    assert (done["status"], done["stepsExecuted"], done["completedAt"]) == (
        "completed", 9, "2026-07-02T00:00:00Z")
    assert [(s["path"], s["action"] or s["type"], s["status"]) for s in done["steps"]] == [
        ("steps[0]", "create_credit_note", "succeeded"), ("steps[1]", "apply_credits", "succeeded"),
        ("steps[2]", "void_invoice", "succeeded"), ("steps[3]", "update_customer", "succeeded"),
        ("steps[4]", "add_tag", "succeeded"), ("steps[5]", "delay", "succeeded"),
        ("steps[6]", "condition", "succeeded"), ("steps[6].then[0]", "create_task", "succeeded"),
        ("steps[7]", "stop", "succeeded")]
    assert done["steps"][2]["output"] == {"invoiceId": other["id"], "invoiceStatus": "void"}


VARIABLES = (
    "invoice {{invoice.id}} {{invoice.total}} {{invoice.currency}} {{invoice.status}} "
    "{{invoice.dueDate}} {{invoice.customer.name}} {{invoice.customer.email}} | "
    "payment {{payment.id}} {{payment.amount}} {{payment.status}} {{payment.failureReason}} "
    "{{payment.failureCount}} | customer {{customer.id}} {{customer.name}} {{customer.email}} "
    "{{customer.segment}} {{customer.createdAt}} | trigger {{trigger.customer.email}} "
    "{{trigger.failureCount}} {{trigger.accountOwner}} {{trigger.invoice.status}}")


def test_every_template_variable_of_the_document(api) -> None:
    """On payment.failed, and again a day later after the invoice was paid by wire: invoice.*,
    payment.* and customer.* are read fresh, trigger.* is the snapshot."""
    automation = activate(api, ok(api.post("/automations", json={
        "name": "Variables", "trigger": {"type": "event", "event": "payment.failed"},
        "steps": [task(VARIABLES), {"type": "delay", "duration": "1d"}, task(VARIABLES)]}),
        201)["id"])["id"]
    invoice = failing_invoice(api)
    ok(api.patch(f"/customers/{CUSTOMER}", json={"segment": "enterprise",
                                                 "metadata": {"account_owner": OWNER}}))
    advance(api, "2026-12-01T01:00:00Z")
    ok(api.post(f"/invoices/{invoice['id']}/payments", json={"amount": "100.00"}), 201)
    ok(api.patch(f"/customers/{CUSTOMER}", json={"segment": "smb"}))
    advance(api, "2026-12-02T01:00:00Z")

    [payment] = ok(api.get("/payments", params={"status": "failed"}))["data"]
    created_at = ok(api.get(f"/customers/{CUSTOMER}"))["created_at"]
    invoice_part = f"invoice {invoice['id']} 100.00 USD {{}} 2026-12-31 Acme Corp {EMAIL}"
    payment_part = (f"payment {payment['id']} 100.00 failed card_declined: the test card was "
                    "declined 1")
    customer_part = f"customer {CUSTOMER} Acme Corp {EMAIL} {{}} {created_at}"
    trigger_part = f"trigger {EMAIL} 1 {OWNER} unpaid"
    assert [m for _, m, *_ in tasks(api)] == [
        " | ".join((invoice_part.format(status), payment_part, customer_part.format(segment),
                    trigger_part)) for status, segment in (("unpaid", "enterprise"),
                                                           ("paid", "smb"))]
    assert execution(api, automation, ok(api.get(
        f"/automations/{automation}/executions"))["executions"][0]["id"])["status"] == "completed"


def test_the_documents_retry_configuration_on_the_automation(api) -> None:
    """retries 3, 5m apart, doubling: attempts at 0, 5, 15 and 35 minutes, then failed."""
    ok(api.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))
    sc.build(api)
    definition = {"name": "CRM", "trigger": {"type": "manual"},
                  "steps": [{"type": "action", "action": "sync_to_crm"}],
                  **json.loads(RETRY_CONFIGURATION)}
    automation, run_id = run(api, definition, {"customer": {"id": CUSTOMER}})
    for at, attempts, status in [
            ("2026-12-01T00:04:59Z", 1, "retrying"), ("2026-12-01T00:05:00Z", 2, "retrying"),
            ("2026-12-01T00:14:59Z", 2, "retrying"), ("2026-12-01T00:15:00Z", 3, "retrying"),
            ("2026-12-01T00:34:59Z", 3, "retrying"), ("2026-12-01T00:35:00Z", 4, "failed")]:
        advance(api, at)
        [step] = execution(api, automation, run_id)["steps"]
        assert (step["attempts"], step["status"]) == (attempts, status), at
    failed = execution(api, automation, run_id)
    assert (failed["status"], failed["completedAt"], failed["stepsExecuted"]) == (
        "failed", "2026-12-01T00:35:00Z", 1)
    assert failed["error"] == "No CRM connected: connect one before syncing."


@pytest.mark.parametrize(("template", "email", "error"), [
    (None, EMAIL, "send_email needs a template: name one of the email templates."),  # verbatim
    ("welcome", None, "to names no email address."),  # a customer without an email address
])
def test_the_documents_fallback_actions(api, smtp_server, template, email, error) -> None:
    ok(api.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))
    sc.build(api)
    ok(api.patch(f"/customers/{CUSTOMER}", json={"email": email,
                                                 "metadata": {"account_owner": OWNER}}))
    steps = FALLBACK_ACTIONS if template is None else FALLBACK_ACTIONS.replace(
        "action: send_email\n", f"action: send_email\n    template: {template}\n")
    created = create_yaml(api, "name: Email with a fallback\ntrigger:\n  type: manual\n" + steps)
    automation = activate(api, created["id"])["id"]
    started = ok(api.post(f"/automations/{automation}/run",
                          json={"trigger": {"customer": {"id": CUSTOMER}}}), 202)
    done = execution(api, automation, started["execution_id"])
    assert done["status"] == "completed"
    email_step, fallback = done["steps"]
    assert (email_step["action"], email_step["status"], email_step["attempts"]) == (
        "send_email", "failed", 1)
    assert email_step["error"] == error
    assert (fallback["path"], fallback["status"]) == ("steps[0].onError[0]", "succeeded")
    assert tasks(api) == [(OWNER, "Email failed to send", CUSTOMER, None,
                           "2026-12-01T00:00:00Z")]
    assert smtp_server.messages == []
