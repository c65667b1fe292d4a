"""Every JSON example of updating-a-subscription.txt, sent verbatim against an active
subscription, with the resulting item set checked field by field."""

from __future__ import annotations

import copy

import pytest
from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok
from tests.scenarios.test_seed_create import API_GRADUATED, fixed_stored, seat_stored

LEGACY_50 = fixed_stored("50.00")


@pytest.fixture
def sub(api: TestClient) -> dict:
    """Active since 2026-07-01 on a 12-month contract; the clock is frozen on 2026-07-10."""
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    body = {
        "customer_id": "wcqYrqfE",
        "plan_id": sc.PLAN,
        "contract": {"period_type": "fixed", "duration_months": 12, "start_date": "2026-07-01"},
        "items": [
            {"product_id": sc.LEGACY, "price": sc.fixed("50.00")},
            {
                "bundle_id": sc.BUNDLE,
                "items": [
                    {"product_id": sc.PLATFORM, "price": sc.fixed("250.00")},
                    {"product_id": sc.SEATS, "price": sc.per_seat("20.00")},
                    {"product_id": sc.LEGACY, "price": sc.fixed("10.00")},
                ],
            },
        ],
        "auto_activate": True,
    }
    created = ok(api.post("/subscriptions", json=body), 201)
    ok(api.post("/clock/advance", json={"to": "2026-07-10T00:00:00Z"}))
    return created


BASE_ITEMS = [
    {"product_id": sc.PLATFORM, "price": fixed_stored("500.00")},
    {"product_id": sc.API_USAGE, "price": API_GRADUATED},
    {"product_id": sc.LEGACY, "price": LEGACY_50},
    {
        "bundle_id": sc.BUNDLE,
        "items": [
            {"product_id": sc.PLATFORM, "price": fixed_stored("250.00")},
            {"product_id": sc.SEATS, "price": seat_stored("20.00")},
            {"product_id": sc.LEGACY, "price": fixed_stored("10.00")},
        ],
    },
]


def items_with(*edits) -> list:
    items = copy.deepcopy(BASE_ITEMS)
    for edit in edits:
        edit(items)
    return items


def change(api: TestClient, sub: dict, body: dict) -> dict:
    return ok(api.post(f"/subscriptions/{sub['id']}/changes", json=body), 201)


def test_current_version_is_the_source(api: TestClient, sub: dict) -> None:
    current = ok(api.get(f"/subscriptions/{sub['id']}/versions/current"))
    assert current["items"] == BASE_ITEMS
    assert current["status"] == "published" and current["effective_at"] == "2026-07-01T00:00:00Z"


def test_a1_adjust_one_scalar_field(api: TestClient, sub: dict) -> None:
    version = change(
        api,
        sub,
        {
            "update": [
                {
                    "product_id": "prod_032wMej82trlC5RulBsDJY",
                    "adjust": {"fixed_pricing_model": {"price_per_unit": "600.00"}},
                }
            ],
            "effective": "end_of_term",
            "description": "Q3 price adjustment",
        },
    )
    assert version["status"] == "published"
    assert version["effective_at"] == "2027-07-01T00:00:00Z"
    assert version["description"] == "Q3 price adjustment"
    assert len(version["id"]) == 8
    assert version["items"] == items_with(lambda i: i.__setitem__(0, {"product_id": sc.PLATFORM, "price": fixed_stored("600.00")}))
    assert version["delta"]["updated"][0]["product_id"] == sc.PLATFORM
    after = ok(api.get(f"/subscriptions/{sub['id']}"))
    assert after["pending_changes"] == [
        {"version_id": version["id"], "effective_at": "2027-07-01T00:00:00Z",
         "description": "Q3 price adjustment"}
    ]
    # The current version is untouched until the end of the term.
    assert ok(api.get(f"/subscriptions/{sub['id']}/versions/current"))["items"] == BASE_ITEMS


def test_a2_replace_a_price_entirely(api: TestClient, sub: dict) -> None:
    version = change(
        api,
        sub,
        {
            "update": [
                {
                    "product_id": "prod_04ab8Nej82trlC5RulBsDJY",
                    "new_price": {
                        "type": "graduated_tiered",
                        "billing_interval": "monthly",
                        "fee_type": "metered",
                        "billing_direction": "arrears",
                        "metric_ids": ["mtr_032wMej82trlC5RulBsDJY"],
                        "graduated_tiered_pricing_model": {
                            "tiers": [
                                {"min_units": 0, "max_units": 10000, "price_per_unit": "0.00", "fixed_fee": None},
                                {"min_units": 10001, "max_units": None, "price_per_unit": "0.03", "fixed_fee": None},
                            ]
                        },
                    },
                }
            ],
            "effective": "billing_cycle_start",
        },
    )
    assert version["effective_at"] == "2026-08-01T00:00:00Z"
    api_price = version["items"][1]["price"]
    assert api_price["graduated_tiered_pricing_model"]["tiers"] == [
        {"min_units": 0, "max_units": 10000, "price_per_unit": "0.00", "fixed_fee": None},
        {"min_units": 10001, "max_units": None, "price_per_unit": "0.03", "fixed_fee": None},
    ]
    assert version["items"][0] == BASE_ITEMS[0] and version["items"][2:] == BASE_ITEMS[2:]


