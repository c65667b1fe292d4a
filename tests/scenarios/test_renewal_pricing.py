"""Renewal pricing (FAQ: "on renewal, configure whether to update pricing in the subscription's
contract terms"): plans keep the history of their item sets; a subscription whose
``renewal.pricing`` is ``plan_latest`` renews onto its plan's current items (its own overrides
kept, named in the new version's description, ``subscription.version.updated``); ``keep`` (the
default) bills the price it had."""

from __future__ import annotations

from sqlalchemy import select

from kassa.store.tables import outbox_events
from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import advance, invoices, lines, summary
from tests.scenarios.seed_catalog import ok

PLAN = "pln_renewalPricingPlan00001"


def _plan(api) -> None:
    sc.build(api)
    ok(api.post("/plans", json={
        "id": PLAN, "name": "Growth", "currency": "USD",
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")},
                  {"product_id": sc.SUPPORT, "price": sc.fixed("50.00", "advance")}],
        "contract": {"period_type": "fixed", "duration_months": 2}}), 201)


def _billed(invoice: dict) -> tuple[str, str]:
    issue_date, _status, total, _due = summary(invoice)
    return issue_date, total


def _subscribe(api, customer: str, renewal: dict, items: list | None = None) -> dict:
    body = {"customer_id": customer, "plan_id": PLAN, "auto_activate": True,
            "contract": {"period_type": "fixed", "duration_months": 2, "start_date": "2026-01-01"},
            "renewal": renewal}
    if items:
        body["items"] = items
    return ok(api.post("/subscriptions", json=body), 201)


def test_keep_bills_the_old_price_and_plan_latest_the_new_one_from_the_renewal(
    api, kassa
) -> None:
    ok(api.post("/clock/freeze", json={"at": "2026-01-01T00:00:00Z"}))
    _plan(api)
    kept = _subscribe(api, "wcqYrqfE", {"auto_renew": True})
    assert "pricing" not in kept["renewal"]  # absent: keep
    latest = _subscribe(api, "AcBigCo12", {"auto_renew": True, "pricing": "plan_latest"},
                        items=[{"product_id": sc.SUPPORT, "price": sc.fixed("40.00", "advance")}])
    assert latest["renewal"]["pricing"] == "plan_latest"
    advance(api, "2026-02-10T00:00:00Z")
    ok(api.patch(f"/plans/{PLAN}", json={"items": [
        {"product_id": sc.PLATFORM, "price": sc.fixed("120.00", "advance")},
        {"product_id": sc.SUPPORT, "price": sc.fixed("60.00", "advance")}]}))
    history = ok(api.get(f"/plans/{PLAN}/versions"))["data"]
    assert [(v["number"], v["items"][0]["price"]["fixed_pricing_model"]["price_per_unit"])
            for v in history] == [(1, "100.00"), (2, "120.00")]
    advance(api, "2026-03-02T00:00:00Z")

    assert [_billed(i) for i in invoices(api, subscription_id=kept["id"])] == [
        ("2026-01-01", "150.00"), ("2026-02-01", "150.00"), ("2026-03-01", "150.00")]
    repriced = invoices(api, subscription_id=latest["id"])
    assert [_billed(i) for i in repriced] == [
        ("2026-01-01", "140.00"), ("2026-02-01", "140.00"), ("2026-03-01", "160.00")]
    assert [(ln[1], ln[2], ln[4]) for ln in lines(repriced[2])] == [
        ("2026-03-01", "2026-04-01", "120.00"), ("2026-03-01", "2026-04-01", "40.00")]

    versions = ok(api.get(f"/subscriptions/{latest['id']}/versions"))["data"]
    assert [(v["number"], v["status"], v["effective_at"]) for v in versions] == [
        (1, "published", "2026-01-01T00:00:00Z"), (2, "published", "2026-03-01T00:00:00Z")]
    assert versions[1]["description"] == (
        f"Renewal on 2026-03-01 at plan {PLAN}'s current prices (plan version 2); the "
        f"subscription's own overrides kept: product {sc.SUPPORT}")
    assert ok(api.get(f"/subscriptions/{latest['id']}"))["current_version_id"] == versions[1]["id"]
    assert len(ok(api.get(f"/subscriptions/{kept['id']}/versions"))["data"]) == 1
    with kassa.engine.connect() as conn:
        updated = [row.data for row in conn.execute(select(outbox_events).where(
            outbox_events.c.type == "subscription.version.updated"))]
    assert [(e["id"], e["version"]["number"], e["version"]["effective_at"]) for e in updated] == [
        (latest["id"], 2, "2026-03-01T00:00:00Z")]


def test_plan_latest_with_unchanged_plan_publishes_nothing_and_patch_sets_it(api) -> None:
    ok(api.post("/clock/freeze", json={"at": "2026-01-01T00:00:00Z"}))
    _plan(api)
    sub = _subscribe(api, "wcqYrqfE", {"auto_renew": True})
    patched = ok(api.patch(f"/subscriptions/{sub['id']}", json={"renewal": {"pricing": "plan_latest"}}))
    assert patched["renewal"] == {**sub["renewal"], "pricing": "plan_latest"}
    r = api.patch(f"/subscriptions/{sub['id']}", json={"renewal": {"pricing": "newest"}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "renewal.pricing"
    advance(api, "2026-03-02T00:00:00Z")
    assert len(ok(api.get(f"/subscriptions/{sub['id']}/versions"))["data"]) == 1
    assert [summary(i)[2] for i in invoices(api, subscription_id=sub["id"])] == [
        "150.00", "150.00", "150.00"]
