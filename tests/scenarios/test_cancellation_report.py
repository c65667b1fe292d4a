"""GET /reports/cancellations (issue 16, "Cancellation reasons report"): the subscriptions that
ended each month, per documented reason, with the MRR they took with them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import advance
from tests.scenarios.seed_catalog import ok


def _subscribe(api: TestClient, amount: str, *, activate: bool = True) -> dict:
    return ok(api.post("/subscriptions", json={
        "customer_id": "wcqYrqfE", "currency": "USD", "auto_activate": activate,
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-07-01"},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed(amount, "advance")}]}), 201)


def _reasons(month: dict) -> dict[str, tuple[int, list]]:
    return {r["reason"]: (r["canceled"], r["lost_mrr"]) for r in month["reasons"]
            if r["canceled"]}


def test_cancellations_per_month_and_reason_with_the_mrr_lost(api: TestClient) -> None:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    now_pricing, later_features, plain = (_subscribe(api, a) for a in ("99.00", "199.00", "50.00"))
    never = _subscribe(api, "10.00", activate=False)
    advance(api, "2026-07-10T00:00:00Z")
    ok(api.post(f"/subscriptions/{now_pricing['id']}/cancel",
                json={"timing": "immediate", "reason": "pricing"}))
    ok(api.post(f"/subscriptions/{plain['id']}/cancel", json={"timing": "immediate"}))
    ok(api.post(f"/subscriptions/{later_features['id']}/cancel",
                json={"timing": "end_of_term", "reason": "features"}))
    ok(api.post(f"/subscriptions/{never['id']}/cancel", json={"timing": "immediate"}))
    advance(api, "2026-08-02T00:00:00Z")  # the scheduled one takes effect on August 1

    report = ok(api.get("/reports/cancellations?from=2026-07-01&to=2026-08-31"))
    july, august = report["data"]
    assert (july["month"], july["start"], july["end"]) == ("2026-07", "2026-07-01", "2026-08-01")
    assert july["canceled"] == 2
    assert july["lost_mrr"] == [{"currency": "USD", "amount": "149.00"}]
    assert _reasons(july) == {"pricing": (1, [{"currency": "USD", "amount": "99.00"}]),
                              "other": (1, [{"currency": "USD", "amount": "50.00"}])}
    assert august["canceled"] == 1
    assert _reasons(august) == {"features": (1, [{"currency": "USD", "amount": "199.00"}])}
    assert [r["reason"] for r in august["reasons"]] == [
        "no_longer_required", "moving_provider", "pricing", "support", "features", "upgraded",
        "other"]

    for query, field in (("from=2026-08-01&to=2026-07-01", "to"),
                         ("from=2020-01-01&to=2026-08-01", "to"), ("from=july&to=2026-08-01", "from")):
        r = api.get(f"/reports/cancellations?{query}")
        assert r.status_code == 422, query
        assert r.json()["errors"][0]["field"] == field
