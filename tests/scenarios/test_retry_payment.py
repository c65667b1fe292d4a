"""Retrying a failed payment spends credit and wallet balance received since, then charges the rest."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import card, invoices, summary
from tests.scenarios.helpers import events
from tests.scenarios.seed_catalog import ok

CUSTOMER = "wcqYrqfE"


@pytest.fixture
def failed(api: TestClient) -> dict:
    """A 100.00 advance invoice whose auto-pay was declined on 2026-12-01."""
    sc.build(api)
    card(api, CUSTOMER, "decline")
    ok(api.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))
    ok(api.post("/subscriptions", json={
        "customer_id": CUSTOMER, "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-12-01"},
        "billing": {"payment_terms": "net_30", "auto_pay_invoices": True},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}]}), 201)
    [invoice] = invoices(api)
    assert summary(invoice) == ("2026-12-01", "payment_failed", "100.00", "100.00")
    ok(api.post("/clock/advance", json={"to": "2026-12-03T00:00:00Z"}))
    return invoice


def after(kassa, seen: int) -> list[str]:
    return [t for t, _ in events(kassa)[seen:]
            if t.startswith(("invoice.", "payment.", "account.", "wallet."))]


def test_retry_spends_new_credit_then_wallet_then_charges_the_rest(kassa, api, failed) -> None:
    ok(api.post("/credit-grants", json={"customer_id": CUSTOMER, "amount": "30.00"}), 201)
    wallet = ok(api.post("/wallets", json={"customer_id": CUSTOMER}), 201)
    ok(api.post(f"/wallets/{wallet['id']}/grants", json={"amount": "20.00"}), 201)
    good = ok(api.post(f"/customers/{CUSTOMER}/payment-methods", json={
        "type": "card", "details": {"brand": "visa", "last4": "1111"}, "test_behavior": "succeed",
        "default": True}), 201)
    seen = len(events(kassa))
    retried = ok(api.post(f"/invoices/{failed['id']}/retry-payment"))
    invoice = retried["invoice"]
    assert (invoice["status"], invoice["credits_applied"], invoice["wallet_applied"],
            invoice["amount_paid"], invoice["amount_due"]) == ("paid", "30.00", "20.00", "50.00", "0.00")
    payment = retried["payment"]
    assert (payment["amount"], payment["status"], payment["payment_method_id"]) == (
        "50.00", "succeeded", good["id"])
    assert ok(api.get(f"/wallets/{wallet['id']}"))["current_balance"] == "0.00"
    assert ok(api.get(f"/customers/{CUSTOMER}/credit-balance"))["monetary"] == []
    assert after(kassa, seen) == [
        "account.credits.balance_depleted", "wallet.transaction.created",
        "payment.created", "payment.updated", "payment.succeeded", "invoice.paid",
    ]


def test_retry_fully_covered_by_credit_charges_nothing(kassa, api, failed) -> None:
    grant = ok(api.post("/credit-grants", json={"customer_id": CUSTOMER, "amount": "120.00"}), 201)
    seen = len(events(kassa))
    retried = ok(api.post(f"/invoices/{failed['id']}/retry-payment"))
    assert retried["payment"] is None
    invoice = retried["invoice"]
    assert (invoice["status"], invoice["credits_applied"], invoice["amount_paid"],
            invoice["amount_due"], invoice["paid_at"]) == (
        "paid", "100.00", "0.00", "0.00", "2026-12-03T00:00:00Z")
    assert [p["status"] for p in ok(api.get("/payments"))["data"]] == ["failed"]
    assert ok(api.get(f"/credit-grants/{grant['id']}"))["remaining"] == "20.00"
    assert after(kassa, seen) == ["invoice.paid"]
    again = api.post(f"/invoices/{failed['id']}/retry-payment")
    assert again.status_code == 422
