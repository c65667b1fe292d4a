"""Clock-driven billing stories with exact invoices, balances and events."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import advance, card, invoices, lines, send_usage, summary
from tests.scenarios.helpers import event_data, events
from tests.scenarios.seed_catalog import ok

SUM_METRIC = "mtr_calls"


@pytest.fixture
def catalog(api: TestClient) -> TestClient:
    sc.build(api)
    ok(api.post("/metrics", json={"id": SUM_METRIC, "name": "Calls", "event_name": "calls",
                                  "aggregation": {"method": "sum", "field": "calls"}}), 201)
    ok(api.patch(f"/products/{sc.API_USAGE}", json={"metric_ids": [SUM_METRIC],
                                                    "unit_label_singular": "call",
                                                    "unit_label_plural": "calls"}))
    return api


def subscribe(api: TestClient, start: str, items: list, **extra) -> dict:
    """Freeze the clock on ``start`` and activate a subscription starting then (net 30 terms
    unless ``billing`` says otherwise)."""
    ok(api.post("/clock/freeze", json={"at": f"{start}T00:00:00Z"}))
    billing = {"payment_terms": "net_30", **extra.pop("billing", {})}
    body = {"customer_id": "wcqYrqfE", "currency": "USD", "items": items, "auto_activate": True,
            "contract": {"period_type": "monthly_rolling", "start_date": start}, "billing": billing,
            **extra}
    return ok(api.post("/subscriptions", json=body), 201)


def graduated(metric: str = SUM_METRIC) -> dict:
    return {**sc.GRADUATED_API, "metric_ids": [metric]}


def test_faq_credit_example_charges_the_rest(kassa, catalog: TestClient) -> None:
    card(catalog, "wcqYrqfE")
    grant = ok(catalog.post("/credit-grants", json={"customer_id": "wcqYrqfE", "amount": "30.00",
                                                    "currency": "USD", "reason": "Referral"}), 201)
    assert grant["remaining"] == "30.00" and grant["status"] == "active"
    subscribe(catalog, "2026-07-01", [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}],
              billing={"auto_pay_invoices": True})
    [invoice] = invoices(catalog)
    assert summary(invoice) == ("2026-07-01", "paid", "100.00", "0.00")
    assert invoice["credits_applied"] == "30.00" and invoice["amount_paid"] == "70.00"
    assert invoice["number"] == "TEST-INV-000001"
    [payment] = ok(catalog.get("/payments"))["data"]
    assert (payment["amount"], payment["status"], payment["invoice_id"]) == ("70.00", "succeeded", invoice["id"])
    assert ok(catalog.get(f"/credit-grants/{grant['id']}"))["status"] == "exhausted"
    assert ok(catalog.get("/customers/wcqYrqfE/credit-balance"))["monetary"] == []
    assert [t for t, _ in events(kassa) if t.startswith(("invoice.", "payment.", "account."))] == [
        "account.credits.granted",
        "invoice.created",
        "account.credits.balance_depleted",
        "invoice.issued",
        "payment.created",
        "payment.updated",
        "payment.succeeded",
        "invoice.paid",
    ]


def test_upgrade_is_billed_immediately(kassa, catalog: TestClient) -> None:
    sub = subscribe(catalog, "2026-06-01", [{"product_id": sc.PLATFORM, "price": sc.fixed("99.00", "advance")}],
                    contract={"period_type": "fixed", "duration_months": 12, "start_date": "2026-06-01"})
    advance(catalog, "2026-06-16T09:30:00Z")
    ok(catalog.post(f"/subscriptions/{sub['id']}/changes", json={
        "update": [{"product_id": sc.PLATFORM, "adjust": {"fixed_pricing_model": {"price_per_unit": "199.00"}}}],
        "effective": "immediate",
    }), 201)
    first, proration = invoices(catalog)
    assert summary(first) == ("2026-06-01", "issued", "99.00", "99.00")
    assert summary(proration) == ("2026-06-16", "issued", "49.95", "49.95")
    assert proration["kind"] == "proration"
    # Each line covers the 15 days left, and says which side it is.
    assert lines(proration) == [
        ("proration", "2026-06-16", "2026-07-01", None, "-49.50"),
        ("proration", "2026-06-16", "2026-07-01", None, "99.45"),
    ]
    assert [line["description"] for line in proration["line_items"]] == [
        "Platform fee — credit for unused time (2026-06-16 – 2026-07-01)",
        "Platform fee — remaining time (2026-06-16 – 2026-07-01)",
    ]
    # The next period is billed at the new price, once.
    advance(catalog, "2026-07-01T00:00:00Z")
    assert summary(invoices(catalog)[-1]) == ("2026-07-01", "issued", "199.00", "199.00")
    ran = advance(catalog, "2026-07-01T00:00:00Z")
    assert [i for i in ran if i["type"] == "invoice.created"] == []


def test_a_dated_upgrade_prorates_the_days_from_its_date(catalog: TestClient) -> None:
    sub = subscribe(catalog, "2026-06-01", [{"product_id": sc.PLATFORM, "price": sc.fixed("99.00", "advance")}])
    advance(catalog, "2026-06-10T00:00:00Z")
    ok(catalog.post(f"/subscriptions/{sub['id']}/changes", json={
        "update": [{"product_id": sc.PLATFORM, "adjust": {"fixed_pricing_model": {"price_per_unit": "199.00"}}}],
        "effective": "2026-06-21",
    }), 201)
    advance(catalog, "2026-06-22T00:00:00Z")
    proration = invoices(catalog)[-1]
    # 10 days left: 10 x 3.30 back, 10 x 6.63 charged.
    assert summary(proration) == ("2026-06-21", "issued", "33.30", "33.30")
    assert [(line["description"], line["period_start"], line["period_end"], line["amount"])
            for line in proration["line_items"]] == [
        ("Platform fee — credit for unused time (2026-06-21 – 2026-07-01)", "2026-06-21", "2026-07-01", "-33.00"),
        ("Platform fee — remaining time (2026-06-21 – 2026-07-01)", "2026-06-21", "2026-07-01", "66.30"),
    ]


def test_downgrade_credits_the_balance(catalog: TestClient) -> None:
    sub = subscribe(catalog, "2026-06-01", [{"product_id": sc.PLATFORM, "price": sc.fixed("199.00", "advance")}])
    advance(catalog, "2026-06-16T00:00:00Z")
    ok(catalog.post(f"/subscriptions/{sub['id']}/changes", json={
        "update": [{"product_id": sc.PLATFORM, "adjust": {"fixed_pricing_model": {"price_per_unit": "99.00"}}}],
    }), 201)
    assert len(invoices(catalog)) == 1
    balance = ok(catalog.get("/customers/wcqYrqfE/credit-balance"))
    assert balance["monetary"] == [{"currency": "USD", "amount": "49.95"}]
    # The credit pays part of the next invoice.
    advance(catalog, "2026-07-01T00:00:00Z")
    last = invoices(catalog)[-1]
    assert (last["total"], last["credits_applied"], last["amount_due"]) == ("99.00", "49.95", "49.05")


def test_monthly_arrears_with_graduated_usage_and_platform_fee(catalog: TestClient) -> None:
    subscribe(catalog, "2026-07-01", [
        {"product_id": sc.PLATFORM, "price": sc.fixed("500.00", "arrears")},
        {"product_id": sc.API_USAGE, "price": graduated()},
    ], billing={"payment_terms": "net_30"})
    assert invoices(catalog) == []  # everything is billed in arrears
    advance(catalog, "2026-07-20T00:00:00Z")
    send_usage(catalog, "wcqYrqfE", "calls", [
        ("u1", "2026-07-02T10:00:00Z", 60000),
        ("u2", "2026-07-10T10:00:00Z", 60000),
        ("u3", "2026-07-19T23:00:00Z", 30000),
        ("u3", "2026-07-19T23:00:00Z", 30000),  # a duplicate counts once
    ])
    advance(catalog, "2026-08-01T00:00:00Z")
    [invoice] = invoices(catalog)
    assert summary(invoice) == ("2026-08-01", "issued", "4200.00", "4200.00")
    assert invoice["due_date"] == "2026-08-31"
    assert lines(invoice) == [
        ("fixed", "2026-07-01", "2026-08-01", "1", "500.00"),
        ("usage", "2026-07-01", "2026-08-01", "150000", "3700.00"),
    ]
    usage = invoice["line_items"][1]
    assert usage["description"] == "API usage · 150000 calls (2026-07-01 – 2026-08-01)"
    assert [(b["units"], b["amount"]) for b in usage["details"]["breakdown"]] == [
        ("10000", "0.00"), ("90000", "2700.00"), ("50000", "1000.00"),
    ]
    # Past the due date it becomes overdue.
    advance(catalog, "2026-09-01T00:00:00Z")
    assert invoices(catalog)[0]["status"] == "overdue"


def test_quarterly_advance_fee(catalog: TestClient) -> None:
    quarterly = {**sc.fixed("300.00", "advance"), "billing_interval": "quarterly"}
    subscribe(catalog, "2027-01-01", [{"product_id": sc.PLATFORM, "price": quarterly}])
    advance(catalog, "2027-07-15T00:00:00Z")
    assert [(i["issue_date"], i["total"], i["billing_period_start"], i["billing_period_end"])
            for i in invoices(catalog)] == [
        ("2027-01-01", "300.00", "2027-01-01", "2027-04-01"),
        ("2027-04-01", "300.00", "2027-04-01", "2027-07-01"),
        ("2027-07-01", "300.00", "2027-07-01", "2027-10-01"),
    ]


def test_annual_contract_with_monthly_usage(catalog: TestClient) -> None:
    yearly = {**sc.fixed("12000.00", "advance"), "billing_interval": "yearly"}
    unit = {"type": "unit", "billing_interval": "monthly", "fee_type": "metered",
            "billing_direction": "arrears", "metric_ids": [SUM_METRIC],
            "unit_pricing_model": {"price_per_unit": "0.01"}}
    subscribe(catalog, "2026-07-01", [{"product_id": sc.PLATFORM, "price": yearly},
                                      {"product_id": sc.API_USAGE, "price": unit}],
              contract={"period_type": "fixed", "duration_months": 12, "start_date": "2026-07-01"})
    for month, calls in [("07", 1000), ("08", 2500), ("09", 0)]:
        advance(catalog, f"2026-{month}-15T00:00:00Z")
        if calls:
            send_usage(catalog, "wcqYrqfE", "calls", [(f"m{month}", f"2026-{month}-14T00:00:00Z", calls)])
    advance(catalog, "2026-10-01T00:00:00Z")
    got = [(i["issue_date"], [(line["kind"], line["amount"]) for line in i["line_items"]])
           for i in invoices(catalog)]
    assert got == [
        ("2026-07-01", [("fixed", "12000.00")]),
        ("2026-08-01", [("usage", "10.00")]),
        ("2026-09-01", [("usage", "25.00")]),
        ("2026-10-01", [("usage", "0.00")]),
    ]
    advance(catalog, "2027-07-01T00:00:00Z")
    renewal = invoices(catalog)[-1]
    assert renewal["issue_date"] == "2027-07-01"
    assert [(line["kind"], line["amount"]) for line in renewal["line_items"]] == [
        ("usage", "0.00"), ("fixed", "12000.00"),
    ]


def test_cancel_at_end_of_period_bills_final_usage_then_nothing(kassa, catalog: TestClient) -> None:
    sub = subscribe(catalog, "2026-07-01", [
        {"product_id": sc.PLATFORM, "price": sc.fixed("50.00", "advance")},
        {"product_id": sc.API_USAGE, "price": graduated()},
    ])
    advance(catalog, "2026-08-10T00:00:00Z")
    ok(catalog.post(f"/subscriptions/{sub['id']}/cancel", json={"timing": "end_of_term"}))
    send_usage(catalog, "wcqYrqfE", "calls", [("late-aug", "2026-08-09T00:00:00Z", 20000)])
    advance(catalog, "2026-12-01T00:00:00Z")
    got = [(i["issue_date"], i["kind"], lines(i)) for i in invoices(catalog)]
    assert got == [
        ("2026-07-01", "subscription", [("fixed", "2026-07-01", "2026-08-01", "1", "50.00")]),
        ("2026-08-01", "subscription", [
            ("usage", "2026-07-01", "2026-08-01", "0", "0.00"),
            ("fixed", "2026-08-01", "2026-09-01", "1", "50.00"),
        ]),
        ("2026-09-01", "final", [("usage", "2026-08-01", "2026-09-01", "20000", "300.00")]),
    ]
    assert ok(catalog.get(f"/subscriptions/{sub['id']}"))["status"] == "canceled"
    assert events(kassa, prefix="subscription.canceled") == [("subscription.canceled", "2026-09-01T00:00:00Z")]


def test_immediate_cancellation_with_unused_time_credit(catalog: TestClient) -> None:
    sub = subscribe(catalog, "2026-06-01", [{"product_id": sc.PLATFORM, "price": sc.fixed("300.00", "advance")},
                                            {"product_id": sc.API_USAGE, "price": graduated()}])
    advance(catalog, "2026-06-21T00:00:00Z")
    send_usage(catalog, "wcqYrqfE", "calls", [("june", "2026-06-05T00:00:00Z", 20000)])
    ok(catalog.post(f"/subscriptions/{sub['id']}/cancel",
                    json={"timing": "immediate", "credit_unused_time": True}))
    final = invoices(catalog)[-1]
    # 10 of 30 days unused at 10.00 a day; usage up to the cancellation.
    assert final["kind"] == "final"
    assert lines(final) == [
        ("usage", "2026-06-01", "2026-07-01", "20000", "300.00"),
        ("credit", "2026-06-21", "2026-07-01", "1", "-100.00"),
    ]
    assert summary(final) == ("2026-06-21", "issued", "200.00", "200.00")
    advance(catalog, "2026-09-01T00:00:00Z")
    assert len(invoices(catalog)) == 2


def test_pause_and_resume(catalog: TestClient) -> None:
    sub = subscribe(catalog, "2026-06-01", [{"product_id": sc.PLATFORM, "price": sc.fixed("300.00", "advance")}])
    advance(catalog, "2026-06-21T00:00:00Z")
    ok(catalog.post(f"/subscriptions/{sub['id']}/pause", json={}))
    # 10 unused days of June come back as credit (300.00 / 30 = 10.00 a day).
    assert ok(catalog.get("/customers/wcqYrqfE/credit-balance"))["monetary"] == [
        {"currency": "USD", "amount": "100.00"}
    ]
    advance(catalog, "2026-07-11T00:00:00Z")  # July starts while paused: no invoice
    assert len(invoices(catalog)) == 1
    ok(catalog.post(f"/subscriptions/{sub['id']}/resume"))
    resumed = invoices(catalog)[-1]
    # 21 days of July at 300.00 / 31 = 9.68 a day, paid from the 100.00 credit.
    assert lines(resumed) == [("proration", "2026-07-11", "2026-08-01", None, "203.28")]
    assert resumed["line_items"][0]["description"] == "Platform fee — remaining time (2026-07-11 – 2026-08-01)"
    assert (resumed["total"], resumed["credits_applied"], resumed["amount_due"]) == ("203.28", "100.00", "103.28")
    advance(catalog, "2026-08-01T00:00:00Z")
    assert summary(invoices(catalog)[-1]) == ("2026-08-01", "issued", "300.00", "300.00")


def test_declined_payment_retry_then_paid(kassa, catalog: TestClient) -> None:
    card(catalog, "wcqYrqfE", "decline_once")
    subscribe(catalog, "2026-07-01", [{"product_id": sc.PLATFORM, "price": sc.fixed("80.00", "advance")}],
              billing={"auto_pay_invoices": True})
    [invoice] = invoices(catalog)
    assert summary(invoice) == ("2026-07-01", "payment_failed", "80.00", "80.00")
    [failed] = ok(catalog.get("/payments"))["data"]
    assert failed["status"] == "failed" and failed["failure_reason"].startswith("card_declined")
    retried = ok(catalog.post(f"/invoices/{invoice['id']}/retry-payment"))
    assert retried["payment"]["status"] == "succeeded"
    assert summary(retried["invoice"]) == ("2026-07-01", "paid", "80.00", "0.00")
    updates = [d["status"] for d in event_data(kassa, "payment.updated")]
    assert updates == ["failed", "succeeded"]
    again = catalog.post(f"/invoices/{invoice['id']}/retry-payment")
    assert again.status_code == 422
    assert again.json()["detail"] == f"Cannot collect a payment for invoice {invoice['id']}: it is paid."


def _paid_by_credit_and_card(catalog: TestClient) -> dict:
    """July's 100.00 invoice, paid by 30.00 of credit and 70.00 charged to the card."""
    card(catalog, "wcqYrqfE")
    ok(catalog.post("/clock/freeze", json={"at": "2026-06-30T00:00:00Z"}))
    ok(catalog.post("/credit-grants", json={"customer_id": "wcqYrqfE", "amount": "30.00"}), 201)
    subscribe(catalog, "2026-07-01", [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}],
              billing={"auto_pay_invoices": True})
    [invoice] = invoices(catalog)
    return invoice