def test_a3_tiers_are_replaced_wholesale(api: TestClient, sub: dict) -> None:
    version = change(
        api,
        sub,
        {
            "update": [
                {
                    "product_id": "prod_04ab8Nej82trlC5RulBsDJY",
                    "adjust": {
                        "graduated_tiered_pricing_model": {
                            "tiers": [
                                {"min_units": 0, "max_units": 50000, "price_per_unit": "0.00", "fixed_fee": None},
                                {"min_units": 50001, "max_units": 500000, "price_per_unit": "0.02", "fixed_fee": None},
                                {"min_units": 500001, "max_units": None, "price_per_unit": "0.015", "fixed_fee": None},
                            ]
                        }
                    },
                }
            ],
            "effective": "billing_cycle_start",
            "description": "New volume tiers for API usage",
        },
    )
    api_price = version["items"][1]["price"]
    # Interval, direction and metric bindings are inherited; the old tiers are gone.
    assert {k: v for k, v in api_price.items() if k != "graduated_tiered_pricing_model"} == {
        k: v for k, v in API_GRADUATED.items() if k != "graduated_tiered_pricing_model"
    }
    assert api_price["graduated_tiered_pricing_model"]["tiers"] == [
        {"min_units": 0, "max_units": 50000, "price_per_unit": "0.00", "fixed_fee": None},
        {"min_units": 50001, "max_units": 500000, "price_per_unit": "0.02", "fixed_fee": None},
        {"min_units": 500001, "max_units": None, "price_per_unit": "0.015", "fixed_fee": None},
    ]


def test_a4_add_a_product_immediately(api: TestClient, sub: dict) -> None:
    version = change(
        api,
        sub,
        {
            "add": [
                {
                    "product_id": "prod_07fx2Nej82trlC5RulBsDJY",
                    "new_price": {
                        "type": "fixed",
                        "billing_interval": "monthly",
                        "fee_type": "fixed",
                        "billing_direction": "arrears",
                        "billing_frequency": "recurring",
                        "fixed_pricing_model": {"price_per_unit": "2500.00", "units": 1},
                    },
                }
            ],
            "effective": "immediate",
            "description": "Upsell: add dedicated support",
        },
    )
    assert version["effective_at"] == "2026-07-10T00:00:00Z"
    expected = items_with(lambda i: i.append({"product_id": sc.SUPPORT, "price": fixed_stored("2500.00")}))
    assert version["items"] == expected
    assert version["delta"] == {
        "added": [{"product_id": sc.SUPPORT, "price": fixed_stored("2500.00")}],
        "removed": [],
        "updated": [],
    }
    after = ok(api.get(f"/subscriptions/{sub['id']}"))
    assert after["current_version_id"] == version["id"] and after["pending_changes"] == []
    assert ok(api.get(f"/subscriptions/{sub['id']}/versions/current"))["items"] == expected


def test_a5_remove_a_product(api: TestClient, sub: dict) -> None:
    version = change(
        api, sub, {"remove": [{"product_id": "prod_0legacyNej82trlC5RulBsDJY"}], "effective": "end_of_term"}
    )
    assert version["items"] == items_with(lambda i: i.pop(2))
    assert version["delta"]["removed"] == [{"product_id": sc.LEGACY, "price": LEGACY_50}]


def test_a6_swap_to_a_plan_with_an_override(api: TestClient, sub: dict) -> None:
    version = change(
        api,
        sub,
        {
            "plan_id": "pln_052xMej82trlC5RulBsDJY",
            "update": [
                {
                    "product_id": "prod_032wMej82trlC5RulBsDJY",
                    "adjust": {"fixed_pricing_model": {"price_per_unit": "800.00"}},
                }
            ],
            "effective": "next_renewal",
            "description": "Renewal to 2027 enterprise plan with negotiated platform fee",
        },
    )
    assert version["effective_at"] == "2027-07-01T00:00:00Z"
    assert version["plan_id"] == sc.PLAN_2027
    assert version["items"] == [
        {"product_id": sc.PLATFORM, "price": fixed_stored("800.00")},
        {"product_id": sc.API_USAGE, "price": API_GRADUATED},
        {"product_id": sc.SUPPORT, "price": fixed_stored("2000.00")},
    ]
    after = ok(api.get(f"/subscriptions/{sub['id']}"))
    # Contract and billing are preserved; the plan changes when the version takes over.
    assert after["contract"] == sub["contract"] | {"end_date": "2027-07-01"}
    assert after["plan_id"] == sc.PLAN
    ok(api.post("/clock/advance", json={"to": "2027-07-01T00:00:00Z"}))
    assert ok(api.get(f"/subscriptions/{sub['id']}"))["plan_id"] == sc.PLAN_2027


