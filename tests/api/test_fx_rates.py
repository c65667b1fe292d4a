"""Multi-currency through HTTP: POST/GET /fx-rates, Settings → Currencies, currency_options on
prices, and what a missing rate refuses (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.scenarios.seed_catalog import ok

RATE = {"base": "EUR", "quote": "USD", "rate": "1.0830", "valid_from": "2026-01-01"}


def error(response, status: int = 422) -> tuple[str | None, str]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    return (body["errors"][0]["field"] if body.get("errors") else None), body["detail"]


def test_a_manual_rate_is_stored_listed_and_never_changed(api: TestClient) -> None:
    made = ok(api.post("/fx-rates", json={**RATE, "base": "eur"}), 201)
    assert made["id"].startswith("fxr_")
    assert {k: made[k] for k in ("base", "quote", "rate", "valid_from", "source")} == {
        "base": "EUR", "quote": "USD", "rate": "1.0830", "valid_from": "2026-01-01",
        "source": "manual"}
    field, detail = error(api.post("/fx-rates", json={**RATE, "rate": "1.1"}), 409)
    assert "exists already" in detail
    ok(api.post("/fx-rates", json={**RATE, "valid_from": "2026-02-01", "rate": "1.1"}), 201)
    ok(api.post("/fx-rates", json={"base": "EUR", "quote": "JPY", "rate": "162.35",
                                   "valid_from": "2026-01-15"}), 201)
    page = ok(api.get("/fx-rates?sort=valid_from:asc"))
    assert [(r["quote"], r["rate"]) for r in page["data"]] == [
        ("USD", "1.0830"), ("JPY", "162.35"), ("USD", "1.1")]
    assert page["pagination"] == {"per_page": 20, "total_pages": 1, "total": 3}
    usd = ok(api.get("/fx-rates?quote=usd&limit=1"))
    assert usd["pagination"] == {"per_page": 1, "total_pages": 2, "total": 2}
    assert [r["rate"] for r in usd["data"]] == ["1.1"]  # newest first by default
    assert error(api.get("/fx-rates?sort=rate:asc"))[0] == "sort"
    assert error(api.get("/fx-rates?colour=red"))[0] == "colour"


@pytest.mark.parametrize(("body", "field"), [
    ({**RATE, "rate": 1.08}, "rate"),
    ({**RATE, "rate": "0"}, "rate"),
    ({**RATE, "rate": "-1.2"}, "rate"),
    ({**RATE, "rate": "abc"}, "rate"),
    ({**RATE, "rate": "NaN"}, "rate"),
    ({**RATE, "rate": "1e3"}, "rate"),
    ({**RATE, "rate": "1000000000"}, "rate"),
    ({**RATE, "rate": "0.0000000000001"}, "rate"),
    ({**RATE, "base": "XYZ"}, "base"),
    ({**RATE, "quote": "EUR"}, "quote"),
    ({**RATE, "valid_from": "2026-13-01"}, "valid_from"),
    ({**RATE, "valid_from": "2026-01-01T00:00:00Z"}, "valid_from"),
    ({**RATE, "extra": 1}, "extra"),
    ({k: v for k, v in RATE.items() if k != "rate"}, "rate"),
])
def test_bad_rates_are_a_422_naming_the_field(api: TestClient, body: dict, field: str) -> None:
    assert error(api.post("/fx-rates", json=body))[0] == field


def test_rates_belong_to_their_environment(api: TestClient, prod_api: TestClient) -> None:
    ok(api.post("/fx-rates", json=RATE), 201)
    assert ok(prod_api.get("/fx-rates"))["data"] == []
    ok(prod_api.post("/fx-rates", json=RATE), 201)  # no clash with the sandbox's


def test_currency_settings_default_patch_and_reset(api: TestClient, prod_api: TestClient) -> None:
    assert ok(api.get("/settings/currencies")) == {
        "base_currency": "USD", "settlement_currency": "USD", "updated_at": None}
    changed = ok(api.patch("/settings/currencies", json={"base_currency": "eur"}))
    assert (changed["base_currency"], changed["settlement_currency"]) == ("EUR", "EUR")
    assert changed["updated_at"] is not None
    # New customers default to the base currency; one naming its own keeps it.
    assert ok(api.post("/customers", json={"name": "Berlin"}), 201)["currency"] == "EUR"
    assert ok(api.post("/customers", json={"name": "NYC", "currency": "USD"}), 201)[
        "currency"] == "USD"
    both = ok(api.patch("/settings/currencies", json={"settlement_currency": "GBP"}))
    assert (both["base_currency"], both["settlement_currency"]) == ("EUR", "GBP")
    reset = ok(api.patch("/settings/currencies", json={"base_currency": None}))
    assert (reset["base_currency"], reset["settlement_currency"]) == ("USD", "GBP")
    assert ok(prod_api.get("/settings/currencies"))["base_currency"] == "USD"
    assert ok(prod_api.post("/customers", json={"name": "Prod"}), 201)["currency"] == "USD"
    for body, field in (({"base_currency": "XXX"}, "base_currency"),
                        ({"settlement_currency": 3}, "settlement_currency"),
                        ({}, "body"), ({"colour": "red"}, "colour")):
        assert error(api.patch("/settings/currencies", json=body))[0] == field


PLATFORM = "prod_platform"


@pytest.fixture
def plan(api: TestClient) -> str:
    ok(api.post("/products", json={"id": PLATFORM, "name": "Platform", "fee_type": "fixed",
                                   "billing_frequency": "recurring"}), 201)
    ok(api.post("/customers", json={"id": "eurCust1", "name": "EU", "currency": "EUR"}), 201)
    ok(api.post("/plans", json={"id": "pln_usd", "name": "USD", "currency": "USD", "items": [
        {"product_id": PLATFORM, "price": price("99.00")}]}), 201)
    return "pln_usd"


def price(amount: str, options: dict | None = None) -> dict:
    body = {"type": "fixed", "billing_frequency": "recurring", "billing_direction": "advance",
            "fixed_pricing_model": {"price_per_unit": amount}}
    if options is not None:
        body["currency_options"] = options
    return body


@pytest.mark.parametrize(("options", "field"), [
    ({"EUR": {"fixed_pricing_model": {"price_per_unit": "-1"}}},
     "items[0].price.currency_options.EUR.fixed_pricing_model.price_per_unit"),
    ({"EUR": {"fixed_pricing_model": {"price_per_unit": 90}}},
     "items[0].price.currency_options.EUR.fixed_pricing_model.price_per_unit"),
    ({"EUR": {"unit_pricing_model": {"price_per_unit": "9"}}},
     "items[0].price.currency_options.EUR.unit_pricing_model"),
    ({"EUR": {"type": "unit", "fixed_pricing_model": {"price_per_unit": "9"}}},
     "items[0].price.currency_options.EUR.type"),
    ({"EUR": {}}, "items[0].price.currency_options.EUR.fixed_pricing_model"),
    ({"EUR": {"fixed_pricing_model": {"price_per_unit": "9"}, "billing_interval": "yearly"}},
     "items[0].price.currency_options.EUR.billing_interval"),
    ({"EUR": "90.00"}, "items[0].price.currency_options.EUR"),
    ({"XXX": {"fixed_pricing_model": {"price_per_unit": "9"}}},
     "items[0].price.currency_options.XXX"),
    ([], "items[0].price.currency_options"),
])
def test_currency_options_are_validated_like_the_price(api: TestClient, plan: str,
                                                       options, field: str) -> None:
    got, _ = error(api.post("/plans", json={"name": "Bad", "currency": "USD", "items": [
        {"product_id": PLATFORM, "price": price("99.00", options)}]}))
    assert got is not None and got.startswith(field), got


def test_options_are_stored_canonical_and_a_missing_rate_refuses_the_subscription(
        api: TestClient, plan: str) -> None:
    made = ok(api.post("/plans", json={"id": "pln_both", "name": "Both", "currency": "USD",
                                       "items": [{"product_id": PLATFORM, "price": price(
                                           "99.00", {"eur": {"fixed_pricing_model": {
                                               "price_per_unit": "90"}}})}]}), 201)
    assert made["items"][0]["price"]["currency_options"] == {
        "EUR": {"fixed_pricing_model": {"price_per_unit": "90", "units": 1, "total": "90"}}}
    # An explicit EUR price needs no rate.
    sub = ok(api.post("/subscriptions", json={"customer_id": "eurCust1", "plan_id": "pln_both"}),
             201)
    assert (sub["currency"], sub["price_currency"]) == ("EUR", "USD")
    # Without an EUR option and without a rate: a 422 naming currency, nothing created.
    field, detail = error(api.post("/subscriptions", json={"customer_id": "eurCust1",
                                                           "plan_id": plan}))
    assert field == "currency"
    assert "no exchange rate from USD to EUR" in detail and "POST /fx-rates" in detail
    assert ok(api.get("/subscriptions?customer_id=eurCust1"))["pagination"]["total"] == 1
    # A cross rate through EUR's rates would do too: GBP → EUR via USD needs both legs.
    ok(api.post("/fx-rates", json={"base": "EUR", "quote": "USD", "rate": "1.25",
                                   "valid_from": "2026-01-01"}), 201)
    converted = ok(api.post("/subscriptions", json={"customer_id": "eurCust1", "plan_id": plan}),
                   201)
    assert converted["price_currency"] == "USD"
    # The customer's currency still rules: a subscription in another currency is refused.
    assert error(api.post("/subscriptions", json={"customer_id": "eurCust1", "plan_id": plan,
                                                  "currency": "USD"}))[0] == "currency"


def test_a_plan_change_keeps_the_price_currency(api: TestClient, plan: str) -> None:
    ok(api.post("/fx-rates", json={"base": "USD", "quote": "EUR", "rate": "0.8",
                                   "valid_from": "2026-01-01"}), 201)
    ok(api.post("/plans", json={"id": "pln_gbp", "name": "GBP", "currency": "GBP", "items": [
        {"product_id": PLATFORM, "price": price("80.00")}]}), 201)
    sub = ok(api.post("/subscriptions", json={"customer_id": "eurCust1", "plan_id": plan,
                                              "auto_activate": True}), 201)
    field, detail = error(api.post(f"/subscriptions/{sub['id']}/changes",
                                   json={"plan_id": "pln_gbp"}))
    assert field == "plan_id" and "prices are in USD" in detail
