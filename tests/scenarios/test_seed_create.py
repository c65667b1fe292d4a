"""Every JSON example of creating-a-subscription.txt, sent verbatim, with the resulting item set
checked field by field."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok

PLATFORM_500 = {
    "type": "fixed",
    "billing_interval": "monthly",
    "fee_type": "fixed",
    "billing_direction": "arrears",
    "billing_frequency": "recurring",
    "metric_ids": [],
    "fixed_pricing_model": {"price_per_unit": "500.00", "units": 1, "total": "500.00"},
}
API_GRADUATED = {
    "type": "graduated_tiered",
    "billing_interval": "monthly",
    "fee_type": "metered",
    "billing_direction": "arrears",
    "billing_frequency": "recurring",
    "metric_ids": ["mtr_032wMej82trlC5RulBsDJY"],
    "graduated_tiered_pricing_model": {
        "tiers": [
            {"min_units": 0, "max_units": 10000, "price_per_unit": "0.00", "fixed_fee": None},
            {"min_units": 10001, "max_units": 100000, "price_per_unit": "0.03", "fixed_fee": None},
            {"min_units": 100001, "max_units": None, "price_per_unit": "0.02", "fixed_fee": None},
        ],
        "units": None,
    },
}


def fixed_stored(amount: str) -> dict:
    return {**PLATFORM_500, "fixed_pricing_model": {"price_per_unit": amount, "units": 1, "total": amount}}


def seat_stored(amount: str) -> dict:
    return {
        "type": "unit",
        "billing_interval": "monthly",
        "fee_type": "fixed",
        "billing_direction": "arrears",
        "billing_frequency": "recurring",
        "metric_ids": [],
        "unit_pricing_model": {"price_per_unit": amount},
    }


@pytest.fixture
def seeded(api: TestClient) -> TestClient:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-06-15T09:00:00Z"}))
    return api


def create_and_read(api: TestClient, body: dict) -> tuple[dict, list]:
    sub = ok(api.post("/subscriptions", json=body), 201)
    assert re.fullmatch(r"[A-Za-z0-9]{8}", sub["id"])
    assert sub["status"] == "draft"
    assert sub["current_version_id"] is None
    assert sub["pending_changes"] == []
    assert sub["created_at"] == sub["updated_at"] == "2026-06-15T09:00:00Z"
    versions = ok(api.get(f"/subscriptions/{sub['id']}/versions"))["data"]
    assert len(versions) == 1 and versions[0]["status"] == "draft"
    assert versions[0]["subscription_id"] == sub["id"]
    return sub, versions[0]["items"]


def test_1a_single_unit_item(seeded: TestClient) -> None:
    body = {
        "customer_id": "wcqYrqfE",
        "currency": "USD",
        "name": "Acme Corp API Usage",
        "contract": {"period_type": "fixed", "duration_months": 12, "start_date": "2026-07-01"},
        "items": [
            {
                "product_id": "prod_032wMej82trlC5RulBsDJY",
                "price": {
                    "type": "unit",
                    "billing_interval": "monthly",
                    "fee_type": "metered",
                    "billing_direction": "arrears",
                    "metric_ids": ["mtr_032wMej82trlC5RulBsDJY"],
                    "unit_pricing_model": {"price_per_unit": "0.05"},
                },
            }
        ],
    }
    sub, items = create_and_read(seeded, body)
    assert sub["name"] == "Acme Corp API Usage" and sub["currency"] == "USD"
    assert sub["contract"] == {
        "period_type": "fixed", "duration_months": 12, "start_date": "2026-07-01", "end_date": None,
    }
    assert items == [
        {
            "product_id": "prod_032wMej82trlC5RulBsDJY",
            "price": {
                "type": "unit",
                "billing_interval": "monthly",
                "fee_type": "metered",
                "billing_direction": "arrears",
                "billing_frequency": "recurring",
                "metric_ids": ["mtr_032wMej82trlC5RulBsDJY"],
                "unit_pricing_model": {"price_per_unit": "0.05"},
            },
        }
    ]
    active = ok(seeded.post(f"/subscriptions/{sub['id']}/activate"))
    assert active["status"] == "active"
    current = ok(seeded.get(f"/subscriptions/{sub['id']}/versions/current"))
    assert active["current_version_id"] == current["id"]
    assert current["effective_at"] == "2026-07-01T00:00:00Z"
    assert active["contract"]["end_date"] == "2027-07-01"


def test_1b_mixed_fixed_and_metered_with_billing(seeded: TestClient) -> None:
    body = {
        "customer_id": "wcqYrqfE",
        "currency": "USD",
        "name": "Acme Corp Enterprise",
        "contract": {"period_type": "fixed", "duration_months": 12, "start_date": "2026-07-01"},
        "billing": {
            "first_billing_date": "2026-07-01",
            "auto_issue_invoices": True,
            "auto_pay_invoices": False,
            "payment_terms": "net_30",
        },
        "items": [
            {
                "product_id": "prod_032wMej82trlC5RulBsDJY",
                "price": {
                    "type": "fixed",
                    "billing_interval": "monthly",
                    "fee_type": "fixed",
                    "billing_direction": "arrears",
                    "billing_frequency": "recurring",
                    "fixed_pricing_model": {"price_per_unit": "500.00", "units": 1},
                },
            },
            {
                "product_id": "prod_04ab8Nej82trlC5RulBsDJY",
                "price": {
                    "type": "graduated_tiered",
                    "billing_interval": "monthly",
                    "fee_type": "metered",
                    "billing_direction": "arrears",
                    "metric_ids": ["mtr_032wMej82trlC5RulBsDJY"],
                    "graduated_tiered_pricing_model": {
                        "tiers": [
                            {"min_units": 0, "max_units": 10000, "price_per_unit": "0.00", "fixed_fee": None},
                            {"min_units": 10001, "max_units": 100000, "price_per_unit": "0.03", "fixed_fee": None},
                            {"min_units": 100001, "max_units": None, "price_per_unit": "0.02", "fixed_fee": None},
                        ]
                    },
                },
            },
        ],
    }
    sub, items = create_and_read(seeded, body)
    assert sub["billing"] == {
        "first_billing_date": "2026-07-01",
        "auto_issue_invoices": True,
        "auto_pay_invoices": False,
        "payment_terms": "net_30",
    }
    assert items == [
        {"product_id": "prod_032wMej82trlC5RulBsDJY", "price": PLATFORM_500},
        {"product_id": "prod_04ab8Nej82trlC5RulBsDJY", "price": API_GRADUATED},
    ]


def test_2_from_a_plan_minimal_defers_the_start_to_activation(seeded: TestClient) -> None:
    sub, items = create_and_read(
        seeded, {"customer_id": "wcqYrqfE", "plan_id": "pln_032wMej82trlC5RulBsDJY"}
    )
    assert sub["plan_id"] == "pln_032wMej82trlC5RulBsDJY"
    assert sub["currency"] == "USD"  # the customer's
    assert sub["contract"]["start_date"] is None  # unanchored while draft
    assert sub["contract"]["period_type"] == "fixed" and sub["contract"]["duration_months"] == 12
    assert items == [
        {"product_id": "prod_032wMej82trlC5RulBsDJY", "price": PLATFORM_500},
        {"product_id": "prod_04ab8Nej82trlC5RulBsDJY", "price": API_GRADUATED},
    ]
    active = ok(seeded.post(f"/subscriptions/{sub['id']}/activate"))
    assert active["contract"]["start_date"] == "2026-06-15"  # anchored at activation
    assert active["contract"]["end_date"] == "2027-06-15"


def test_2_from_a_plan_with_a_future_start(seeded: TestClient) -> None:
    sub, _ = create_and_read(
        seeded,
        {
            "customer_id": "wcqYrqfE",
            "plan_id": "pln_032wMej82trlC5RulBsDJY",
            "contract": {"period_type": "fixed", "duration_months": 12, "start_date": "2026-07-01"},
        },
    )
    active = ok(seeded.post(f"/subscriptions/{sub['id']}/activate"))
    assert active["status"] == "active"
    assert active["contract"]["start_date"] == "2026-07-01"
    assert active["current_period"] is None  # not started yet
    assert active["current_version_id"] is not None


def test_3a_override_a_plan_price(seeded: TestClient) -> None:
    body = {
        "customer_id": "AcBigCo12",
        "plan_id": "pln_032wMej82trlC5RulBsDJY",
        "items": [
            {
                "product_id": "prod_032wMej82trlC5RulBsDJY",
                "price": {
                    "type": "fixed",
                    "billing_interval": "monthly",
                    "fee_type": "fixed",
                    "billing_direction": "arrears",
                    "billing_frequency": "recurring",
                    "fixed_pricing_model": {"price_per_unit": "400.00", "units": 1},
                },
            }
        ],
    }
    sub, items = create_and_read(seeded, body)
    assert sub["customer_id"] == "AcBigCo12"
    assert items == [
        {"product_id": "prod_032wMej82trlC5RulBsDJY", "price": fixed_stored("400.00")},
        {"product_id": "prod_04ab8Nej82trlC5RulBsDJY", "price": API_GRADUATED},
    ]


def test_3b_append_an_add_on(seeded: TestClient) -> None:
    body = {
        "customer_id": "AcBigCo12",
        "plan_id": "pln_032wMej82trlC5RulBsDJY",
        "items": [
            {
                "product_id": "prod_07fx2Nej82trlC5RulBsDJY",
                "price": {
                    "type": "fixed",
                    "billing_interval": "monthly",
                    "fee_type": "fixed",
                    "billing_direction": "arrears",
                    "billing_frequency": "recurring",
                    "fixed_pricing_model": {"price_per_unit": "2500.00", "units": 1},
                },
            }
        ],
    }
    _, items = create_and_read(seeded, body)
    assert items == [
        {"product_id": "prod_032wMej82trlC5RulBsDJY", "price": PLATFORM_500},
        {"product_id": "prod_04ab8Nej82trlC5RulBsDJY", "price": API_GRADUATED},
        {"product_id": "prod_07fx2Nej82trlC5RulBsDJY", "price": fixed_stored("2500.00")},
    ]


BUNDLE_BODY_ITEMS = [
    {
        "bundle_id": "bnd_032wMej82trlC5RulBsDJY",
        "items": [
            {
                "product_id": "prod_032wMej82trlC5RulBsDJY",
                "price": {
                    "type": "fixed",
                    "billing_interval": "monthly",
                    "fee_type": "fixed",
                    "billing_direction": "arrears",
                    "billing_frequency": "recurring",
                    "fixed_pricing_model": {"price_per_unit": "250.00", "units": 1},
                },
            },
            {
                "product_id": "prod_09tx7Nej82trlC5RulBsDJY",
                "price": {
                    "type": "unit",
                    "billing_interval": "monthly",
                    "fee_type": "fixed",
                    "billing_direction": "arrears",
                    "billing_frequency": "recurring",
                    "unit_pricing_model": {"price_per_unit": "20.00"},
                },
            },
        ],
    }
]


def test_4a_raw_bundle(seeded: TestClient) -> None:
    _, items = create_and_read(
        seeded, {"customer_id": "wcqYrqfE", "currency": "USD", "items": BUNDLE_BODY_ITEMS}
    )
    assert items == [
        {
            "bundle_id": "bnd_032wMej82trlC5RulBsDJY",
            "items": [
                {"product_id": "prod_032wMej82trlC5RulBsDJY", "price": fixed_stored("250.00")},
                {"product_id": "prod_09tx7Nej82trlC5RulBsDJY", "price": seat_stored("20.00")},
            ],
        }
    ]


def test_4b_override_a_bundle_inside_a_plan(seeded: TestClient) -> None:
    items_body = [dict(BUNDLE_BODY_ITEMS[0])]
    items_body[0] = {
        "bundle_id": "bnd_032wMej82trlC5RulBsDJY",
        "items": [
            BUNDLE_BODY_ITEMS[0]["items"][0],
            {
                "product_id": "prod_09tx7Nej82trlC5RulBsDJY",
                "price": {
                    "type": "unit",
                    "billing_interval": "monthly",
                    "fee_type": "fixed",
                    "billing_direction": "arrears",
                    "billing_frequency": "recurring",
                    "unit_pricing_model": {"price_per_unit": "15.00"},
                },
            },
        ],
    }
    # The plan holds the bundle with its defaults (seats at 20.00) plus metered API usage.
    plan = ok(seeded.get("/plans/pln_09uyMej82trlC5RulBsDJY"))
    assert plan["items"][0]["items"][1]["price"]["unit_pricing_model"] == {"price_per_unit": "20.00"}
    _, items = create_and_read(
        seeded,
        {"customer_id": "AcBigCo12", "plan_id": "pln_09uyMej82trlC5RulBsDJY", "items": items_body},
    )
    assert items == [
        {
            "bundle_id": "bnd_032wMej82trlC5RulBsDJY",
            "items": [
                {"product_id": "prod_032wMej82trlC5RulBsDJY", "price": fixed_stored("250.00")},
                {"product_id": "prod_09tx7Nej82trlC5RulBsDJY", "price": seat_stored("15.00")},
            ],
        },
        {"product_id": "prod_04ab8Nej82trlC5RulBsDJY", "price": API_GRADUATED},
    ]


def test_auto_activate_and_several_subscriptions_per_customer(seeded: TestClient) -> None:
    a = ok(seeded.post("/subscriptions", json={"customer_id": "wcqYrqfE", "plan_id": sc.PLAN,
                                               "auto_activate": True}), 201)
    b = ok(seeded.post("/subscriptions", json={"customer_id": "wcqYrqfE", "currency": "USD",
                                               "items": BUNDLE_BODY_ITEMS, "auto_activate": True}), 201)
    assert a["status"] == b["status"] == "active"
    assert a["current_version_id"] and b["current_version_id"]
    listed = ok(seeded.get("/subscriptions?customer_id=wcqYrqfE&status=active"))
    assert {s["id"] for s in listed["data"]} == {a["id"], b["id"]}
    assert ok(seeded.get(f"/subscriptions?plan_id={sc.PLAN}"))["pagination"]["total"] == 1
