"""Invoices through HTTP: one-time invoices, issue, void, manual payments, credits, the
upcoming invoice, numbering and bad input."""

from __future__ import annotations

import threading

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


def one_time(api: TestClient, **extra) -> dict:
    body = {"customer_id": "wcqYrqfE", "lines": [
        {"description": "Onboarding", "amount": "1500.00"},
        {"description": "Training days", "quantity": "3", "unit_amount": "400.00"},
    ], **extra}
    return ok(api.post("/invoices", json=body), 201)


def test_one_time_invoice_issued_with_tax(customer: TestClient) -> None:
    ok(customer.patch("/customers/wcqYrqfE", json={"tax_rate": "10"}))
    invoice = one_time(customer, payment_terms="net_15", memo="Kick-off")
    assert (invoice["kind"], invoice["status"], invoice["number"]) == ("one_time", "issued", "TEST-INV-000001")
    assert [(l["description"], l["quantity"], l["amount"]) for l in invoice["line_items"]] == [
        ("Onboarding", "1", "1500.00"), ("Training days", "3", "1200.00"), ("Tax 10%", None, "270.00"),
    ]
    assert (invoice["subtotal"], invoice["tax"], invoice["total"], invoice["amount_due"]) == (
        "2700.00", "270.00", "2970.00", "2970.00")
    assert (invoice["issue_date"], invoice["due_date"]) == ("2026-07-01", "2026-07-16")
    assert ok(customer.get(f"/invoices/{invoice['id']}")) == invoice


def test_draft_then_issue_and_gapless_numbers(customer: TestClient) -> None:
    draft = one_time(customer, auto_issue=False)
    assert (draft["status"], draft["number"], draft["issue_date"]) == ("draft", None, None)
    issued_first = one_time(customer)
    issued = ok(customer.post(f"/invoices/{draft['id']}/issue"))
    assert issued["status"] == "issued"
    assert [issued_first["number"], issued["number"]] == ["TEST-INV-000001", "TEST-INV-000002"]
    again = customer.post(f"/invoices/{draft['id']}/issue")
    assert again.status_code == 422
    assert again.json()["detail"] == f"Invoice {draft['id']} is issued; only a draft can be issued."


def test_manual_wire_payment_settles(kassa, customer: TestClient) -> None:
    invoice = one_time(customer)
    part = ok(customer.post(f"/invoices/{invoice['id']}/payments",
                            json={"amount": "1000.00", "reference": "WIRE-7781"}), 201)
    assert part["payment"]["method"] == "wire" and part["invoice"]["amount_due"] == "1700.00"
    assert part["invoice"]["status"] == "issued"
    r = customer.post(f"/invoices/{invoice['id']}/payments", json={"amount": "1700.01"})
    assert r.status_code == 422 and r.json()["errors"] == [
        {"field": "amount", "message": "The amount exceeds the amount due (1700.00)."}]
    r = customer.post(f"/invoices/{invoice['id']}/payments", json={"amount": 1700})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "amount"
    rest = ok(customer.post(f"/invoices/{invoice['id']}/payments", json={"amount": "1700.00"}), 201)
    assert rest["invoice"]["status"] == "paid" and rest["invoice"]["amount_paid"] == "2700.00"
    assert len(ok(customer.get(f"/payments?invoice_id={invoice['id']}"))["data"]) == 2


def test_void_gives_credits_back_and_refuses_paid_invoices(customer: TestClient) -> None:
    ok(customer.post("/credit-grants", json={"customer_id": "wcqYrqfE", "amount": "500.00"}), 201)
    invoice = one_time(customer)
    assert invoice["credits_applied"] == "500.00"
    assert ok(customer.get("/customers/wcqYrqfE/credit-balance"))["monetary"] == []
    voided = ok(customer.post(f"/invoices/{invoice['id']}/void"))
    assert (voided["status"], voided["amount_due"]) == ("void", "0.00")
    assert ok(customer.get("/customers/wcqYrqfE/credit-balance"))["monetary"] == [
        {"currency": "USD", "amount": "500.00"}]
    assert customer.post(f"/invoices/{invoice['id']}/void").status_code == 422
    paid = one_time(customer)
    ok(customer.post(f"/invoices/{paid['id']}/payments", json={"amount": "10.00"}), 201)
    r = customer.post(f"/invoices/{paid['id']}/void")
    assert r.status_code == 422
    assert r.json()["detail"] == (f"Invoice {paid['id']} has payments; refund them with a credit "
                                  "note instead of voiding it.")


