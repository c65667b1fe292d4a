"""Discounts, spend limits, price escalation and tax on real invoices."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import advance, invoices, lines, send_usage
from tests.scenarios.seed_catalog import ok

METRIC = "mtr_calls"
UNIT = {"type": "unit", "billing_interval": "monthly", "fee_type": "metered",
        "billing_direction": "arrears", "metric_ids": [METRIC],
        "unit_pricing_model": {"price_per_unit": "1.00"}}


@pytest.fixture
def catalog(api: TestClient) -> TestClient:
    sc.build(api)
    ok(api.post("/metrics", json={"id": METRIC, "name": "Calls", "event_name": "calls",
                                  "aggregation": {"method": "sum", "field": "calls"}}), 201)
    ok(api.patch(f"/products/{sc.API_USAGE}", json={"metric_ids": [METRIC]}))
    ok(api.post("/clock/freeze", json={"at": "2026-01-01T00:00:00Z"}))
    return api


def subscribe(api: TestClient, items: list, **extra) -> dict:
    body = {"customer_id": "wcqYrqfE", "currency": "USD", "items": items, "auto_activate": True,
            "billing": {"payment_terms": "net_30"},
            "contract": {"period_type": "monthly_rolling", "start_date": "2026-01-01"}, **extra}
    return ok(api.post("/subscriptions", json=body), 201)


def kinds_and_amounts(invoice: dict) -> list[tuple[str, str]]:
    return [(line["kind"], line["amount"]) for line in invoice["line_items"]]


def test_limited_percentage_discount_then_full_price(catalog: TestClient) -> None:
    subscribe(catalog, [{"product_id": sc.PLATFORM, "price": sc.fixed("200.00", "advance")}],
              discount={"type": "percentage", "amount": "25", "duration_type": "limited",
                        "duration_value": 2})
    advance(catalog, "2026-03-01T00:00:00Z")
    got = [(i["issue_date"], kinds_and_amounts(i), i["discount"], i["total"]) for i in invoices(catalog)]
    assert got == [
        ("2026-01-01", [("fixed", "200.00"), ("discount", "-50.00")], "50.00", "150.00"),
        ("2026-02-01", [("fixed", "200.00"), ("discount", "-50.00")], "50.00", "150.00"),
        ("2026-03-01", [("fixed", "200.00")], "0.00", "200.00"),
    ]


def test_price_level_fixed_discount(catalog: TestClient) -> None:
    price = {**sc.fixed("120.00", "advance"), "discount": {"type": "fixed_amount", "amount": "20.00"}}
    subscribe(catalog, [{"product_id": sc.PLATFORM, "price": price}])
    [invoice] = invoices(catalog)
    assert kinds_and_amounts(invoice) == [("fixed", "120.00"), ("discount", "-20.00")]
    assert invoice["line_items"][1]["product_id"] == sc.PLATFORM
    assert (invoice["subtotal"], invoice["discount"], invoice["total"]) == ("120.00", "20.00", "100.00")


def test_minimum_spend_tops_up_and_maximum_caps(catalog: TestClient) -> None:
    subscribe(catalog, [{"product_id": sc.API_USAGE, "price": UNIT}],
              minimum_spend={"amount": "100.00", "period": "monthly"},
              maximum_spend={"amount": "500.00", "period": "monthly"})
    advance(catalog, "2026-01-20T00:00:00Z")
    send_usage(catalog, "wcqYrqfE", "calls", [("jan", "2026-01-10T00:00:00Z", 40)])
    advance(catalog, "2026-02-20T00:00:00Z")
    send_usage(catalog, "wcqYrqfE", "calls", [("feb", "2026-02-10T00:00:00Z", 900)])
    advance(catalog, "2026-03-01T00:00:00Z")
    january, february = invoices(catalog)
    assert kinds_and_amounts(january) == [("usage", "40.00"), ("minimum_spend", "60.00")]
    assert january["total"] == "100.00"
    assert kinds_and_amounts(february) == [("usage", "900.00"), ("maximum_spend", "-400.00")]
    assert february["total"] == "500.00"


def test_price_escalation_compounds_yearly(catalog: TestClient) -> None:
    yearly = {**sc.fixed("1000.00", "advance"), "billing_interval": "yearly"}
    subscribe(catalog, [{"product_id": sc.PLATFORM, "price": yearly}],
              price_escalation={"percentage": "10", "interval_months": 12})
    advance(catalog, "2028-01-01T00:00:00Z")
    assert [(i["issue_date"], i["total"]) for i in invoices(catalog)] == [
        ("2026-01-01", "1000.00"), ("2027-01-01", "1100.00"), ("2028-01-01", "1210.00"),
    ]


def test_escalation_leaves_metered_rates_unless_asked(catalog: TestClient) -> None:
    subscribe(catalog, [{"product_id": sc.API_USAGE, "price": UNIT}],
              price_escalation={"percentage": "50", "interval_months": 1,
                                "escalate_metered_unit_rates": False})
    advance(catalog, "2026-02-15T00:00:00Z")
    send_usage(catalog, "wcqYrqfE", "calls", [("feb", "2026-02-10T00:00:00Z", 10)])
    advance(catalog, "2026-03-01T00:00:00Z")
    assert [i["total"] for i in invoices(catalog)] == ["0.00", "10.00"]


def test_tax_from_the_customer_rate_and_exemption(catalog: TestClient) -> None:
    ok(catalog.patch("/customers/wcqYrqfE", json={"tax_rate": "19.00"}))
    subscribe(catalog, [{"product_id": sc.PLATFORM, "price": sc.fixed("99.99", "advance")}],
              discount={"type": "fixed_amount", "amount": "9.99"})
    [invoice] = invoices(catalog)
    assert kinds_and_amounts(invoice) == [("fixed", "99.99"), ("discount", "-9.99"), ("tax", "17.10")]
    assert (invoice["subtotal"], invoice["discount"], invoice["tax"], invoice["total"]) == (
        "99.99", "9.99", "17.10", "107.10")
    ok(catalog.patch("/customers/wcqYrqfE", json={"tax_exempt": True}))
    advance(catalog, "2026-02-01T00:00:00Z")
    assert invoices(catalog)[-1]["tax"] == "0.00"


def test_zero_and_three_decimal_currencies(catalog: TestClient) -> None:
    ok(catalog.post("/customers", json={"id": "tokyo1", "name": "Tokyo KK", "currency": "JPY"}), 201)
    ok(catalog.post("/subscriptions", json={
        "customer_id": "tokyo1", "currency": "JPY", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-01-01"},
        "items": [{"product_id": sc.SEATS, "price": sc.per_seat("1234.5", "advance"), "quantity": 3}],
    }), 201)
    [invoice] = invoices(catalog, customer_id="tokyo1")
    assert invoice["total"] == "3704" and lines(invoice)[0][4] == "3704"


def test_proration_invoices_carry_tax(catalog: TestClient) -> None:
    ok(catalog.patch("/customers/wcqYrqfE", json={"tax_rate": "10"}))
    ok(catalog.post("/clock/freeze", json={"at": "2026-06-01T00:00:00Z"}))
    sub = ok(catalog.post("/subscriptions", json={
        "customer_id": "wcqYrqfE", "currency": "USD", "auto_activate": True,
        "billing": {"payment_terms": "net_30"},
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-06-01"},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("99.00", "advance")}],
    }), 201)
    advance(catalog, "2026-06-16T00:00:00Z")
    ok(catalog.post(f"/subscriptions/{sub['id']}/changes", json={"update": [
        {"product_id": sc.PLATFORM, "adjust": {"fixed_pricing_model": {"price_per_unit": "199.00"}}}]}), 201)
    proration = invoices(catalog)[-1]
    assert kinds_and_amounts(proration) == [("proration", "-49.50"), ("proration", "99.45"), ("tax", "5.00")]
    assert proration["total"] == "54.95"
