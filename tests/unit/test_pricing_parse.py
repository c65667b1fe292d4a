"""Reading and writing price payloads; the tier rules the API reports field by field."""

from __future__ import annotations

import copy

import pytest

from kassa.domain.errors import InvalidRequest
from kassa.domain.pricing import (
    PRICE_TYPES,
    FixedModel,
    GraduatedTieredModel,
    Price,
    Tier,
    UnitModel,
    price_from_dict,
    price_problems,
    price_to_dict,
    tier_problems,
)

from .helpers import API_TIERS, D, fixed_fee, metered

PERCENT_TIERS = [
    {"min_units": 0, "max_units": 10000, "percentage": "3", "fixed_fee": None},
    {"min_units": 10001, "max_units": None, "percentage": "2.5", "fixed_fee": "5.00"},
]

CANONICAL = [
    metered("unit", {"price_per_unit": "0.05"}),
    fixed_fee("fixed", {"price_per_unit": "500.00", "units": 2, "total": "1000.00"}),
    metered("tiered", {"tiers": API_TIERS}),
    metered("graduated_tiered", {"tiers": API_TIERS, "units": None}),
    fixed_fee("graduated_tiered", {"tiers": API_TIERS, "units": 12}),
    metered("tiered_percentage", {"tiers": PERCENT_TIERS}),
    metered("graduated_percentage", {"tiers": PERCENT_TIERS}),
    metered(
        "volume_percentage",
        {"percentage": "2.9", "price_per_unit": "0.30", "fixed_fee": None},
        metrics=("mtr_volume", "mtr_count"),
    ),
    metered("prepaid_tiered", {"prepaid_units": 10000, "tiers": API_TIERS}),
    metered(
        "prepaid_fixed_tiered",
        {"prepaid_units": 5000, "overages_charge_interval": "monthly", "tiers": API_TIERS},
        billing_interval="quarterly",
    ),
    fixed_fee(
        "expression",
        {
            "charges": [
                {
                    "billing_direction": "arrears",
                    "description": "Calls",
                    "quantity_expression": 'usage["api.calls"]',
                    "unit_price_expression": "0.002",
                },
            ]
        },
    ),
]


@pytest.mark.parametrize("payload", CANONICAL, ids=lambda p: p["type"])
def test_round_trip(payload):
    price = price_from_dict(payload)
    assert price_to_dict(price) == {
        **payload,
        "billing_frequency": payload.get("billing_frequency", "recurring"),
    }
    assert price_from_dict(price_to_dict(price)) == price


def test_money_is_decimal_and_units_are_ints():
    price = price_from_dict(metered("graduated_tiered", {"tiers": API_TIERS}))
    assert price == Price(
        "graduated_tiered",
        "monthly",
        "metered",
        "arrears",
        "recurring",
        ("mtr_api",),
        GraduatedTieredModel(
            (
                Tier(0, 10000, D("0.00")),
                Tier(10001, 100000, D("0.03")),
                Tier(100001, None, D("0.02")),
            )
        ),
    )


def test_fixed_output_adds_the_total():
    price = price_from_dict(
        {"type": "fixed", "fixed_pricing_model": {"price_per_unit": "250.00", "units": 3}}
    )
    assert price.model == FixedModel(D("250.00"), 3)
    assert price_to_dict(price)["fixed_pricing_model"] == {
        "price_per_unit": "250.00",
        "units": 3,
        "total": "750.00",
    }


def test_defaults_where_the_payload_is_silent():
    seat = price_from_dict({"type": "fixed", "fixed_pricing_model": {"price_per_unit": "800.00"}})
    assert (
        seat.billing_interval,
        seat.fee_type,
        seat.billing_direction,
        seat.billing_frequency,
    ) == (
        "monthly",
        "fixed",
        "advance",
        "recurring",
    )
    assert seat.model.units == 1
    usage = price_from_dict(
        {"type": "unit", "metric_ids": ["m"], "unit_pricing_model": {"price_per_unit": "1"}}
    )
    assert (usage.fee_type, usage.billing_direction) == ("metered", "arrears")


def test_decimals_may_arrive_as_decimal_objects():
    price = price_from_dict({"type": "unit", "unit_pricing_model": {"price_per_unit": D("0.015")}})
    assert price.model == UnitModel(D("0.015"))