def test_apply_credits_by_hand(customer: TestClient) -> None:
    invoice = one_time(customer)
    ok(customer.post("/credit-grants", json={"customer_id": "wcqYrqfE", "amount": "100.00"}), 201)
    after = ok(customer.post(f"/invoices/{invoice['id']}/apply-credits", json={"amount": "60.00"}))
    assert (after["credits_applied"], after["amount_due"]) == ("60.00", "2640.00")
    r = customer.post(f"/invoices/{invoice['id']}/apply-credits", json={"amount": "50.00"})
    assert r.status_code == 422
    after = ok(customer.post(f"/invoices/{invoice['id']}/apply-credits"))
    assert (after["credits_applied"], after["amount_due"]) == ("100.00", "2600.00")


def test_upcoming_invoice_shows_usage_so_far(customer: TestClient) -> None:
    ok(customer.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    sub = ok(customer.post("/subscriptions", json={
        "customer_id": "wcqYrqfE", "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-07-01"},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("500.00")},
                  {"product_id": sc.API_USAGE, "price": sc.GRADUATED_API}],
    }), 201)
    ok(customer.post("/clock/advance", json={"to": "2026-07-10T00:00:00Z"}))
    ok(customer.post("/events", json={"events": [
        {"account": "wcqYrqfE", "event_name": "api_call", "unique_id": f"e{i}",
         "timestamp": "2026-07-05T00:00:00Z"} for i in range(12)]}))
    upcoming = ok(customer.get(f"/subscriptions/{sub['id']}/upcoming-invoice"))
    assert (upcoming["status"], upcoming["id"], upcoming["billing_date"]) == (
        "upcoming", None, "2026-08-01T00:00:00Z")
    assert [(l["kind"], l["quantity"], l["amount"]) for l in upcoming["line_items"]] == [
        ("fixed", "1", "500.00"), ("usage", "12", "0.00")]
    assert ok(customer.get("/invoices"))["data"] == []  # nothing stored
    ok(customer.post(f"/subscriptions/{sub['id']}/cancel", json={"timing": "immediate"}))
    r = customer.get(f"/subscriptions/{sub['id']}/upcoming-invoice")
    assert r.status_code == 422


def test_invoice_filters(customer: TestClient) -> None:
    a = one_time(customer)
    ok(customer.post("/customers", json={"id": "other1", "name": "Other"}), 201)
    b = one_time(customer, customer_id="other1", auto_issue=False)
    assert [i["id"] for i in ok(customer.get("/invoices?customer_id=wcqYrqfE"))["data"]] == [a["id"]]
    assert [i["id"] for i in ok(customer.get("/invoices?status=draft"))["data"]] == [b["id"]]
    assert len(ok(customer.get("/invoices?status=draft,issued"))["data"]) == 2
    assert [i["id"] for i in ok(customer.get("/invoices?issued_from=2026-07-01"))["data"]] == [a["id"]]
    r = customer.get("/invoices?issued_from=yesterday")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "issued_from"


def test_bad_input(customer: TestClient) -> None:
    cases = [
        ({"customer_id": "nobody", "lines": [{"description": "x", "amount": "1.00"}]}, 404, "customer_id"),
        ({"customer_id": "wcqYrqfE", "lines": []}, 422, "lines"),
        ({"customer_id": "wcqYrqfE", "lines": [{"description": "x"}]}, 422, "lines[0].amount"),
        ({"customer_id": "wcqYrqfE", "lines": [{"description": "x", "amount": 5}]}, 422, "lines[0].amount"),
        ({"customer_id": "wcqYrqfE", "lines": [{"description": "x", "amount": "-5.00"}]}, 422, "lines[0].amount"),
        ({"customer_id": "wcqYrqfE", "lines": [{"description": "x", "amount": "1", "unit_amount": "1"}]},
         422, "lines[0].unit_amount"),
        ({"customer_id": "wcqYrqfE", "lines": [{"description": "x", "amount": "1"}], "payment_terms": "net_5"},
         422, "payment_terms"),
    ]
    for body, status, field in cases:
        r = customer.post("/invoices", json=body)
        assert r.status_code == status, body
        assert r.json()["errors"][0]["field"] == field, r.json()
    assert customer.get("/invoices/inv_nope").status_code == 404
    assert customer.post("/invoices/inv_nope/void").status_code == 404
    assert customer.post("/invoices/inv_nope/retry-payment").status_code == 404


