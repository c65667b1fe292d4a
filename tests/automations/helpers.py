"""Building blocks of the automation scenarios: a customer whose card declines, a failed
invoice, reading executions and mail."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import card, invoices
from tests.scenarios.seed_catalog import ok

CUSTOMER = "wcqYrqfE"
EMAIL = "billing@acme.test"



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


def subjects(smtp_server) -> list[str]:
    return [m.message["Subject"] for m in smtp_server.messages]
