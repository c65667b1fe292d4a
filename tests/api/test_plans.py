"""Plans and bundles: full prices validated, defaults carried into subscriptions, and existing
subscriptions untouched by later plan edits."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok


@pytest.fixture
def catalog(api: TestClient) -> TestClient:
    sc.build(api)
    return api


def test_plan_defaults_flow_into_subscriptions(catalog: TestClient) -> None:
    plan = ok(catalog.post("/plans", json={
        "name": "Growth", "currency": "USD",
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("300.00", "advance")}],
        "contract": {"period_type": "fixed", "duration_months": 24},
        "billing": {"payment_terms": "net_45", "auto_pay_invoices": True},
        "renewal": {"auto_renew": False},
    }), 201)
    assert plan["id"].startswith("pln_") and len(plan["id"]) == 4 + 22
    sub = ok(catalog.post("/subscriptions", json={"customer_id": "wcqYrqfE", "plan_id": plan["id"]}), 201)
    assert sub["contract"]["duration_months"] == 24 and sub["contract"]["period_type"] == "fixed"
    assert sub["billing"]["payment_terms"] == "net_45" and sub["billing"]["auto_pay_invoices"] is True
    assert sub["renewal"]["auto_renew"] is False
    assert sub["name"] == "Growth"
    # Editing the plan later changes nothing for the subscription.
    ok(catalog.patch(f"/plans/{plan['id']}", json={
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("350.00", "advance")}]}))
    items = ok(catalog.get(f"/subscriptions/{sub['id']}/versions"))["data"][0]["items"]
    assert items[0]["price"]["fixed_pricing_model"]["price_per_unit"] == "300.00"
    newer = ok(catalog.post("/subscriptions", json={"customer_id": "wcqYrqfE", "plan_id": plan["id"]}), 201)
    items = ok(catalog.get(f"/subscriptions/{newer['id']}/versions"))["data"][0]["items"]
    assert items[0]["price"]["fixed_pricing_model"]["price_per_unit"] == "350.00"
    # An archived plan sells no more.
    ok(catalog.delete(f"/plans/{plan['id']}"))
    r = catalog.post("/subscriptions", json={"customer_id": "wcqYrqfE", "plan_id": plan["id"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "plan_id"
    # Nor through a plan swap on a live subscription.
    other = ok(catalog.post("/subscriptions", json={
        "customer_id": "wcqYrqfE", "currency": "USD", "auto_activate": True,
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("1.00")}]}), 201)
    r = catalog.post(f"/subscriptions/{other['id']}/changes", json={"plan_id": plan["id"]})
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "field": "plan_id", "message": f"Plan {plan['id']} is archived."}
    assert [p["id"] for p in ok(catalog.get("/plans?archived=true"))["data"]] == [plan["id"]]


def test_plan_validation(catalog: TestClient) -> None:
    base = {"name": "X", "currency": "USD",
            "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("1.00")}]}
    cases = [
        ({**base, "currency": "usd"}, 201, None),
        ({**base, "items": []}, 422, "items"),
        ({**base, "currency": "XXX"}, 422, "currency"),
        ({**base, "items": [{"product_id": "prod_ghost", "price": sc.fixed("1.00")}]}, 422, "items[0].product_id"),
        ({**base, "items": [{"product_id": sc.PLATFORM, "price": {**sc.fixed("1.00"), "type": "tiered"}}]},
         422, "items[0].price.fixed_pricing_model"),
        ({**base, "items": [{"product_id": sc.API_USAGE, "price": {**sc.GRADUATED_API, "metric_ids": ["mtr_ghost"]}}]},
         422, "items[0].price.metric_ids[0]"),
        ({**base, "contract": {"period_type": "fixed"}}, 422, "contract.duration_months"),
        ({**base, "id": "bnd_wrongprefix"}, 422, "id"),
    ]
    for body, status, field in cases:
        r = catalog.post("/plans", json=body)
        assert r.status_code == status, (body, r.text)
        if field:
            assert r.json()["errors"][0]["field"] == field, r.json()


def test_bundle_crud_and_validation(catalog: TestClient) -> None:
    bundle = ok(catalog.get(f"/bundles/{sc.BUNDLE}"))
    assert [c["product_id"] for c in bundle["items"]] == [sc.PLATFORM, sc.SEATS]
    updated = ok(catalog.patch(f"/bundles/{sc.BUNDLE}", json={"name": "Team+", "metadata": {"tier": "2"}}))
    assert (updated["name"], updated["metadata"]) == ("Team+", {"tier": "2"})
    r = catalog.post("/bundles", json={"name": "Empty", "items": []})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "items"
    r = catalog.post("/bundles", json={"name": "Dup", "items": [
        {"product_id": sc.SEATS, "price": sc.per_seat("1.00")},
        {"product_id": sc.SEATS, "price": sc.per_seat("2.00")}]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "items[1].product_id"
    r = catalog.post("/bundles", json={"id": sc.BUNDLE, "name": "Again",
                                       "items": [{"product_id": sc.SEATS, "price": sc.per_seat("1.00")}]})
    assert r.status_code == 409
    assert catalog.get("/bundles/bnd_nope").status_code == 404
    assert ok(catalog.delete(f"/bundles/{sc.BUNDLE}"))["archived_at"] is not None
    r = catalog.post("/subscriptions", json={"customer_id": "wcqYrqfE", "currency": "USD",
                                             "items": [{"bundle_id": sc.BUNDLE}]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "items[0].bundle_id"