def test_unrelated_price_keys_are_ignored():
    payload = {
        **metered("unit", {"price_per_unit": "1"}),
        "display_order": 3,
        "trial_period_days": 14,
    }
    assert price_problems(payload) == []


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("not an object", [("", "a price must be an object")]),
        ({"unit_pricing_model": {}}, [("type", "is required")]),
        (
            {"type": "flat"},
            [
                (
                    "type",
                    "must be one of " + ", ".join(PRICE_TYPES),
                )
            ],
        ),
        ({"type": "unit"}, [("unit_pricing_model", "is required")]),
        (
            {"type": "unit", "unit_pricing_model": {"price_per_unit": 0.05}},
            [("unit_pricing_model.price_per_unit", 'must be a decimal string such as "12.50"')],
        ),
        (
            {"type": "unit", "unit_pricing_model": {"price_per_unit": "\u0663"}},  # Arabic-Indic 3
            [("unit_pricing_model.price_per_unit", 'must be a decimal string such as "12.50"')],
        ),
        (
            {"type": "unit", "unit_pricing_model": {"price_per_unit": "1e3"}},
            [("unit_pricing_model.price_per_unit", 'must be a decimal string such as "12.50"')],
        ),
        (
            {"type": "unit", "unit_pricing_model": {"price_per_unit": "-1.00"}},
            [("unit_pricing_model.price_per_unit", "must not be negative")],
        ),
        (
            {
                "type": "unit",
                "unit_pricing_model": {"price_per_unit": "1"},
                "fixed_pricing_model": {},
            },
            [
                (
                    "fixed_pricing_model",
                    "does not belong to a unit price: give only unit_pricing_model",
                )
            ],
        ),
        (
            {
                "type": "unit",
                "billing_interval": "weekly",
                "unit_pricing_model": {"price_per_unit": "1"},
            },
            [("billing_interval", "must be one of monthly, quarterly, semi_annual, yearly")],
        ),
        (
            {"type": "unit", "fee_type": "metered", "unit_pricing_model": {"price_per_unit": "1"}},
            [("metric_ids", "a metered unit price takes exactly 1 metric id")],
        ),
        (
            fixed_fee("unit", {"price_per_unit": "1"}, metric_ids=["m"]),
            [("metric_ids", "only metered prices take metric_ids")],
        ),
        (
            metered("unit", {"price_per_unit": "1"}, metrics=("a", "b")),
            [("metric_ids", "a metered unit price takes exactly 1 metric id")],
        ),
        (
            metered("volume_percentage", {"percentage": "2"}, metrics=("a", "b", "c")),
            [("metric_ids", "a metered volume_percentage price takes 1 to 2 metric ids")],
        ),
        (
            metered(
                "expression",
                {
                    "charges": [
                        {
                            "billing_direction": "arrears",
                            "quantity_expression": "1",
                            "unit_price_expression": "1",
                        }
                    ]
                },
                metrics=(),
            ),
            [("metric_ids", "a metered expression price takes at least 1 metric id")],
        ),
        (
            metered("volume_percentage", {"percentage": "120"}),
            [("volume_percentage_pricing_model.percentage", "must be between 0 and 100")],
        ),
        (metered("fixed", {"price_per_unit": "1"}), [("fee_type", "a fixed price must be fixed")]),
        (
            fixed_fee("prepaid_tiered", {"prepaid_units": 1, "tiers": API_TIERS}),
            [("fee_type", "a prepaid_tiered price must be metered")],
        ),
        (
            metered("graduated_tiered", {"tiers": API_TIERS, "units": 5}),
            [("graduated_tiered_pricing_model.units", "only applies to fixed-fee prices")],
        ),
        (
            metered(
                "prepaid_fixed_tiered",
                {"prepaid_units": 1, "overages_charge_interval": "yearly", "tiers": API_TIERS},
            ),
            [
                (
                    "prepaid_fixed_tiered_pricing_model.overages_charge_interval",
                    "must not be longer than the billing_interval (monthly)",
                )
            ],
        ),
        (
            metered("prepaid_tiered", {"prepaid_units": -5, "tiers": API_TIERS}),
            [("prepaid_tiered_pricing_model.prepaid_units", "must be at least 0")],
        ),
        (
            fixed_fee("fixed", {"price_per_unit": "1", "units": "2"}),
            [("fixed_pricing_model.units", "must be an integer")],
        ),
        (
            fixed_fee("expression", {"charges": []}),
            [("expression_pricing_model.charges", "at least one charge is required")],
        ),
        (
            fixed_fee(
                "expression",
                {
                    "charges": [
                        {
                            "billing_direction": "sideways",
                            "quantity_expression": "1",
                            "unit_price_expression": "import os",
                        }
                    ]
                },
            ),
            [
                (
                    "expression_pricing_model.charges[0].billing_direction",
                    "must be one of advance, arrears",
                ),
                (
                    "expression_pricing_model.charges[0].unit_price_expression",
                    "Syntax error at column 1: invalid syntax.",
                ),
            ],
        ),
        (
            metered(
                "graduated_tiered",
                {"tiers": [{"min_units": 0, "max_units": 10, "price_per_unit": "1"}]},
            ),
            [
                (
                    "graduated_tiered_pricing_model.tiers[0].max_units",
                    "the last tier must be open-ended (null)",
                )
            ],
        ),
    ],
)
def test_price_problems_name_the_field(payload, expected):
    assert price_problems(payload) == expected