def test_a7_adjust_one_bundle_child(api: TestClient, sub: dict) -> None:
    version = change(
        api,
        sub,
        {
            "update": [
                {
                    "bundle_id": "bnd_032wMej82trlC5RulBsDJY",
                    "items": [
                        {
                            "product_id": "prod_09tx7Nej82trlC5RulBsDJY",
                            "adjust": {"unit_pricing_model": {"price_per_unit": "18.00"}},
                        }
                    ],
                }
            ],
            "effective": "end_of_term",
        },
    )
    assert version["items"] == items_with(
        lambda i: i[3]["items"].__setitem__(1, {"product_id": sc.SEATS, "price": seat_stored("18.00")})
    )


def test_a7_add_a_child_to_a_bundle(api: TestClient, sub: dict) -> None:
    version = change(
        api,
        sub,
        {
            "update": [
                {
                    "bundle_id": "bnd_032wMej82trlC5RulBsDJY",
                    "add_items": [
                        {
                            "product_id": "prod_0analytNej82trlC5RulBsDJY",
                            "new_price": {
                                "type": "fixed",
                                "billing_interval": "monthly",
                                "fee_type": "fixed",
                                "billing_direction": "arrears",
                                "billing_frequency": "recurring",
                                "fixed_pricing_model": {"price_per_unit": "100.00", "units": 1},
                            },
                        }
                    ],
                }
            ],
            "effective": "immediate",
        },
    )
    assert version["items"] == items_with(
        lambda i: i[3]["items"].append({"product_id": sc.ANALYTICS, "price": fixed_stored("100.00")})
    )


def test_a7_remove_a_child_from_a_bundle(api: TestClient, sub: dict) -> None:
    version = change(
        api,
        sub,
        {
            "update": [
                {
                    "bundle_id": "bnd_032wMej82trlC5RulBsDJY",
                    "remove_items": [{"product_id": "prod_0legacyNej82trlC5RulBsDJY"}],
                }
            ],
            "effective": "end_of_term",
        },
    )
    assert version["items"] == items_with(lambda i: i[3]["items"].pop(2))


def test_a7_remove_a_whole_bundle(api: TestClient, sub: dict) -> None:
    version = change(
        api, sub, {"remove": [{"bundle_id": "bnd_032wMej82trlC5RulBsDJY"}], "effective": "end_of_term"}
    )
    assert version["items"] == BASE_ITEMS[:3]


def test_a7_a_removed_bundle_added_back_takes_its_default_items(api: TestClient, sub: dict) -> None:
    """``add`` with a bundle and no ``items``: the bundle's own children (it was stored empty)."""
    change(api, sub, {"remove": [{"bundle_id": sc.BUNDLE}], "effective": "immediate"})
    version = change(api, sub, {"add": [{"bundle_id": sc.BUNDLE}], "effective": "immediate"})
    assert version["items"] == BASE_ITEMS[:3] + [{
        "bundle_id": sc.BUNDLE,
        "items": [
            {"product_id": sc.PLATFORM, "price": fixed_stored("250.00")},
            {"product_id": sc.SEATS, "price": seat_stored("20.00")},
        ],
    }]


def test_a8_preview_writes_nothing(api: TestClient, sub: dict) -> None:
    body = {
        "update": [
            {
                "product_id": "prod_032wMej82trlC5RulBsDJY",
                "adjust": {"fixed_pricing_model": {"price_per_unit": "600.00"}},
            }
        ],
        "effective": "end_of_term",
    }
    preview = ok(api.post(f"/subscriptions/{sub['id']}/changes/preview", json=body))
    assert preview["effective_at"] == "2027-07-01T00:00:00Z"
    assert preview["items"][0] == {"product_id": sc.PLATFORM, "price": fixed_stored("600.00")}
    assert preview["delta"]["updated"] == [
        {
            "product_id": sc.PLATFORM,
            "before": BASE_ITEMS[0],
            "after": {"product_id": sc.PLATFORM, "price": fixed_stored("600.00")},
        }
    ]
    assert len(ok(api.get(f"/subscriptions/{sub['id']}/versions"))["data"]) == 1
    assert ok(api.get(f"/subscriptions/{sub['id']}"))["pending_changes"] == []


