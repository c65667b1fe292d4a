"""The document's Quick Start YAML, verbatim, on a declined payment in the sandbox: the email
arrives over SMTP at once, and three days later (a clock advance) the payment is retried."""

from __future__ import annotations

from tests.automations.helpers import (
    CUSTOMER,
    EMAIL,
    activate,
    advance,
    create_yaml,
    execution,
    executions,
    failing_invoice,
)
from tests.documents import QUICK_START
from tests.scenarios.seed_catalog import ok


def test_quick_start_yaml_is_accepted_verbatim(api) -> None:
    created = create_yaml(api, QUICK_START)
    assert created["id"].startswith("auto_")
    assert (created["name"], created["status"], created["current_version_id"]) == (
        "Payment Failed - Dunning Email", "draft", None)
    assert created["trigger"] == {"type": "event", "event": "payment.failed"}
    assert [s["type"] for s in created["steps"]] == ["condition", "delay", "condition"]
    active = activate(api, created["id"])
    assert active["status"] == "active"
    assert active["current_version_id"] == created["latest_version_id"]


def test_quick_start_emails_then_retries_after_three_days(api, smtp_server) -> None:
    automation = activate(api, create_yaml(api, QUICK_START)["id"])
    invoice = failing_invoice(api)
    advance(api, "2026-12-01T01:00:00Z")  # the outbox and the step job run
    [message] = smtp_server.messages
    assert message.message["To"] == EMAIL
    assert "Acme Corp" in message.message.get_body(("plain",)).get_content()
    [run] = executions(api, automation["id"])
    assert (run["status"], run["triggeredBy"], run["stepsExecuted"]) == (
        "waiting", "payment.failed", 3)
    # The card is fixed meanwhile: the retry on day 3 succeeds.
    ok(api.post(f"/customers/{CUSTOMER}/payment-methods", json={
        "type": "card", "details": {"brand": "visa", "last4": "1111"},
        "test_behavior": "succeed", "default": True}), 201)
    advance(api, "2026-12-03T23:00:00Z")
    assert ok(api.get(f"/invoices/{invoice['id']}"))["status"] == "payment_failed"
    advance(api, "2026-12-04T02:00:00Z")
    assert ok(api.get(f"/invoices/{invoice['id']}"))["status"] == "paid"
    [run] = executions(api, automation["id"])
    assert run["status"] == "completed"
    assert run["completedAt"] == "2026-12-04T00:00:01Z"
    steps = execution(api, automation["id"], run["id"])["steps"]
    assert [(s["path"], s["type"], s["action"], s["status"]) for s in steps] == [
        ("steps[0]", "condition", None, "succeeded"),
        ("steps[0].then[0]", "action", "send_email", "succeeded"),
        ("steps[1]", "delay", None, "succeeded"),
        ("steps[2]", "condition", None, "succeeded"),
        ("steps[2].then[0]", "action", "retry_payment", "succeeded"),
    ]
    assert steps[4]["output"]["paymentStatus"] == "succeeded"
    assert len(smtp_server.messages) == 1  # the retry's own payment.failed never happened


def test_a_failed_retry_starts_no_second_email(api, smtp_server) -> None:
    """The retry declines again: a second payment.failed (failureCount 2) runs the automation
    again, but its condition sends nothing."""
    automation = activate(api, create_yaml(api, QUICK_START)["id"])
    failing_invoice(api)
    advance(api, "2026-12-05T00:00:00Z")
    runs = executions(api, automation["id"])
    assert len(runs) == 2
    assert len(smtp_server.messages) == 1
