"""The catalog the subscription documents name, created through the API with the same ids."""

from __future__ import annotations

from fastapi.testclient import TestClient

METRIC = "mtr_032wMej82trlC5RulBsDJY"
PLATFORM = "prod_032wMej82trlC5RulBsDJY"
API_USAGE = "prod_04ab8Nej82trlC5RulBsDJY"
SUPPORT = "prod_07fx2Nej82trlC5RulBsDJY"
SEATS = "prod_09tx7Nej82trlC5RulBsDJY"
LEGACY = "prod_0legacyNej82trlC5RulBsDJY"
ANALYTICS = "prod_0analytNej82trlC5RulBsDJY"
BUNDLE = "bnd_032wMej82trlC5RulBsDJY"
PLAN = "pln_032wMej82trlC5RulBsDJY"
BUNDLE_PLAN = "pln_09uyMej82trlC5RulBsDJY"
PLAN_2027 = "pln_052xMej82trlC5RulBsDJY"


def fixed(amount: str, direction: str = "arrears", units: int = 1) -> dict:
    return {
        "type": "fixed",
        "billing_interval": "monthly",
        "fee_type": "fixed",
        "billing_direction": direction,
        "billing_frequency": "recurring",
        "fixed_pricing_model": {"price_per_unit": amount, "units": units},
    }


def per_seat(amount: str, direction: str = "arrears") -> dict:
    return {
        "type": "unit",
        "billing_interval": "monthly",
        "fee_type": "fixed",
        "billing_direction": direction,
        "billing_frequency": "recurring",
        "unit_pricing_model": {"price_per_unit": amount},
    }


GRADUATED_API = {
    "type": "graduated_tiered",
    "billing_interval": "monthly",
    "fee_type": "metered",
    "billing_direction": "arrears",
    "metric_ids": [METRIC],
    "graduated_tiered_pricing_model": {
        "tiers": [
            {"min_units": 0, "max_units": 10000, "price_per_unit": "0.00", "fixed_fee": None},
            {"min_units": 10001, "max_units": 100000, "price_per_unit": "0.03", "fixed_fee": None},
            {"min_units": 100001, "max_units": None, "price_per_unit": "0.02", "fixed_fee": None},
        ]
    },
}


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def build(api: TestClient) -> None:
    """Customers wcqYrqfE and AcBigCo12, the metric, six products, the bundle and three plans."""
    ok(api.post("/customers", json={"id": "wcqYrqfE", "name": "Acme Corp", "currency": "USD"}), 201)
    ok(api.post("/customers", json={"id": "AcBigCo12", "name": "Big Co", "currency": "USD"}), 201)
    ok(
        api.post(
            "/metrics",
            json={"id": METRIC, "name": "API calls", "event_name": "api_call",
                  "aggregation": {"method": "count"}},
        ),
        201,
    )
    for product_id, name, fee_type in [
        (PLATFORM, "Platform fee", "fixed"),
        (API_USAGE, "API usage", "metered"),
        (SUPPORT, "Dedicated support", "fixed"),
        (SEATS, "Seats", "fixed"),
        (LEGACY, "Legacy add-on", "fixed"),
        (ANALYTICS, "Analytics", "fixed"),
    ]:
        body = {"id": product_id, "name": name, "fee_type": fee_type}
        if fee_type == "fixed":
            body["billing_frequency"] = "recurring"
        else:
            body["metric_ids"] = [METRIC]
        ok(api.post("/products", json=body), 201)
    ok(
        api.post(
            "/bundles",
            json={
                "id": BUNDLE,
                "name": "Team bundle",
                "items": [
                    {"product_id": PLATFORM, "price": fixed("250.00")},
                    {"product_id": SEATS, "price": per_seat("20.00")},
                ],
            },
        ),
        201,
    )
    ok(
        api.post(
            "/plans",
            json={
                "id": PLAN,
                "name": "Enterprise",
                "currency": "USD",
                "items": [
                    {"product_id": PLATFORM, "price": fixed("500.00")},
                    {"product_id": API_USAGE, "price": GRADUATED_API},
                ],
                "contract": {"period_type": "fixed", "duration_months": 12},
            },
        ),
        201,
    )
    ok(
        api.post(
            "/plans",
            json={
                "id": BUNDLE_PLAN,
                "name": "Team",
                "currency": "USD",
                "items": [{"bundle_id": BUNDLE}, {"product_id": API_USAGE, "price": GRADUATED_API}],
            },
        ),
        201,
    )
    ok(
        api.post(
            "/plans",
            json={
                "id": PLAN_2027,
                "name": "Enterprise 2027",
                "currency": "USD",
                "items": [
                    {"product_id": PLATFORM, "price": fixed("700.00")},
                    {"product_id": API_USAGE, "price": GRADUATED_API},
                    {"product_id": SUPPORT, "price": fixed("2000.00")},
                ],
                "contract": {"period_type": "fixed", "duration_months": 12},
            },
        ),
        201,
    )
