"""Multi-currency on the sandbox clock, through HTTP, with exact amounts (SQLite and PostgreSQL):
a EUR customer on a USD plan with an explicit EUR price (no conversion), another converted at the
rate locked at each invoice date, and JPY invoices (0 decimals) with a prorated stub and usage
that would produce fractions."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kassa.domain.fx import inverse
from kassa.services.fx_import import import_ecb
from tests.scenarios.billing_helpers import advance, invoices, send_usage
from tests.scenarios.seed_catalog import ok

METRIC = "mtr_calls"
PLATFORM = "prod_platform"
USAGE = "prod_usage"
PLAN = "pln_global"


def platform(amount: str, **options: str) -> dict:
    price = {"type": "fixed", "billing_interval": "monthly", "billing_direction": "advance",
             "billing_frequency": "recurring", "fixed_pricing_model": {"price_per_unit": amount}}
    if options:
        price["currency_options"] = {code: {"fixed_pricing_model": {"price_per_unit": value}}
                                     for code, value in options.items()}
    return price


def calls(rate: str, **options: str) -> dict:
    def tiers(per_call: str) -> dict:
        return {"tiers": [
            {"min_units": 0, "max_units": 1000, "price_per_unit": "0.00"},
            {"min_units": 1001, "max_units": None, "price_per_unit": per_call}]}

    price = {"type": "graduated_tiered", "metric_ids": [METRIC],
             "graduated_tiered_pricing_model": tiers(rate)}
    if options:
        price["currency_options"] = {code: {"graduated_tiered_pricing_model": tiers(value)}
                                     for code, value in options.items()}
    return price


@pytest.fixture
def catalog(api: TestClient) -> TestClient:
    ok(api.post("/clock/freeze", json={"at": "2026-01-01T00:00:00Z"}))
    ok(api.post("/metrics", json={"id": METRIC, "name": "Calls", "event_name": "calls",
                                  "aggregation": {"method": "sum", "field": "calls"}}), 201)
    ok(api.post("/products", json={"id": PLATFORM, "name": "Platform", "fee_type": "fixed",
                                   "billing_frequency": "recurring"}), 201)
    ok(api.post("/products", json={"id": USAGE, "name": "API calls", "fee_type": "metered",
                                   "metric_ids": [METRIC]}), 201)
    ok(api.post("/plans", json={
        "id": PLAN, "name": "Global", "currency": "USD",
        "items": [{"product_id": PLATFORM, "price": platform("99.00", EUR="90.00")},
                  {"product_id": USAGE, "price": calls("0.015", EUR="0.014")}]}), 201)
    for cid, currency in (("eurOne01", "EUR"), ("eurTwo02", "EUR"), ("yenOne01", "JPY"),
                          ("yenTwo02", "JPY")):
        ok(api.post("/customers", json={"id": cid, "name": cid, "currency": currency}), 201)
    return api


def subscribe(api: TestClient, customer: str, start: str = "2026-01-01", **body) -> dict:
    return ok(api.post("/subscriptions", json={
        "customer_id": customer, "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": start}, **body}), 201)


def amounts(invoice: dict) -> list[tuple[str, str | None, str]]:
    return [(line["kind"], line["product_id"], line["amount"]) for line in invoice["line_items"]]


def test_eur_customers_on_a_usd_plan_explicit_and_converted_at_a_locked_rate(
        catalog: TestClient) -> None:
    api = catalog
    explicit = subscribe(api, "eurOne01", plan_id=PLAN)
    assert (explicit["currency"], explicit["price_currency"]) == ("EUR", "USD")
    override = [{"product_id": PLATFORM, "price": platform("99.00")}]
    # No USD→EUR rate yet: the platform fee (no EUR option) cannot be converted.
    refused = api.post("/subscriptions", json={
        "customer_id": "eurTwo02", "plan_id": PLAN, "items": override, "auto_activate": True})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "currency"
    assert "USD to EUR" in refused.json()["detail"]
    ok(api.post("/fx-rates", json={"base": "USD", "quote": "EUR", "rate": "0.9234",
                                   "valid_from": "2026-01-01"}), 201)
    converted = subscribe(api, "eurTwo02", plan_id=PLAN, items=override)

    [jan_explicit] = invoices(api, subscription_id=explicit["id"])
    assert (jan_explicit["currency"], jan_explicit["total"], jan_explicit["fx"]) == (
        "EUR", "90.00", None)
    assert amounts(jan_explicit) == [("fixed", PLATFORM, "90.00")]
    [jan] = invoices(api, subscription_id=converted["id"])
    assert (jan["currency"], jan["issue_date"], jan["total"]) == ("EUR", "2026-01-01", "91.42")
    assert amounts(jan) == [("fixed", PLATFORM, "91.42")]  # 99.00 × 0.9234 = 91.4166
    assert jan["fx"] == {"base_currency": "USD", "currency": "EUR", "rate": "0.9234",
                         "rate_date": "2026-01-01", "via": None}

    advance(api, "2026-01-10T00:00:00Z")
    send_usage(api, "eurOne01", "calls", [("e1", "2026-01-10T00:00:00Z", 3000)])
    send_usage(api, "eurTwo02", "calls", [("e2", "2026-01-10T00:00:00Z", 3000)])
    advance(api, "2026-01-20T00:00:00Z")
    ok(api.post("/fx-rates", json={"base": "USD", "quote": "EUR", "rate": "0.95",
                                   "valid_from": "2026-01-20"}), 201)
    ok(api.post("/fx-rates", json={"base": "USD", "quote": "EUR", "rate": "1.00",
                                   "valid_from": "2026-03-01"}), 201)
    # The issued invoice keeps its rate and amounts.
    again = ok(api.get(f"/invoices/{jan['id']}"))
    assert (again["total"], again["fx"]["rate"]) == ("91.42", "0.9234")

    advance(api, "2026-02-01T00:00:00Z")
    [_, feb_explicit] = invoices(api, subscription_id=explicit["id"])
    assert (feb_explicit["total"], feb_explicit["fx"]) == ("118.00", None)  # 90 + 2000 × 0.014
    assert sorted(amounts(feb_explicit)) == [("fixed", PLATFORM, "90.00"),
                                             ("usage", USAGE, "28.00")]
    [jan_again, feb] = invoices(api, subscription_id=converted["id"])
    assert jan_again["total"] == "91.42"
    # The platform fee at the rate of 2026-02-01 (0.95, from 2026-01-20; not March's), the
    # usage from its EUR option.
    assert sorted(amounts(feb)) == [("fixed", PLATFORM, "94.05"), ("usage", USAGE, "28.00")]
    assert feb["total"] == "122.05"
    assert feb["fx"] == {"base_currency": "USD", "currency": "EUR", "rate": "0.95",
                         "rate_date": "2026-01-20", "via": None}
    # MRR in EUR per currency: 90.00 (option) + 99 × 0.9234 (the rate when the version was
    # written, 2026-01-01) = 181.4166 → 181.42.
    report = ok(api.get("/reports/mrr?from=2026-01-01&to=2026-02-28"))
    feb_figures = {f["currency"]: f for f in report["data"][1]["currencies"]}
    assert feb_figures["EUR"]["mrr"] == "181.42"
    # In the settlement currency (USD by default): EUR at the rate of the month's day so far
    # (2026-02-01): the inverse of 0.95; 181.4166 and February's revenue 240.05 EUR converted.
    assert report["settlement_currency"] == "USD"
    settlement = report["data"][1]["settlement"]
    assert (settlement["currency"], settlement["mrr"], settlement["revenue"]) == (
        "USD", "190.96", "252.68")
    assert settlement["active_subscriptions"] == 2
    assert settlement["rates"] == [{"currency": "EUR", "rate": "1.05263157894737",
                                    "rate_date": "2026-01-20", "via": None}]
    assert settlement["unconverted"] == []
    ok(api.patch("/settings/currencies", json={"settlement_currency": "GBP"}))
    in_pounds = ok(api.get("/reports/mrr?from=2026-02-01&to=2026-02-28"))["data"][0]["settlement"]
    assert (in_pounds["mrr"], in_pounds["rates"], in_pounds["unconverted"]) == ("0.00", [], ["EUR"])
    ok(api.patch("/settings/currencies", json={"settlement_currency": "EUR"}))
    in_euros = ok(api.get("/reports/mrr?from=2026-02-01&to=2026-02-28"))["data"][0]["settlement"]
    assert (in_euros["mrr"], in_euros["rates"]) == ("181.42", [])


def test_jpy_invoices_round_to_whole_yen(catalog: TestClient) -> None:
    api = catalog
    yen = {"type": "fixed", "billing_interval": "monthly", "billing_direction": "advance",
           "billing_frequency": "recurring", "fixed_pricing_model": {"price_per_unit": "10000"}}
    per_call = {"type": "unit", "metric_ids": [METRIC],
                "unit_pricing_model": {"price_per_unit": "0.5"}}
    ok(api.post("/clock/freeze", json={"at": "2026-01-10T00:00:00Z"}))
    sub = subscribe(api, "yenOne01", start="2026-01-10", currency="JPY",
                    billing={"first_billing_date": "2026-02-01"},
                    items=[{"product_id": PLATFORM, "price": yen},
                           {"product_id": USAGE, "price": per_call}])
    [stub] = invoices(api, subscription_id=sub["id"])
    # 22 of January's 31 days at a daily rate of 10000 / 31 = 322.58… → 323 yen: 7106.
    assert (stub["currency"], stub["total"]) == ("JPY", "7106")
    [line] = stub["line_items"]
    assert line["details"]["prorated"][0]["daily_rate"] == "323"
    advance(api, "2026-01-20T00:00:00Z")
    send_usage(api, "yenOne01", "calls", [("y1", "2026-01-20T00:00:00Z", 1001)])
    advance(api, "2026-02-01T00:00:00Z")
    [_, feb] = invoices(api, subscription_id=sub["id"])
    # 1001 calls × 0.5 = 500.5 → 501 (ROUND_HALF_UP), plus February's 10000.
    assert sorted(amounts(feb)) == [("fixed", PLATFORM, "10000"), ("usage", USAGE, "501")]
    assert (feb["total"], feb["fx"]) == ("10501", None)


ECB_DAILY = """Date, USD, JPY, KWD, GBP, \n01 January 2026, 1.0830, 162.35, 0.3331, 0.8412, \n"""


def test_a_jpy_customer_converted_through_the_ecb_euro_rates(kassa, catalog: TestClient,
                                                             tmp_path: Path) -> None:
    api = catalog
    source = tmp_path / "eurofxref.csv"
    source.write_text(ECB_DAILY)
    summary = import_ecb(lambda: kassa.ctx("sandbox"), source)
    assert (summary.days, summary.rates, summary.inserted) == (1, 4, 4)
    ok(api.post("/clock/freeze", json={"at": "2026-01-10T00:00:00Z"}))
    sub = subscribe(api, "yenTwo02", start="2026-01-10", plan_id=PLAN,
                    billing={"first_billing_date": "2026-02-01"})
    assert (sub["currency"], sub["price_currency"]) == ("JPY", "USD")
    [stub] = invoices(api, subscription_id=sub["id"])
    # USD→JPY crosses through EUR: 1 / 1.0830 × 162.35 at 15 significant digits.
    cross = Decimal("149.907663896584")
    assert inverse(Decimal("1.0830")) * Decimal("162.35") == pytest.approx(cross)
    assert stub["fx"] == {"base_currency": "USD", "currency": "JPY", "rate": str(cross),
                          "rate_date": "2026-01-01", "via": "EUR"}
    # 99 × cross = 14840.86… a month; daily 14840.86 / 31 = 478.74… → 479 yen × 22 days.
    assert (stub["currency"], stub["total"]) == ("JPY", "10538")
    advance(api, "2026-01-20T00:00:00Z")
    send_usage(api, "yenTwo02", "calls", [("y2", "2026-01-20T00:00:00Z", 1101)])
    advance(api, "2026-02-01T00:00:00Z")
    [_, feb] = invoices(api, subscription_id=sub["id"])
    # 101 calls above the free 1000 at 0.015 USD = 1.515 USD × cross = 227.11… → 227 yen;
    # February's platform fee 99 × cross = 14840.858… → 14841 yen.
    assert sorted(amounts(feb)) == [("fixed", PLATFORM, "14841"), ("usage", USAGE, "227")]
    assert feb["total"] == "15068"


def test_without_a_rate_billing_fails_clearly_and_bills_nothing(kassa, catalog: TestClient,
                                                                caplog) -> None:
    import logging

    from kassa.store.tables import fx_rates

    api = catalog
    ok(api.post("/fx-rates", json={"base": "USD", "quote": "EUR", "rate": "0.9",
                                   "valid_from": "2026-01-01"}), 201)
    sub = subscribe(api, "eurTwo02", plan_id=PLAN,
                    items=[{"product_id": PLATFORM, "price": platform("100.00")}])
    assert [i["total"] for i in invoices(api, subscription_id=sub["id"])] == ["90.00"]
    # The rates are purged (by hand, in the database): February cannot be priced.
    with kassa.engine.begin() as conn:
        conn.execute(fx_rates.delete())
    with caplog.at_level(logging.ERROR, logger="kassa.billing"):
        stalled = api.post("/clock/advance", json={"to": "2026-02-01T00:00:00Z"})
    # The advance stops where billing could not go on (the worker retries it on its next run).
    assert stalled.status_code == 409, stalled.text
    assert stalled.json()["detail"].startswith("Due work at 2026-02-01T00:00:00Z did not "
                                               "complete; advance stopped.")
    assert [i["total"] for i in invoices(api, subscription_id=sub["id"])] == ["90.00"]
    assert f"billing subscription {sub['id']} failed" in caplog.text
    assert "No exchange rate from USD to EUR valid on 2026-02-01" in caplog.text
    # Activating a subscription whose first boundary has no rate is refused, nothing billed.
    ok(api.post("/fx-rates", json={"base": "USD", "quote": "EUR", "rate": "0.8",
                                   "valid_from": "2026-02-01"}), 201)
    draft = ok(api.post("/subscriptions", json={
        "customer_id": "eurOne01", "plan_id": PLAN, "items": [
            {"product_id": PLATFORM, "price": platform("100.00")}],
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-01-25"}}), 201)
    refused = api.post(f"/subscriptions/{draft['id']}/activate")
    assert refused.status_code == 422, refused.text
    assert "No exchange rate from USD to EUR valid on 2026-01-25" in refused.json()["detail"]
    assert invoices(api, subscription_id=draft["id"]) == []
    assert ok(api.get(f"/subscriptions/{draft['id']}"))["status"] == "draft"
    # With the rate back, the next run bills February at the rate of its day.
    advance(api, "2026-02-02T00:00:00Z")
    [_, feb] = invoices(api, subscription_id=sub["id"])
    assert (feb["total"], feb["fx"]["rate"], feb["fx"]["rate_date"]) == ("80.00", "0.8",
                                                                         "2026-02-01")


def test_a_converted_upgrade_credits_at_the_billed_rate_and_charges_at_the_days(
        catalog: TestClient) -> None:
    api = catalog
    ok(api.post("/fx-rates", json={"base": "USD", "quote": "EUR", "rate": "0.9",
                                   "valid_from": "2026-01-01"}), 201)
    sub = subscribe(api, "eurTwo02", plan_id=PLAN,
                    items=[{"product_id": PLATFORM, "price": platform("99.00")}])
    [jan] = invoices(api, subscription_id=sub["id"])
    assert jan["total"] == "89.10"  # 99 × 0.9
    advance(api, "2026-01-16T00:00:00Z")
    ok(api.post("/fx-rates", json={"base": "USD", "quote": "EUR", "rate": "1.0",
                                   "valid_from": "2026-01-16"}), 201)
    change = ok(api.post(f"/subscriptions/{sub['id']}/changes", json={
        "update": [{"product_id": PLATFORM, "new_price": platform("199.00")}],
        "effective": "immediate"}), 201)
    assert change["proration"]["net"] == "56.80"
    [_, proration] = invoices(api, subscription_id=sub["id"])
    # 16 of 31 days: credited at January's billed rate (89.10 / 31 = 2.87 a day: 45.92), charged
    # at the rate of the 16th (199.00 / 31 = 6.42 a day: 102.72).
    assert sorted(line["amount"] for line in proration["line_items"]) == ["-45.92", "102.72"]
    assert (proration["total"], proration["fx"]["rate"], proration["fx"]["rate_date"]) == (
        "56.80", "1.0", "2026-01-16")