def test_partial_refund_through_a_credit_note(kassa, catalog: TestClient) -> None:
    invoice = _paid_by_credit_and_card(catalog)
    assert (invoice["status"], invoice["credits_applied"], invoice["amount_paid"]) == ("paid", "30.00", "70.00")
    note = ok(catalog.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "40.00",
                                                  "reason": "service_issue"}), 201)
    assert (note["status"], note["amount"], note["number"]) == ("draft", "40.00", None)
    too_much = catalog.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "60.01"})
    assert too_much.status_code == 422
    assert too_much.json()["detail"] == (
        f"Invoice {invoice['id']} has 60.00 left to credit; this note is for 60.01."
    )
    applied = ok(catalog.post(f"/credit-notes/{note['id']}/apply", json={"resolution": "refund"}))
    assert (applied["status"], applied["number"], applied["resolution"]) == ("applied", "TEST-CN-000001", "refund")
    refund = ok(catalog.get(f"/refunds/{applied['refund_id']}"))
    assert (refund["amount"], refund["status"], refund["credit_note_id"]) == ("40.00", "succeeded", note["id"])
    [payment] = ok(catalog.get("/payments"))["data"]
    assert (payment["amount"], payment["amount_refunded"]) == ("70.00", "40.00")
    assert ok(catalog.get(f"/invoices/{invoice['id']}"))["amount_credited"] == "40.00"
    assert [d["id"] for d in event_data(kassa, "refund.updated")] == [refund["id"]]
    # Only 30.00 of the payment is left: a 60.00 refund is refused; stored as credit it works.
    second = ok(catalog.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "60.00"}), 201)
    over = catalog.post(f"/credit-notes/{second['id']}/apply", json={"resolution": "refund"})
    assert over.status_code == 422
    assert over.json()["errors"] == [{
        "field": "resolution",
        "message": f"Only 30.00 was paid on invoice {invoice['id']} and not yet refunded; refund "
                   "at most that, or store the credit instead.",
    }]
    ok(catalog.post(f"/credit-notes/{second['id']}/apply", json={"resolution": "credit"}))
    assert ok(catalog.get("/customers/wcqYrqfE/credit-balance"))["monetary"] == [
        {"currency": "USD", "amount": "60.00"}
    ]
    third = catalog.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "0.01"})
    assert third.status_code == 422  # fully credited now