def test_price_from_dict_raises_with_the_first_field():
    payload = metered("graduated_tiered", {"tiers": copy.deepcopy(API_TIERS)})
    payload["graduated_tiered_pricing_model"]["tiers"][2]["min_units"] = 100005
    payload["graduated_tiered_pricing_model"]["tiers"][1]["price_per_unit"] = "-1"
    with pytest.raises(InvalidRequest) as caught:
        price_from_dict(payload)
    assert caught.value.field == "graduated_tiered_pricing_model.tiers[1].price_per_unit"
    assert caught.value.detail == (
        "graduated_tiered_pricing_model.tiers[1].price_per_unit: must not be negative "
        "(and 1 more problem)"
    )


# --- tier_problems, one case each ----------------------------------------------------------------


def tier(low, high, rate="1.00", fee=None, key="price_per_unit"):
    return {"min_units": low, "max_units": high, key: rate, "fixed_fee": fee}


@pytest.mark.parametrize(
    ("tiers", "percentage", "expected"),
    [
        ([], False, [("tiers", "at least one tier is required")]),
        ([tier(2, None)], False, [("tiers[0].min_units", "the first tier must start at 0 or 1")]),
        ([tier(-1, None)], False, [("tiers[0].min_units", "the first tier must start at 0 or 1")]),
        (
            [tier(0, 10), tier(12, None)],
            False,
            [("tiers[1].min_units", "must be 11, one more than the previous max_units")],
        ),
        (
            [tier(0, 10), tier(10, None)],
            False,
            [("tiers[1].min_units", "must be 11, one more than the previous max_units")],
        ),
        (
            [tier(0, 10), tier(11, 5), tier(6, None)],
            False,
            [("tiers[1].max_units", "must not be less than min_units")],
        ),
        (
            [tier(0, None), tier(1, None)],
            False,
            [("tiers[0].max_units", "only the last tier may be open-ended (null)")],
        ),
        (
            [tier(0, 10), tier(11, 20)],
            False,
            [("tiers[1].max_units", "the last tier must be open-ended (null)")],
        ),
        (
            [tier(0, 10, "-0.01"), tier(11, None)],
            False,
            [("tiers[0].price_per_unit", "must not be negative")],
        ),
        (
            [tier(0, 10), tier(11, None, fee="-5")],
            False,
            [("tiers[1].fixed_fee", "must not be negative")],
        ),
        (
            [tier(0, 10), tier(11, None, rate=None)],
            False,
            [("tiers[1].price_per_unit", "is required")],
        ),
        (
            [tier(0, None, rate=None, key="percentage")],
            True,
            [("tiers[0].percentage", "is required")],
        ),
        (
            [tier(0, None, rate="100.01", key="percentage")],
            True,
            [("tiers[0].percentage", "must be between 0 and 100")],
        ),
        (
            [tier(0, None, rate="-1", key="percentage")],
            True,
            [("tiers[0].percentage", "must be between 0 and 100")],
        ),
        (
            [tier(0, None, rate="2.5")],
            True,
            [
                ("tiers[0].price_per_unit", "is not used by these tiers: give percentage"),
                ("tiers[0].percentage", "is required"),
            ],
        ),
        ([tier("0", None)], False, [("tiers[0].min_units", "must be an integer")]),
        (
            [tier(0, None, rate=0.5)],
            False,
            [("tiers[0].price_per_unit", 'must be a decimal string such as "12.50"')],
        ),
        (["tier"], False, [("tiers[0]", "must be an object")]),
        ([tier(1, 1), tier(2, None)], False, []),
        (PERCENT_TIERS, True, []),
        (API_TIERS, False, []),
    ],
)
def test_tier_problems(tiers, percentage, expected):
    assert tier_problems(tiers, percentage=percentage) == expected


def test_tier_problems_accepts_parsed_tiers():
    tiers = [Tier(0, 10, D("1")), Tier(12, 20, D("-1")), Tier(21, None, None)]
    assert tier_problems(tiers, percentage=False) == [
        ("tiers[1].min_units", "must be 11, one more than the previous max_units"),
        ("tiers[1].price_per_unit", "must not be negative"),
        ("tiers[2].price_per_unit", "is required"),
    ]
