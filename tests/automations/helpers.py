"""Building blocks of the automation scenarios: a customer whose card declines, a failed
invoice, an automation from a template, moving the clock along a timeline, reading executions,
tasks and mail."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import parsedate_to_datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from kassa.clock import rfc3339
from kassa.store.tables import outbox_events

from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import card, invoices
from tests.scenarios.seed_catalog import ok

CUSTOMER = "wcqYrqfE"
EMAIL = "billing@acme.test"
OWNER = "ana@kassa.test"  # Acme's account owner (metadata.account_owner), where a test sets it


def create_yaml(api: TestClient, text: str) -> dict:
    return ok(api.post("/automations", content=text.encode(),
                       headers={"Content-Type": "application/yaml"}), 201)


def activate(api: TestClient, automation_id: str) -> dict:
    return ok(api.post(f"/automations/{automation_id}/activate"))


def failing_invoice(api: TestClient, start: str = "2026-12-01") -> dict:
    """The seed catalog, a declining card, and an auto-pay 100.00 invoice declined at
    ``start`` (its payment.failed is in the outbox, not dispatched yet)."""
    sc.build(api)
    ok(api.patch(f"/customers/{CUSTOMER}", json={"email": EMAIL}))
    card(api, CUSTOMER, "decline")
    ok(api.post("/clock/freeze", json={"at": f"{start}T00:00:00Z"}))
    # The automations consumer starts "now": on the outbox's first run, before the failure.
    advance(api, f"{start}T00:00:01Z")
    ok(api.post("/subscriptions", json={
        "customer_id": CUSTOMER, "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": start},
        "billing": {"payment_terms": "net_30", "auto_pay_invoices": True},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}]}), 201)
    [invoice] = invoices(api)
    assert invoice["status"] == "payment_failed"
    return invoice


def advance(api: TestClient, to: str) -> None:
    ok(api.post("/clock/advance", json={"to": to}))


def executions(api: TestClient, automation_id: str) -> list[dict]:
    return ok(api.get(f"/automations/{automation_id}/executions"))["executions"]


def execution(api: TestClient, automation_id: str, execution_id: str) -> dict:
    return ok(api.get(f"/automations/{automation_id}/executions/{execution_id}"))


def from_template(api: TestClient, key: str) -> str:
    """``POST /automations {"template": key}``, activated: the automation's id."""
    template = next(t for t in ok(api.get("/automation-templates"))["data"] if t["key"] == key)
    created = ok(api.post("/automations", json={"template": key}), 201)
    assert (created["name"], created["trigger"]) == (template["definition"]["name"],
                                                     template["definition"]["trigger"])
    return activate(api, created["id"])["id"]


def follow(api: TestClient, smtp_server, timeline: list[tuple[str, int]]) -> None:
    """Advance the clock to each instant in turn: by then exactly ``count`` emails arrived (one
    second before a delay ends nothing new, at its end the next one)."""
    for at, count in timeline:
        advance(api, at)
        assert len(smtp_server.messages) == count, (at, mail(smtp_server))


def mail(smtp_server) -> list[tuple[str, str, str]]:
    """(recipient, Date as RFC 3339, subject) of each message received, in order."""
    return [(", ".join(m.rcpt_tos), rfc3339(parsedate_to_datetime(m.message["Date"])),
             str(m.message["Subject"]).strip())  # a long subject is folded onto its own line
            for m in smtp_server.messages]


def text(message: EmailMessage) -> str:
    """The plain-text part of a received message."""
    return message.get_body(("plain",)).get_content()


def runs(api: TestClient, automation_id: str) -> list[tuple]:
    """(status, triggered by, triggered at, completed at, steps executed) of each execution,
    oldest first."""
    return [(r["status"], r["triggeredBy"], r["triggeredAt"], r["completedAt"],
             r["stepsExecuted"]) for r in reversed(executions(api, automation_id))]


def step_log(api: TestClient, automation_id: str, execution_id: str) -> list[tuple]:
    """(path, action or type, status, started at) of each step an execution ran."""
    return [(s["path"], s["action"] or s["type"], s["status"], s["startedAt"])
            for s in execution(api, automation_id, execution_id)["steps"]]


def tasks(api: TestClient) -> list[tuple]:
    """(assignee, message, customer, invoice, created at) of every task, oldest first."""
    found = ok(api.get("/tasks", params={"limit": 100}))["data"]
    return sorted(((t["assignee"], t["message"], t["customer_id"], t["invoice_id"],
                    t["created_at"]) for t in found), key=lambda t: (t[4], t[1]))


def emitted(kassa, event_type: str) -> list[dict]:
    """The data of every ``event_type`` event in the outbox, oldest first."""
    with kassa.engine.connect() as conn:
        return [row.data for row in conn.execute(select(outbox_events.c.data).where(
            outbox_events.c.type == event_type).order_by(outbox_events.c.seq))]