def test_a_credit_note_applied_as_it_is_created(kassa, catalog: TestClient) -> None:
    """``resolution`` on POST /credit-notes applies the note in the same request; a note that
    cannot be applied so is refused whole, and no draft is left behind."""
    invoice = _paid_by_credit_and_card(catalog)
    refunded = ok(catalog.post("/credit-notes", json={
        "invoice_id": invoice["id"], "amount": "25.00", "reason": "service_issue",
        "resolution": "refund"}), 201)
    assert (refunded["status"], refunded["amount"], refunded["number"], refunded["resolution"]) == (
        "applied", "25.00", "TEST-CN-000001", "refund")
    refund = ok(catalog.get(f"/refunds/{refunded['refund_id']}"))
    assert (refund["amount"], refund["status"], refund["reason"]) == ("25.00", "succeeded",
                                                                     "service_issue")
    [payment] = ok(catalog.get("/payments"))["data"]
    assert (payment["amount"], payment["amount_refunded"]) == ("70.00", "25.00")
    # 45.00 of the payment is left to refund: 50.00 is refused, and nothing is stored.
    over = catalog.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "50.00",
                                               "resolution": "refund"})
    assert over.status_code == 422
    assert over.json()["errors"] == [{
        "field": "resolution",
        "message": f"Only 45.00 was paid on invoice {invoice['id']} and not yet refunded; refund "
                   "at most that, or store the credit instead.",
    }]
    notes = ok(catalog.get("/credit-notes", params={"invoice_id": invoice["id"]}))["data"]
    assert [n["id"] for n in notes] == [refunded["id"]]
    stored = ok(catalog.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "50.00",
                                                    "resolution": "credit"}), 201)
    assert (stored["status"], stored["number"], stored["resolution"]) == (
        "applied", "TEST-CN-000002", "credit")
    assert ok(catalog.get("/customers/wcqYrqfE/credit-balance"))["monetary"] == [
        {"currency": "USD", "amount": "50.00"}
    ]
    after = ok(catalog.get(f"/invoices/{invoice['id']}"))
    assert (after["status"], after["amount_credited"], after["amount_due"]) == ("paid", "75.00",
                                                                               "0.00")
    wrong = catalog.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "1.00",
                                                "resolution": "later"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "resolution"