def test_a9_draft_for_later_then_publish(api: TestClient, sub: dict) -> None:
    draft = change(
        api,
        sub,
        {"update": [], "effective": "2027-01-01", "draft": True, "description": "Proposed 2027 pricing"},
    )
    assert draft["status"] == "draft" and len(draft["id"]) == 8
    assert draft["items"] == BASE_ITEMS
    assert ok(api.get(f"/subscriptions/{sub['id']}"))["pending_changes"] == []
    published = ok(api.post(f"/subscriptions/{sub['id']}/versions/{draft['id']}/publish"))
    assert published["status"] == "published"
    assert published["effective_at"] == "2027-01-01T00:00:00Z"
    assert ok(api.get(f"/subscriptions/{sub['id']}"))["pending_changes"][0]["version_id"] == draft["id"]
    again = api.post(f"/subscriptions/{sub['id']}/versions/{draft['id']}/publish")
    assert again.status_code == 422
    assert "published versions are immutable" in again.json()["detail"]


def test_path_b_full_lifecycle(api: TestClient, sub: dict) -> None:
    sid = sub["id"]
    b1 = ok(
        api.post(
            f"/subscriptions/{sid}/versions",
            json={
                "effective_at": "2027-01-01",
                "draft": True,
                "description": "2027 enterprise configuration",
                "items": [
                    {
                        "product_id": "prod_032wMej82trlC5RulBsDJY",
                        "price": {
                            "type": "fixed",
                            "billing_interval": "monthly",
                            "fee_type": "fixed",
                            "billing_direction": "arrears",
                            "billing_frequency": "recurring",
                            "fixed_pricing_model": {"price_per_unit": "800.00", "units": 1},
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
                                    {"min_units": 0, "max_units": 100000, "price_per_unit": "0.00", "fixed_fee": None},
                                    {"min_units": 100001, "max_units": None, "price_per_unit": "0.02", "fixed_fee": None},
                                ]
                            },
                        },
                    },
                ],
            },
        ),
        201,
    )
    assert b1["status"] == "draft" and b1["effective_at"] == "2027-01-01T00:00:00Z"
    assert [i["product_id"] for i in b1["items"]] == [sc.PLATFORM, sc.API_USAGE]
    assert ok(api.get(f"/subscriptions/{sid}/versions/current"))["items"] == BASE_ITEMS

    b2 = ok(
        api.post(
            f"/subscriptions/{sid}/versions",
            json={"effective_at": "2027-01-01", "draft": True, "items": BUNDLE_ONLY},
        ),
        201,
    )
    assert b2["items"] == [
        {
            "bundle_id": sc.BUNDLE,
            "items": [
                {"product_id": sc.PLATFORM, "price": fixed_stored("250.00")},
                {"product_id": sc.SEATS, "price": seat_stored("18.00")},
            ],
        }
    ]

    b3 = ok(
        api.put(
            f"/subscriptions/{sid}/versions/{b1['id']}",
            json={"effective_at": "2027-02-01", "description": "Pushed back to February", "items": []},
        )
    )
    assert b3["items"] == [] and b3["effective_at"] == "2027-02-01T00:00:00Z"
    assert b3["description"] == "Pushed back to February" and b3["status"] == "draft"

    published = ok(api.post(f"/subscriptions/{sid}/versions/{b1['id']}/publish"))
    assert published["status"] == "published"
    assert ok(api.get(f"/subscriptions/{sid}"))["pending_changes"] == [
        {"version_id": b1["id"], "effective_at": "2027-02-01T00:00:00Z",
         "description": "Pushed back to February"}
    ]
    # Published versions are immutable.
    r = api.put(f"/subscriptions/{sid}/versions/{b1['id']}", json={"items": []})
    assert r.status_code == 422
    r = api.delete(f"/subscriptions/{sid}/versions/{b1['id']}")
    assert r.status_code == 422

    deleted = api.delete(f"/subscriptions/{sid}/versions/{b2['id']}")
    assert deleted.status_code == 200
    assert api.get(f"/subscriptions/{sid}/versions/{b2['id']}").status_code == 404
    versions = ok(api.get(f"/subscriptions/{sid}/versions"))["data"]
    assert [(v["number"], v["status"]) for v in versions] == [(1, "published"), (2, "published")]
    assert all(v["subscription_id"] == sid for v in versions)


BUNDLE_ONLY = [
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
                    "unit_pricing_model": {"price_per_unit": "18.00"},
                },
            },
        ],
    }
]
