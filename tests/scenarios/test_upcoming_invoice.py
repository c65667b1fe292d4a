"""The upcoming invoice is what the billing run will bill at the next boundary, to the cent."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import advance, invoices, send_usage
from tests.scenarios.seed_catalog import ok

CUSTOMER = "wcqYrqfE"


def billed(invoice: dict) -> tuple:
    """What an invoice bills: kind, dates, amounts and each line."""
    return (
        invoice["kind"], invoice["currency"], invoice["billing_period_start"],
        invoice["billing_period_end"], invoice["subtotal"], invoice["tax"], invoice["total"],
        invoice["credits_applied"],
        [(line["kind"], line["description"], line["period_start"], line["period_end"],
          line["quantity"], line["amount"]) for line in invoice["line_items"]],
    )


@pytest.fixture
def subscribed(api: TestClient) -> dict:
    """From 2026-11-01: 50.00 a month in advance, 20.00 in arrears and graduated calls; on
    2026-11-10, 20,000 calls so far."""
    sc.build(api)
    ok(api.post("/metrics", json={"id": "mtr_calls", "name": "Calls", "event_name": "calls",
                                  "aggregation": {"method": "sum", "field": "calls"}}), 201)
    ok(api.patch(f"/customers/{CUSTOMER}", json={"tax_rate": "10"}))
    ok(api.post("/clock/freeze", json={"at": "2026-11-01T00:00:00Z"}))
    sub = ok(api.post("/subscriptions", json={
        "customer_id": CUSTOMER, "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-11-01"},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("50.00", "advance")},
                  {"product_id": sc.SUPPORT, "price": sc.fixed("20.00", "arrears")},
                  {"product_id": sc.API_USAGE,
                   "price": {**sc.GRADUATED_API, "metric_ids": ["mtr_calls"]}}],
    }), 201)
    advance(api, "2026-11-10T00:00:00Z")
    send_usage(api, CUSTOMER, "calls", [("nov", "2026-11-05T00:00:00Z", 20000)])
    return sub


@pytest.mark.parametrize(("timing", "boundary"), [
    ("end_of_term", "2026-12-01T00:00:00Z"),
    ("2026-11-20", "2026-11-20T00:00:00Z"),
])
def test_upcoming_invoice_after_a_scheduled_cancellation_is_the_final_invoice(
        api: TestClient, subscribed: dict, timing: str, boundary: str) -> None:
    sub_id = subscribed["id"]
    ok(api.post(f"/subscriptions/{sub_id}/cancel", json={"timing": timing}))
    upcoming = ok(api.get(f"/subscriptions/{sub_id}/upcoming-invoice"))
    assert upcoming["billing_date"] == boundary
    advance(api, "2026-12-15T00:00:00Z")
    first, final = invoices(api)
    assert final["kind"] == "final" and final["issue_date"] == boundary[:10]
    assert billed(upcoming) == billed(final)
    # No advance fee for a period after the cancellation.
    assert [line for line in upcoming["line_items"]
            if line["description"].startswith("Platform fee")] == []


def test_upcoming_invoice_without_cancellation_is_the_next_invoice(
        api: TestClient, subscribed: dict) -> None:
    upcoming = ok(api.get(f"/subscriptions/{subscribed['id']}/upcoming-invoice"))
    advance(api, "2026-12-01T00:00:00Z")
    assert billed(upcoming) == billed(invoices(api)[-1])
    assert upcoming["total"] == "407.00"  # 300.00 of calls, 20.00 arrears, 50.00 advance, 10% tax