def test_wallet_top_up_consumed_over_two_invoices(catalog: TestClient) -> None:
    card(catalog, "wcqYrqfE")
    ok(catalog.post("/clock/freeze", json={"at": "2026-06-20T00:00:00Z"}))
    wallet = ok(catalog.post("/wallets", json={"customer_id": "wcqYrqfE", "name": "Prepaid"}), 201)
    top_up = ok(catalog.post(f"/wallets/{wallet['id']}/top-up", json={"amount": "150.00"}), 201)
    assert top_up["invoice"]["status"] == "paid" and top_up["invoice"]["kind"] == "top_up"
    assert top_up["wallet"]["current_balance"] == "150.00"
    subscribe(catalog, "2026-07-01", [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}])
    advance(catalog, "2026-08-01T00:00:00Z")
    july, august = invoices(catalog, kind="subscription")
    assert (july["wallet_applied"], july["amount_due"], july["status"]) == ("100.00", "0.00", "paid")
    assert (august["wallet_applied"], august["amount_due"], august["status"]) == ("50.00", "50.00", "issued")
    assert ok(catalog.get(f"/wallets/{wallet['id']}"))["current_balance"] == "0.00"
    txns = ok(catalog.get(f"/wallets/{wallet['id']}/transactions?sort=created_at:asc"))["data"]
    assert [(t["type"], t["direction"], t["amount"], t["balance_after"]) for t in txns] == [
        ("payment", "credit", "150.00", "150.00"),
        ("payment", "debit", "100.00", "50.00"),
        ("payment", "debit", "50.00", "0.00"),
    ]


