"""Settings → Invoicing and Settings → Subscriptions change what Kassa does, in the environment
that set them, on the sandbox clock: the payment terms default moves a due date, the auto-renew
default decides whether a term ends or renews, the renewal notice moves subscription.ending_soon,
and the retry schedule sets the instants declined payments are charged again."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import advance, card, invoices, summary
from tests.scenarios.helpers import event_data, events
from tests.scenarios.seed_catalog import ok

CUSTOMER = "wcqYrqfE"
ANNUAL = {"period_type": "fixed", "duration_months": 12}


@pytest.fixture
def catalog(api: TestClient) -> TestClient:
    sc.build(api)
    return api


def subscribe(api: TestClient, start: str, contract: dict | None = None, **extra) -> dict:
    ok(api.post("/clock/freeze", json={"at": f"{start}T00:00:00Z"}))
    return ok(api.post("/subscriptions", json={
        "customer_id": CUSTOMER, "currency": "USD", "auto_activate": True,
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}],
        "contract": {"start_date": start, **(contract or {"period_type": "monthly_rolling"})},
        **extra,
    }), 201)


def test_payment_terms_default_sets_the_due_date(catalog: TestClient) -> None:
    before = subscribe(catalog, "2026-03-01")
    assert before["billing"]["payment_terms"] == "due_on_receipt"
    ok(catalog.patch("/settings/invoicing", json={"payment_terms": "net_15"}))
    after = ok(catalog.post("/subscriptions", json={
        "customer_id": CUSTOMER, "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-03-01"},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("50.00", "advance")}]}), 201)
    assert after["billing"]["payment_terms"] == "net_15"
    one_off = ok(catalog.post("/invoices", json={
        "customer_id": CUSTOMER, "lines": [{"description": "Setup", "amount": "10.00"}]}), 201)
    named = ok(catalog.post("/invoices", json={
        "customer_id": CUSTOMER, "payment_terms": "net_7",
        "lines": [{"description": "Setup", "amount": "20.00"}]}), 201)
    dues = {(i["subscription_id"], i["total"]): (i["issue_date"], i["due_date"])
            for i in invoices(catalog)}
    assert dues == {
        (before["id"], "100.00"): ("2026-03-01", "2026-03-01"),
        (after["id"], "50.00"): ("2026-03-01", "2026-03-16"),
        (None, "10.00"): ("2026-03-01", "2026-03-16"),
        (None, "20.00"): ("2026-03-01", "2026-03-08"),
    }
    assert (one_off["payment_terms"], named["payment_terms"]) == ("net_15", "net_7")
    # The subscription keeps the terms it was created with: the next invoice too.
    ok(catalog.patch("/settings/invoicing", json={"payment_terms": "net_60"}))
    advance(catalog, "2026-04-01T00:00:00Z")
    april = [i for i in invoices(catalog) if i["billing_period_start"] == "2026-04-01"]
    assert sorted((i["total"], i["due_date"]) for i in april) == [
        ("100.00", "2026-04-01"), ("50.00", "2026-04-16")]


def test_auto_issue_and_auto_pay_defaults(catalog: TestClient) -> None:
    card(catalog, CUSTOMER, "succeed")
    ok(catalog.patch("/settings/invoicing", json={"auto_pay": True}))
    paid = ok(catalog.post("/invoices", json={
        "customer_id": CUSTOMER, "lines": [{"description": "Setup", "amount": "10.00"}]}), 201)
    assert (paid["status"], paid["amount_paid"]) == ("paid", "10.00")
    ok(catalog.patch("/settings/invoicing", json={"auto_issue": False}))
    draft = ok(catalog.post("/invoices", json={
        "customer_id": CUSTOMER, "lines": [{"description": "Setup", "amount": "10.00"}]}), 201)
    issued = ok(catalog.post("/invoices", json={
        "customer_id": CUSTOMER, "auto_issue": True, "auto_pay": False,
        "lines": [{"description": "Setup", "amount": "10.00"}]}), 201)
    assert (draft["status"], issued["status"]) == ("draft", "issued")
    sub = subscribe(catalog, "2026-12-01")
    assert (sub["billing"]["auto_issue_invoices"], sub["billing"]["auto_pay_invoices"]) == (
        False, True)


def test_auto_renew_default_decides_whether_a_term_ends_or_renews(catalog: TestClient) -> None:
    renews = subscribe(catalog, "2026-01-01", ANNUAL)
    assert renews["renewal"]["auto_renew"] is True
    ok(catalog.patch("/settings/subscriptions", json={"auto_renew": False}))
    ends = ok(catalog.post("/subscriptions", json={
        "customer_id": CUSTOMER, "currency": "USD", "auto_activate": True,
        "contract": {"start_date": "2026-01-01", **ANNUAL},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}]}), 201)
    asked = ok(catalog.post("/subscriptions", json={
        "customer_id": CUSTOMER, "currency": "USD", "auto_activate": True,
        "contract": {"start_date": "2026-01-01", **ANNUAL}, "renewal": {"auto_renew": True},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}]}), 201)
    assert ends["renewal"]["auto_renew"] is False
    advance(catalog, "2027-01-02T00:00:00Z")
    status = {s: ok(catalog.get(f"/subscriptions/{s}"))["status"]
              for s in (renews["id"], ends["id"], asked["id"])}
    assert status == {renews["id"]: "active", ends["id"]: "canceled", asked["id"]: "active"}
    assert ok(catalog.get(f"/subscriptions/{renews['id']}"))["contract"]["end_date"] == "2028-01-01"


def notices(kassa) -> list[tuple[str, str, int]]:
    at = [when for _, when in events(kassa, prefix="subscription.ending_soon")]
    return [(when, d["term_end"], d["days_until_end"])
            for when, d in zip(at, event_data(kassa, "subscription.ending_soon"), strict=True)]


def test_renewal_notice_days_moves_ending_soon(kassa, catalog: TestClient) -> None:
    subscribe(catalog, "2026-01-01", ANNUAL)
    view = ok(catalog.patch("/settings/subscriptions", json={"renewal_notice_days": 7}))
    assert (view["renewal_notice_days"], view["renewal_notice_days_in_effect"]) == (7, 7)
    advance(catalog, "2027-01-01T00:00:00Z")
    # Back to the installation's 30 days (KASSA_SUBSCRIPTION_ENDING_SOON_DAYS) with null.
    view = ok(catalog.patch("/settings/subscriptions", json={"renewal_notice_days": None}))
    assert (view["renewal_notice_days"], view["renewal_notice_days_in_effect"]) == (None, 30)
    advance(catalog, "2028-01-01T00:00:00Z")
    assert notices(kassa) == [("2026-12-25T00:00:00Z", "2027-01-01", 7),
                              ("2027-12-02T00:00:00Z", "2028-01-01", 30)]


def _payments(api: TestClient) -> list[tuple[str, str]]:
    data = ok(api.get("/payments?sort=created_at:asc&limit=100"))["data"]
    return [(p["created_at"], p["status"]) for p in data]


def test_retry_schedule_sets_the_instants_of_the_collect_attempts(catalog: TestClient) -> None:
    card(catalog, CUSTOMER, "decline")
    view = ok(catalog.patch("/settings/invoicing", json={"payment_retry_hours": [24, 72]}))
    assert view["payment_retry_hours"] == [24, 72]
    sub = subscribe(catalog, "2026-12-01", billing={"auto_pay_invoices": True})
    advance(catalog, "2026-12-20T00:00:00Z")
    assert _payments(catalog) == [("2026-12-01T00:00:00Z", "failed"),
                                  ("2026-12-02T00:00:00Z", "failed"),
                                  ("2026-12-05T00:00:00Z", "failed")]
    [invoice] = invoices(catalog, subscription_id=sub["id"])
    assert summary(invoice) == ("2026-12-01", "overdue", "100.00", "100.00")  # due on receipt


def test_a_retry_succeeds_with_the_card_that_declined_once(catalog: TestClient) -> None:
    card(catalog, CUSTOMER, "decline_once")
    ok(catalog.patch("/settings/invoicing", json={"payment_retry_hours": [6, 6, 6]}))
    subscribe(catalog, "2026-12-01", billing={"auto_pay_invoices": True})
    advance(catalog, "2026-12-03T00:00:00Z")
    assert _payments(catalog) == [("2026-12-01T00:00:00Z", "failed"),
                                  ("2026-12-01T06:00:00Z", "succeeded")]
    [invoice] = invoices(catalog)
    assert (invoice["status"], invoice["paid_at"]) == ("paid", "2026-12-01T06:00:00Z")


def test_no_schedule_no_automatic_retry(catalog: TestClient) -> None:
    card(catalog, CUSTOMER, "decline")
    subscribe(catalog, "2026-12-01", billing={"auto_pay_invoices": True})
    advance(catalog, "2026-12-20T00:00:00Z")
    assert _payments(catalog) == [("2026-12-01T00:00:00Z", "failed")]


def test_a_sandbox_setting_changes_nothing_in_production(catalog: TestClient,
                                                         prod_api: TestClient) -> None:
    ok(catalog.patch("/settings/invoicing", json={"payment_terms": "net_30",
                                                  "payment_retry_hours": [1]}))
    ok(catalog.patch("/settings/subscriptions", json={"auto_renew": False}))
    sc.build(prod_api)
    sub = ok(prod_api.post("/subscriptions", json={
        "customer_id": CUSTOMER, "currency": "USD",
        "contract": {"period_type": "fixed", "duration_months": 12},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}]}), 201)
    assert (sub["billing"]["payment_terms"], sub["renewal"]["auto_renew"]) == (
        "due_on_receipt", True)
