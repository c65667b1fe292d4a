"""Proration follows the price actually billed: a mid-period upgrade of an escalated price with
a price-level and a subscription discount credits and charges the days at the discounted,
escalated rates the period's invoice billed, and so does a pause."""

from __future__ import annotations

from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import advance, invoices, lines
from tests.scenarios.seed_catalog import ok

PRICE_DISCOUNT = {"type": "percentage", "amount": "20", "duration_type": "forever"}


def _subscribe(api) -> dict:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-01-01T00:00:00Z"}))
    return ok(api.post("/subscriptions", json={
        "customer_id": "wcqYrqfE", "currency": "USD", "auto_activate": True,
        "billing": {"payment_terms": "net_30"},
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-01-01"},
        "discount": {"type": "percentage", "amount": "10", "duration_type": "forever"},
        "price_escalation": {"enabled": True, "type": "percentage", "percentage": "10",
                             "interval_months": 1},
        "items": [{"product_id": sc.PLATFORM,
                   "price": {**sc.fixed("100.00", "advance"), "discount": PRICE_DISCOUNT}}]}),
        201)


def _kinds(invoice: dict) -> list[tuple[str, str]]:
    return [(line["kind"], line["amount"]) for line in invoice["line_items"]]


def test_an_upgrade_prorates_the_escalated_discounted_prices(api) -> None:
    sub = _subscribe(api)
    advance(api, "2026-02-15T00:00:00Z")
    ok(api.post(f"/subscriptions/{sub['id']}/changes", json={
        "update": [{"product_id": sc.PLATFORM,
                    "adjust": {"fixed_pricing_model": {"price_per_unit": "200.00"}}}],
        "effective": "immediate"}), 201)
    january, february, proration = invoices(api)
    assert _kinds(january) == [("fixed", "100.00"), ("discount", "-20.00"), ("discount", "-10.00")]
    # February: 100.00 escalated once by 10% is 110.00, less 22.00 and 11.00: 77.00 billed.
    assert (_kinds(february), february["total"]) == (
        [("fixed", "110.00"), ("discount", "-22.00"), ("discount", "-11.00")], "77.00")
    # 14 of February's 28 days: credit 14 x 2.75 (77.00 / 28) and charge 14 x 5.50 (200.00
    # escalated to 220.00, less 44.00 and 22.00: 154.00 / 28); the list price would have made
    # 14 x 3.57 and 14 x 7.14.
    assert proration["kind"] == "proration"
    assert lines(proration) == [("proration", "2026-02-15", "2026-03-01", None, "-38.50"),
                                ("proration", "2026-02-15", "2026-03-01", None, "77.00")]
    assert [ln["details"]["daily_rate"] for ln in proration["line_items"]] == ["2.75", "5.50"]
    assert (proration["subtotal"], proration["discount"], proration["total"]) == (
        "38.50", "0.00", "38.50")
    advance(api, "2026-03-01T00:00:00Z")
    march = invoices(api)[-1]  # 200.00 x 1.21 = 242.00, less 48.40 and 24.20
    assert (_kinds(march), march["total"]) == (
        [("fixed", "242.00"), ("discount", "-48.40"), ("discount", "-24.20")], "169.40")


def test_a_pause_credits_the_days_at_the_billed_rate(api) -> None:
    sub = _subscribe(api)
    advance(api, "2026-02-15T00:00:00Z")
    ok(api.post(f"/subscriptions/{sub['id']}/pause", json={}))
    balance = ok(api.get("/customers/wcqYrqfE/credit-balance"))["monetary"]
    assert balance == [{"currency": "USD", "amount": "38.50"}]  # 14 x 2.75, not 14 x 3.57