def test_credits_expire_unused(kassa, catalog: TestClient) -> None:
    ok(catalog.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    grant = ok(catalog.post("/credit-grants", json={
        "customer_id": "wcqYrqfE", "amount": "50.00", "expires_at": "2026-08-15T00:00:00Z"}), 201)
    ran = [i for i in advance(catalog, "2026-09-01T00:00:00Z") if i["type"].startswith("credit_grant")]
    assert ran == [{"at": "2026-08-15T00:00:00Z", "type": "credit_grant.expired",
                    "grant_id": grant["id"], "unused": "50.00"}]
    after = ok(catalog.get(f"/credit-grants/{grant['id']}"))
    assert (after["status"], after["remaining"]) == ("expired", "0.00")
    assert ok(catalog.get("/customers/wcqYrqfE/credit-balance"))["monetary"] == []
    assert [d["expired_amount"] for d in event_data(kassa, "account.credits.expired")] == ["50.00"]


def test_credits_apply_by_expiry_then_priority_then_age(catalog: TestClient) -> None:
    ok(catalog.post("/clock/freeze", json={"at": "2026-06-01T00:00:00Z"}))
    grants = [
        ok(catalog.post("/credit-grants", json={"customer_id": "wcqYrqfE", **body}), 201)["id"]
        for body in [
            {"amount": "10.00", "priority": 1},
            {"amount": "10.00", "priority": 1},
            {"amount": "10.00", "priority": 5, "expires_at": "2026-12-01T00:00:00Z"},
            {"amount": "10.00", "priority": 0},
        ]
    ]
    subscribe(catalog, "2026-07-01", [{"product_id": sc.PLATFORM, "price": sc.fixed("25.00", "advance")}])
    remaining = [ok(catalog.get(f"/credit-grants/{g}"))["remaining"] for g in grants]
    # expiring first, then priority 0, then the older of the priority-1 grants (5.00 of it)
    assert remaining == ["5.00", "10.00", "0.00", "0.00"]


def test_rerunning_a_billing_date_creates_nothing(kassa, catalog: TestClient) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import update

    from kassa.clock import FixedClock
    from kassa.services.billing import run
    from kassa.store.tables import subscriptions

    sub = subscribe(catalog, "2026-07-01", [{"product_id": sc.PLATFORM, "price": sc.fixed("10.00", "advance")}])
    advance(catalog, "2026-08-01T00:00:00Z")
    assert len(invoices(catalog)) == 2
    # Force the subscription back to an already billed date: the unique key holds.
    with kassa.engine.begin() as conn:
        conn.execute(update(subscriptions).values(next_billing_at=datetime(2026, 8, 1, tzinfo=UTC)))
    ctx = kassa.ctx("sandbox").with_clock(FixedClock(datetime(2026, 8, 1, tzinfo=UTC)))
    assert run.run(ctx) == []
    assert len(invoices(catalog)) == 2
    assert ok(catalog.get(f"/subscriptions/{sub['id']}"))["status"] == "active"


def test_unit_credits_reduce_billed_usage(catalog: TestClient) -> None:
    unit = {"type": "unit", "billing_interval": "monthly", "fee_type": "metered",
            "billing_direction": "arrears", "metric_ids": [SUM_METRIC],
            "unit_pricing_model": {"price_per_unit": "0.10"}}
    ok(catalog.post("/clock/freeze", json={"at": "2026-06-30T00:00:00Z"}))
    grant = ok(catalog.post("/credit-grants", json={"customer_id": "wcqYrqfE", "type": "units",
                                                    "amount": "1500", "metric_id": SUM_METRIC}), 201)
    sub = subscribe(catalog, "2026-07-01", [{"product_id": sc.API_USAGE, "price": unit}])
    advance(catalog, "2026-07-20T00:00:00Z")
    send_usage(catalog, "wcqYrqfE", "calls", [("a", "2026-07-05T00:00:00Z", 1000)])
    upcoming = ok(catalog.get(f"/subscriptions/{sub['id']}/upcoming-invoice"))
    assert [(line["quantity"], line["amount"]) for line in upcoming["line_items"]] == [
        ("0", "0.00")]
    assert upcoming["line_items"][0]["details"]["unit_credits_applied"] == "1000"
    advance(catalog, "2026-08-20T00:00:00Z")
    send_usage(catalog, "wcqYrqfE", "calls", [("b", "2026-08-05T00:00:00Z", 1000)])
    # The preview spends nothing: 500 units of credit left, so 500 of the 1000 are billed.
    upcoming = ok(catalog.get(f"/subscriptions/{sub['id']}/upcoming-invoice"))
    assert [(line["quantity"], line["amount"]) for line in upcoming["line_items"]] == [
        ("500", "50.00")]
    assert ok(catalog.get(f"/credit-grants/{grant['id']}"))["remaining"] == "500"
    advance(catalog, "2026-09-01T00:00:00Z")
    july, august = invoices(catalog)
    assert lines(july) == [("usage", "2026-07-01", "2026-08-01", "0", "0.00")]
    assert july["line_items"][0]["details"]["unit_credits_applied"] == "1000"
    assert lines(august) == [("usage", "2026-08-01", "2026-09-01", "500", "50.00")]
    after = ok(catalog.get(f"/credit-grants/{grant['id']}"))
    assert (after["status"], after["remaining"]) == ("exhausted", "0")


def test_late_usage_is_measured_against_what_unit_credits_covered(catalog: TestClient) -> None:
    """July's 1000 units were all covered by credit (billed 0). 700 late July units: only those
    are late (not 1700), and the 500 units of credit left cover part of them."""
    unit = {"type": "unit", "billing_interval": "monthly", "fee_type": "metered",
            "billing_direction": "arrears", "metric_ids": [SUM_METRIC],
            "unit_pricing_model": {"price_per_unit": "0.10"}}
    ok(catalog.post("/clock/freeze", json={"at": "2026-06-30T00:00:00Z"}))
    grant = ok(catalog.post("/credit-grants", json={"customer_id": "wcqYrqfE", "type": "units",
                                                    "amount": "1500", "metric_id": SUM_METRIC}), 201)
    subscribe(catalog, "2026-07-01", [{"product_id": sc.API_USAGE, "price": unit}])
    advance(catalog, "2026-07-20T00:00:00Z")
    send_usage(catalog, "wcqYrqfE", "calls", [("a", "2026-07-05T00:00:00Z", 1000)])
    advance(catalog, "2026-08-05T00:00:00Z")
    send_usage(catalog, "wcqYrqfE", "calls", [("late", "2026-07-30T00:00:00Z", 700)])
    advance(catalog, "2026-09-01T00:00:00Z")
    july, august = invoices(catalog)
    assert lines(july) == [("usage", "2026-07-01", "2026-08-01", "0", "0.00")]
    assert lines(august) == [("usage", "2026-08-01", "2026-09-01", "0", "0.00"),
                             ("adjustment", "2026-07-01", "2026-08-01", "200", "20.00")]
    assert august["line_items"][1]["details"] == {
        "late_usage": True, "billed_quantity": "0", "actual_quantity": "1700",
        "unit_credits_applied": "500"}
    after = ok(catalog.get(f"/credit-grants/{grant['id']}"))
    assert (after["status"], after["remaining"]) == ("exhausted", "0")


def test_voiding_an_invoice_gives_back_the_unit_credits_it_used(catalog: TestClient) -> None:
    """Monetary credit came back on void, unit credit did not: it was consumed for no invoice."""
    unit = {"type": "unit", "billing_interval": "monthly", "fee_type": "metered",
            "billing_direction": "arrears", "metric_ids": [SUM_METRIC],
            "unit_pricing_model": {"price_per_unit": "0.10"}}
    ok(catalog.post("/clock/freeze", json={"at": "2026-06-30T00:00:00Z"}))
    grant = ok(catalog.post("/credit-grants", json={"customer_id": "wcqYrqfE", "type": "units",
                                                    "amount": "1500", "metric_id": SUM_METRIC}), 201)
    subscribe(catalog, "2026-07-01", [{"product_id": sc.API_USAGE, "price": unit}])
    advance(catalog, "2026-07-20T00:00:00Z")
    send_usage(catalog, "wcqYrqfE", "calls", [("a", "2026-07-05T00:00:00Z", 2000)])
    advance(catalog, "2026-08-01T00:00:00Z")
    [july] = invoices(catalog)
    assert lines(july) == [("usage", "2026-07-01", "2026-08-01", "500", "50.00")]
    assert ok(catalog.get(f"/credit-grants/{grant['id']}"))["status"] == "exhausted"
    ok(catalog.post(f"/invoices/{july['id']}/void"))
    after = ok(catalog.get(f"/credit-grants/{grant['id']}"))
    assert (after["status"], after["remaining"]) == ("active", "1500")
    assert ok(catalog.get("/customers/wcqYrqfE/credit-balance"))["units"] == [
        {"metric_id": SUM_METRIC, "amount": "1500"}]