def test_payment_methods(customer: TestClient) -> None:
    first = card(customer, "wcqYrqfE")
    assert first["is_default"] is True and first["test_behavior"] == "succeed"
    second = ok(customer.post("/customers/wcqYrqfE/payment-methods",
                              json={"type": "sepa", "details": {"bank": "N26", "last4": "1234"}}), 201)
    assert second["is_default"] is False
    ok(customer.post(f"/customers/wcqYrqfE/payment-methods/{second['id']}/default"))
    methods = ok(customer.get("/customers/wcqYrqfE/payment-methods"))["data"]
    assert [(m["id"], m["is_default"]) for m in methods] == [(first["id"], False), (second["id"], True)]
    ok(customer.delete(f"/customers/wcqYrqfE/payment-methods/{first['id']}"))
    assert len(ok(customer.get("/customers/wcqYrqfE/payment-methods"))["data"]) == 1
    r = customer.post("/customers/wcqYrqfE/payment-methods",
                      json={"type": "card", "details": {"number": "4242 4242 4242 4242"}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "details.number"
    r = customer.post("/customers/wcqYrqfE/payment-methods", json={"type": "bitcoin"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "type"


def test_production_has_no_simulated_processor(prod_api: TestClient) -> None:
    ok(prod_api.post("/customers", json={"id": "live1", "name": "Live"}), 201)
    r = prod_api.post("/customers/live1/payment-methods", json={"type": "card", "test_behavior": "decline"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "test_behavior"
    ok(prod_api.post("/customers/live1/payment-methods", json={"type": "card"}), 201)
    invoice = ok(prod_api.post("/invoices", json={"customer_id": "live1", "auto_pay": True,
                                                  "lines": [{"description": "x", "amount": "9.00"}]}), 201)
    assert invoice["status"] == "issued" and invoice["number"] == "INV-000001"
    r = prod_api.post(f"/invoices/{invoice['id']}/retry-payment")
    assert r.status_code == 422 and "No payment processor is configured" in r.json()["detail"]


def test_concurrent_issues_get_unique_gapless_numbers(kassa, customer: TestClient) -> None:
    drafts = [one_time(customer, auto_issue=False)["id"] for _ in range(8)]
    barrier = threading.Barrier(len(drafts))
    results: list = []

    def issue(invoice_id: str) -> None:
        barrier.wait()
        results.append(customer.post(f"/invoices/{invoice_id}/issue"))

    threads = [threading.Thread(target=issue, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(r.status_code == 200 for r in results)
    numbers = sorted(r.json()["number"] for r in results)
    assert numbers == [f"TEST-INV-{n:06d}" for n in range(1, 9)]


def test_a_charge_retried_after_a_rollback_reuses_its_idempotency_key(kassa, customer) -> None:
    """The processor's key names the invoice's n-th attempt: a collect job that charged, then
    failed to record the outcome (rolled back), asks again with the same key, so a real
    processor answers with the first charge instead of charging twice."""
    from kassa.ids import new_id
    from kassa.payments.sandbox import SandboxProcessor
    from kassa.services.billing import collection

    keys: list[str] = []

    class Recording(SandboxProcessor):
        def charge(self, method, amount, currency, *, idempotency_key, previous_failures):
            keys.append(idempotency_key)
            return super().charge(method, amount, currency, idempotency_key=idempotency_key,
                                  previous_failures=previous_failures)

    method = card(customer, "wcqYrqfE", "decline")  # declined: the invoice stays open
    invoice = one_time(customer)
    ctx = kassa.ctx("sandbox")
    for commit in (False, False, True, True):
        payload = {"invoice_id": invoice["id"], "payment_id": new_id("pay"),
                   "payment_method_id": method["id"]}
        with ctx.uow(read_only=True) as uow:
            attempt = collection.next_attempt(uow, payload)
        result = Recording().charge(attempt.method, attempt.amount, attempt.currency,
                                    idempotency_key=attempt.key,
                                    previous_failures=attempt.previous_failures)
        with ctx.uow() as uow:
            collection.record(uow, attempt, result)
            if commit:
                uow.commit()
    assert keys == [f"{invoice['id']}:1"] * 3 + [f"{invoice['id']}:2"]