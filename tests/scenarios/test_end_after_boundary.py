"""An end a little after a billing boundary bills nothing twice: the boundary billed the period
that ended, the end bills only what came after it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok


def test_a_cancellation_an_hour_after_a_boundary_bills_the_period_once(api: TestClient) -> None:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-01-01T00:00:00Z"}))
    price = {**sc.fixed("100.00"), "billing_direction": "arrears"}
    sub = ok(api.post("/subscriptions", json={
        "customer_id": "wcqYrqfE", "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-01-01"},
        "items": [{"product_id": sc.PLATFORM, "price": price}]}), 201)
    ok(api.post("/clock/advance", json={"to": "2026-02-01T01:00:00Z"}))
    ok(api.post(f"/subscriptions/{sub['id']}/cancel",
                json={"timing": "immediate", "reason": "other"}))
    ok(api.post("/clock/advance", json={"to": "2026-03-01T00:00:00Z"}))
    invoices = ok(api.get(f"/invoices?subscription_id={sub['id']}"))["data"]
    billed = sorted((i["billing_period_start"], i["billing_period_end"], i["total"])
                    for i in invoices if i["total"] != "0.00")
    assert billed == [("2026-01-01", "2026-02-01", "100.00")]
