"""Money that moves is an amount its currency can hold, and a credit note cannot outlive its
invoice."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import card
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


def test_wallet_amounts_that_round_to_nothing_are_refused(customer: TestClient) -> None:
    """0.004 USD rounded to 0.00 and was recorded as a 0.00 'debit' named a grant."""
    wallet = ok(customer.post("/wallets", json={"customer_id": "wcqYrqfE"}), 201)
    for action in ("grants", "debit", "top-up"):
        r = customer.post(f"/wallets/{wallet['id']}/{action}", json={"amount": "0.004"})
        _refused(r, "The amount must be at least 0.01 USD.")
    assert ok(customer.get(f"/wallets/{wallet['id']}/transactions"))["data"] == []
    assert ok(customer.get("/invoices"))["data"] == []
    granted = ok(customer.post(f"/wallets/{wallet['id']}/grants", json={"amount": "0.005"}), 201)
    assert (granted["direction"], granted["amount"]) == ("credit", "0.01")


def test_wallet_top_ups_and_debits_finer_than_the_minor_unit_are_refused(
    customer: TestClient,
) -> None:
    """A top-up of 10.005 USD invoiced 10.01 and a debit of 0.015 took 0.02: rounded, where a
    payment or a credit grant of such an amount is refused."""
    card(customer, "wcqYrqfE")
    wallet = ok(customer.post("/wallets", json={"customer_id": "wcqYrqfE"}), 201)
    ok(customer.post(f"/wallets/{wallet['id']}/grants", json={"amount": "20.00"}), 201)
    for action, amount in (("top-up", "10.005"), ("debit", "0.015")):
        r = customer.post(f"/wallets/{wallet['id']}/{action}", json={"amount": amount})
        _refused(r, f"USD amounts have at most 2 decimal places; got {amount}.")
    yen = ok(customer.post("/wallets", json={"customer_id": "wcqYrqfE", "currency": "JPY"}), 201)
    ok(customer.post(f"/wallets/{yen['id']}/grants", json={"amount": "100"}), 201)
    for action in ("top-up", "debit"):
        r = customer.post(f"/wallets/{yen['id']}/{action}", json={"amount": "5.5"})
        _refused(r, "JPY amounts have whole units; got 5.5.")
    assert ok(customer.get("/invoices"))["data"] == []
    assert ok(customer.get(f"/wallets/{wallet['id']}"))["current_balance"] == "20.00"
    assert ok(customer.get(f"/wallets/{yen['id']}"))["current_balance"] == "100"
    debited = ok(customer.post(f"/wallets/{wallet['id']}/debit", json={"amount": "0.010"}), 201)
    assert (debited["amount"], debited["balance_after"]) == ("0.01", "19.99")
    topped = ok(customer.post(f"/wallets/{wallet['id']}/top-up", json={"amount": "10.000"}), 201)
    assert (topped["invoice"]["total"], topped["wallet"]["current_balance"]) == ("10.00", "29.99")


def test_a_credit_note_cannot_be_applied_once_its_invoice_is_void(customer: TestClient) -> None:
    """Drafted on an unpaid invoice that was then voided, the note turned all of its amount into
    credit: 100.00 of credit for an invoice nobody paid."""
    invoice = _invoice(customer)
    note = ok(customer.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "100.00"}),
              201)
    ok(customer.post(f"/invoices/{invoice['id']}/void"))
    for resolution in ("credit", "refund"):
        r = customer.post(f"/credit-notes/{note['id']}/apply", json={"resolution": resolution})
        assert r.status_code == 422, r.text
        assert r.json()["detail"] == (f"Invoice {invoice['id']} is void; credit note {note['id']} "
                                      "can no longer be applied (void the note).")
    assert ok(customer.get("/customers/wcqYrqfE/credit-balance"))["monetary"] == []
    assert ok(customer.post(f"/credit-notes/{note['id']}/void"))["status"] == "void"


def test_large_amounts_add_up_exactly(customer: TestClient) -> None:
    """Python's default 28 significant digits rounded the sums: a line of
    123456789012345678901234567.89 made an invoice total of ...567.9, and a wallet granted 38
    nines held 1 followed by 38 zeros."""
    line = "123456789012345678901234567.89"
    invoice = ok(customer.post("/invoices", json={
        "customer_id": "wcqYrqfE", "lines": [{"description": "Big", "amount": line},
                                             {"description": "Small", "amount": "0.01"}]}), 201)
    total = "123456789012345678901234567.90"
    assert (invoice["subtotal"], invoice["total"], invoice["amount_due"]) == (total, total, total)
    paid = ok(customer.post(f"/invoices/{invoice['id']}/payments", json={"amount": line}), 201)
    assert paid["invoice"]["amount_due"] == "0.01"
    wallet = ok(customer.post("/wallets", json={"customer_id": "wcqYrqfE"}), 201)
    nines = "9" * 38
    granted = ok(customer.post(f"/wallets/{wallet['id']}/grants", json={"amount": nines}), 201)
    assert (granted["amount"], granted["balance_after"]) == (nines + ".00", nines + ".00")
    debited = ok(customer.post(f"/wallets/{wallet['id']}/debit", json={"amount": "0.01"}), 201)
    assert debited["balance_after"] == "9" * 37 + "8.99"


def test_decimals_take_only_the_documented_form(customer: TestClient) -> None:
    """Python's Decimal read "5_000" as 5000 and "١٢" as 12; JSON numbers written with an
    exponent (0.00001 is 1e-05 in Python) were refused as "not plain"; a JSON integer had no
    digit limit."""
    wallet = ok(customer.post("/wallets", json={"customer_id": "wcqYrqfE"}), 201)
    plain = 'Money must be a plain decimal such as "500.00"'
    for text in ("5_000", "\u0661\u0662", "+5", "1.", ".5", "1e5", "Infinity"):
        r = customer.post(f"/wallets/{wallet['id']}/grants", json={"amount": text})
        _refused(r, plain)
    assert ok(customer.get(f"/wallets/{wallet['id']}"))["current_balance"] == "0.00"
    line = {"description": "Calls", "unit_amount": "100000.00"}
    invoice = ok(customer.post("/invoices", json={"customer_id": "wcqYrqfE",
                                                  "lines": [{**line, "quantity": 0.00001}]}), 201)
    assert (invoice["line_items"][0]["quantity"], invoice["total"]) == ("0.00001", "1.00")
    r = customer.post("/invoices", json={"customer_id": "wcqYrqfE",
                                         "lines": [{**line, "quantity": 10**40}]})
    _refused(r, "Value allows at most 38 digits, 18 after the decimal point", "lines[0].quantity")


def test_a_credit_note_on_a_top_up_takes_the_money_out_of_the_wallet(customer: TestClient) -> None:
    """A paid top-up credited the wallet; a credit note then refunded the payment and the wallet
    kept the money. On an unpaid top-up, a credit note paid it, and paying it filled the wallet."""
    card(customer, "wcqYrqfE")
    wallet = ok(customer.post("/wallets", json={"customer_id": "wcqYrqfE"}), 201)
    topped = ok(customer.post(f"/wallets/{wallet['id']}/top-up", json={"amount": "100.00"}), 201)
    invoice = topped["invoice"]
    assert (invoice["status"], topped["wallet"]["current_balance"]) == ("paid", "100.00")
    ok(customer.post(f"/wallets/{wallet['id']}/debit", json={"amount": "30.00"}), 201)
    r = customer.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "80.00"})
    _refused(r, f"Wallet {wallet['id']} holds 70.00 of this top-up; a credit note can give back "
             "at most that, not 80.00.")
    note = ok(customer.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "70.00"}),
              201)
    applied = ok(customer.post(f"/credit-notes/{note['id']}/apply", json={"resolution": "refund"}))
    assert applied["status"] == "applied"
    assert ok(customer.get(f"/wallets/{wallet['id']}"))["current_balance"] == "0.00"
    [taken, *_] = ok(customer.get(f"/wallets/{wallet['id']}/transactions"))["data"]
    assert (taken["type"], taken["direction"], taken["amount"]) == ("credit_note", "debit", "70.00")
    [refund] = ok(customer.get("/refunds"))["data"]
    assert (refund["amount"], refund["status"]) == ("70.00", "succeeded")


def test_an_unpaid_top_up_is_voided_not_credited(customer: TestClient) -> None:
    card(customer, "wcqYrqfE", "decline")
    wallet = ok(customer.post("/wallets", json={"customer_id": "wcqYrqfE"}), 201)
    invoice = ok(customer.post(f"/wallets/{wallet['id']}/top-up", json={"amount": "100.00"}),
                 201)["invoice"]
    assert invoice["status"] == "payment_failed"
    r = customer.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "100.00"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == (f"Top-up invoice {invoice['id']} is payment_failed: void it "
                                  "instead of crediting it.")
    assert ok(customer.get(f"/wallets/{wallet['id']}"))["current_balance"] == "0.00"


def test_credit_cannot_pay_for_a_top_up(customer: TestClient) -> None:
    """Issuing skips credit on top-ups, but applying it by hand paid one, and paying it filled
    the wallet: promotional credit turned into wallet money."""
    card(customer, "wcqYrqfE", "decline")
    ok(customer.post("/credit-grants", json={"customer_id": "wcqYrqfE", "amount": "100.00"}), 201)
    wallet = ok(customer.post("/wallets", json={"customer_id": "wcqYrqfE"}), 201)
    invoice = ok(customer.post(f"/wallets/{wallet['id']}/top-up", json={"amount": "100.00"}),
                 201)["invoice"]
    assert (invoice["status"], invoice["credits_applied"]) == ("payment_failed", "0.00")
    r = customer.post(f"/invoices/{invoice['id']}/apply-credits")
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == (f"Invoice {invoice['id']} is a wallet top-up; credits do not "
                                  "pay for top-ups.")
    assert ok(customer.get(f"/wallets/{wallet['id']}"))["current_balance"] == "0.00"
    assert ok(customer.get("/customers/wcqYrqfE/credit-balance"))["monetary"] == [
        {"currency": "USD", "amount": "100.00"}]
