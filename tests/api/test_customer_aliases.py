"""A customer is reachable by id or alias in every customer_id filter and customer path."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import card
from tests.scenarios.seed_catalog import ok

ALIAS = "acme-billing"
CUSTOMERS = ("wcqYrqfE", "AcBigCo12")


def objects_of(api: TestClient, customer: str) -> None:
    """One of each object listed by customer: subscription, invoice, payment, refund, credit
    note, credit grant, wallet and usage threshold."""
    ok(api.post("/subscriptions", json={
        "customer_id": customer, "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-12-01"},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("10.00")}]}), 201)
    invoice = ok(api.post("/invoices", json={
        "customer_id": customer, "lines": [{"description": "Setup", "amount": "100.00"}]}), 201)
    ok(api.post(f"/invoices/{invoice['id']}/payments", json={"amount": "100.00"}), 201)
    note = ok(api.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "10.00",
                                              "reason": "service_issue"}), 201)
    ok(api.post(f"/credit-notes/{note['id']}/apply", json={"resolution": "refund"}))
    ok(api.post("/credit-grants", json={"customer_id": customer, "amount": "5.00"}), 201)
    ok(api.post("/wallets", json={"customer_id": customer}), 201)
    ok(api.post("/usage-thresholds", json={"customer_id": customer, "metric_id": sc.METRIC,
                                           "value": "10"}), 201)


@pytest.fixture
def two_customers(api: TestClient) -> TestClient:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))
    ok(api.patch("/customers/wcqYrqfE", json={"aliases": [ALIAS]}))
    for customer in CUSTOMERS:
        objects_of(api, customer)
    return api


@pytest.mark.parametrize("path", [
    "/subscriptions", "/invoices", "/payments", "/refunds", "/credit-notes", "/credit-grants",
    "/wallets", "/usage-thresholds",
])
def test_every_customer_id_filter_takes_an_id_or_an_alias(two_customers: TestClient, path: str) -> None:
    def owners(customer_id: str) -> list[str]:
        rows = ok(two_customers.get(f"{path}?customer_id={customer_id}&limit=100"))["data"]
        return sorted({row["customer_id"] for row in rows})

    assert owners("wcqYrqfE") == ["wcqYrqfE"]
    assert owners(ALIAS) == ["wcqYrqfE"]
    assert owners(f"{ALIAS},AcBigCo12") == ["AcBigCo12", "wcqYrqfE"]
    assert owners("no-such-alias") == []
    assert owners(f"no-such-alias,{ALIAS}") == ["wcqYrqfE"]


def test_customer_paths_take_an_alias(api: TestClient) -> None:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))
    ok(api.patch("/customers/wcqYrqfE", json={"aliases": [ALIAS]}))
    method = card(api, ALIAS)
    assert [m["id"] for m in ok(api.get(f"/customers/{ALIAS}/payment-methods"))["data"]] == [method["id"]]
    ok(api.post("/credit-grants", json={"customer_id": ALIAS, "amount": "5.00"}), 201)
    balance = ok(api.get(f"/customers/{ALIAS}/credit-balance"))
    assert (balance["customer_id"], balance["monetary"]) == (
        "wcqYrqfE", [{"currency": "USD", "amount": "5.00"}])
    assert ok(api.get(f"/customers/{ALIAS}/usage"))["customer_id"] == "wcqYrqfE"
    assert ok(api.get(f"/customers/{ALIAS}"))["id"] == "wcqYrqfE"
    ok(api.post(f"/customers/{ALIAS}/payment-methods/{method['id']}/default"))
    ok(api.delete(f"/customers/{ALIAS}/payment-methods/{method['id']}"))
    assert ok(api.get(f"/customers/{ALIAS}/payment-methods"))["data"] == []
