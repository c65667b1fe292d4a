"""An archived customer takes nothing new (credit grants, one-time invoices, subscriptions,
wallets, payment methods): each is a 422 naming customer_id. What it has keeps running."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok

CUSTOMER = "wcqYrqfE"


def _refused(r, field: str = "customer_id") -> None:
    assert r.status_code == 422, r.text
    ((error),) = r.json()["errors"]
    assert error["field"] == field and "archived" in error["message"]


def test_an_archived_customer_takes_nothing_new(api: TestClient) -> None:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    subscription = {
        "customer_id": CUSTOMER, "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "fixed", "duration_months": 12, "start_date": "2026-07-01"},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("500.00")}],
    }
    running = ok(api.post("/subscriptions", json=subscription), 201)

    def invoiced() -> int:
        return len(ok(api.get(f"/invoices?subscription_id={running['id']}"))["data"])

    before = invoiced()
    ok(api.delete(f"/customers/{CUSTOMER}"))

    _refused(api.post("/credit-grants", json={"customer_id": CUSTOMER, "amount": "5.00"}))
    _refused(api.post("/invoices", json={"customer_id": CUSTOMER, "lines": [
        {"description": "Onboarding", "amount": "1500.00"}]}))
    _refused(api.post("/subscriptions", json=subscription))
    _refused(api.post("/wallets", json={"customer_id": CUSTOMER}))
    _refused(api.post(f"/customers/{CUSTOMER}/payment-methods", json={
        "type": "card", "details": {"brand": "visa", "last4": "4242"}}))

    # What it had keeps billing: the running subscription is invoiced at its next period.
    ok(api.post("/clock/advance", json={"to": "2026-09-02T00:00:00Z"}))
    assert invoiced() > before
