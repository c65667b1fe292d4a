"""Money that moves is an amount its currency can hold."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok


@pytest.fixture
def customer(api: TestClient) -> TestClient:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T12:00:00Z"}))
    return api


def _invoice(api: TestClient, amount: str = "100.00") -> dict:
    return ok(api.post("/invoices", json={"customer_id": "wcqYrqfE",
                                          "lines": [{"description": "Setup", "amount": amount}]}), 201)


def _refused(r, message: str, field: str = "amount") -> None:
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": field, "message": message}]


def test_payments_and_credit_finer_than_a_cent_are_refused(customer: TestClient) -> None:
    """They were stored as is: an invoice owing 99.995 USD, a grant of 0.005 USD."""
    invoice = _invoice(customer)
    _refused(customer.post(f"/invoices/{invoice['id']}/payments", json={"amount": "0.005"}),
             "USD amounts have at most 2 decimal places; got 0.005.")
    ok(customer.post("/credit-grants", json={"customer_id": "wcqYrqfE", "amount": "1.00"}), 201)
    _refused(customer.post(f"/invoices/{invoice['id']}/apply-credits", json={"amount": "0.001"}),
             "USD amounts have at most 2 decimal places; got 0.001.")
    assert ok(customer.get(f"/invoices/{invoice['id']}"))["amount_due"] == "100.00"
    _refused(customer.post("/credit-grants", json={"customer_id": "wcqYrqfE", "amount": "0.005"}),
             "USD amounts have at most 2 decimal places; got 0.005.")
    _refused(customer.post("/credit-grants", json={"customer_id": "wcqYrqfE", "amount": "5.5",
                                                   "currency": "JPY"}),
             "JPY amounts have whole units; got 5.5.")
    # Unit credits count units, not money; trailing zeros are fine.
    ok(customer.post("/credit-grants", json={"customer_id": "wcqYrqfE", "type": "units",
                                             "amount": "0.005"}), 201)
    paid = ok(customer.post(f"/invoices/{invoice['id']}/payments", json={"amount": "40.000"}), 201)
    assert paid["invoice"]["amount_due"] == "60.00"

