"""Exact amounts for every price type (api-notes section 3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kassa.domain.errors import InvalidExpression, InvalidRequest
from kassa.domain.money import round_money
from kassa.domain.pricing import (
    PRICE_TYPES,
    STRATEGIES,
    ChargeLine,
    PeriodInputs,
    Phase,
    PriceStrategy,
    charge,
    price_from_dict,
    quote,
    register,
)

from .helpers import API_TIERS, D, fixed_fee, metered

ADVANCE, ARREARS = Phase.ADVANCE, Phase.ARREARS


def usage(**values: str | int) -> PeriodInputs:
    return PeriodInputs(usage={k: D(v) for k, v in values.items()})


def amounts(charge_) -> list[Decimal]:
    return [line.amount for line in charge_.lines]


def test_all_ten_documented_types_are_registered():
    assert set(PRICE_TYPES) == {
        "unit",
        "fixed",
        "tiered",
        "graduated_tiered",
        "tiered_percentage",
        "graduated_percentage",
        "volume_percentage",
        "prepaid_tiered",
        "prepaid_fixed_tiered",
        "expression",
    }
    assert all(isinstance(s, PriceStrategy) and s.type == t for t, s in STRATEGIES.items())


def test_registering_a_type_twice_is_refused():
    with pytest.raises(ValueError, match="unit"):
        register("unit")(type("Again", (PriceStrategy,), {}))


# --- unit ----------------------------------------------------------------------------------------


def test_metered_unit_is_usage_times_rate_in_arrears():
    price = price_from_dict(metered("unit", {"price_per_unit": "0.05"}))
    result = charge(price, usage(mtr_api=12345), ARREARS)
    assert result.amount == D("617.25")
    assert result.lines == (ChargeLine("unit", "Per unit", D(12345), D("0.05"), D("617.25")),)
    assert charge(price, usage(mtr_api=12345), ADVANCE).amount == 0
    assert charge(price, usage(mtr_api=12345), ADVANCE).lines == ()


def test_missing_usage_counts_as_zero():
    price = price_from_dict(metered("unit", {"price_per_unit": "0.05"}))
    assert charge(price, usage(other_metric=99), ARREARS).amount == 0


def test_metered_prices_charge_in_arrears_whatever_their_direction():
    price = price_from_dict(metered("unit", {"price_per_unit": "2"}, billing_direction="advance"))
    assert charge(price, usage(mtr_api=3), ADVANCE).amount == 0
    assert charge(price, usage(mtr_api=3), ARREARS).amount == D(6)


def test_seat_unit_price_uses_the_item_quantity_in_its_direction():
    price = price_from_dict(fixed_fee("unit", {"price_per_unit": "20.00"}))
    assert charge(price, PeriodInputs(quantity=D(7)), ADVANCE).amount == D("140.00")
    assert charge(price, PeriodInputs(quantity=D(7)), ARREARS).amount == 0
    assert charge(price, PeriodInputs(), ADVANCE).amount == D("20.00")  # quantity defaults to 1


def test_fractional_quantities_are_exact():
    price = price_from_dict(metered("unit", {"price_per_unit": "0.015"}))
    assert charge(price, usage(mtr_api="1000.5"), ARREARS).amount == D("15.0075")


# --- fixed ---------------------------------------------------------------------------------------


def test_fixed_is_price_times_units():
    price = price_from_dict(
        fixed_fee("fixed", {"price_per_unit": "500.00", "units": 3}, direction="arrears")
    )
    result = charge(price, PeriodInputs(quantity=D(99)), ARREARS)  # the item quantity is not used
    assert result.amount == D("1500.00")
    assert result.lines[0].kind == "fixed"
    assert (result.lines[0].units, result.lines[0].rate) == (D(3), D("500.00"))
    assert charge(price, PeriodInputs(), ADVANCE).amount == 0


# --- graduated and volume tiers ------------------------------------------------------------------


def test_graduated_tiers_of_the_api_notes_make_3700():
    price = price_from_dict(metered("graduated_tiered", {"tiers": API_TIERS}))
    result = charge(price, usage(mtr_api=150000), ARREARS)
    assert result.amount == D("3700.00")
    assert [(line.units, line.rate, line.amount) for line in result.lines] == [
        (D(10000), D("0.00"), D("0.00")),
        (D(90000), D("0.03"), D("2700.00")),
        (D(50000), D("0.02"), D("1000.00")),
    ]
    assert [line.description for line in result.lines] == [
        "Tier 1 (0-10000)",
        "Tier 2 (10001-100000)",
        "Tier 3 (100001 and above)",
    ]


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        (0, "0"),
        (10000, "0.00"),
        (10001, "0.03"),
        (100000, "2700.00"),
        (100001, "2700.02"),
        ("10000.5", "0.015"),
    ],
)
def test_graduated_band_edges(units, expected):
    price = price_from_dict(metered("graduated_tiered", {"tiers": API_TIERS}))
    assert charge(price, usage(mtr_api=units), ARREARS).amount == D(expected)


def test_the_same_tiers_as_volume_make_3000():
    price = price_from_dict(metered("tiered", {"tiers": API_TIERS}))
    result = charge(price, usage(mtr_api=150000), ARREARS)
    assert result.amount == D("3000.00")
    assert result.lines == (
        ChargeLine("tier", "Tier 3 (100001 and above)", D(150000), D("0.02"), D("3000.00")),
    )


@pytest.mark.parametrize(
    ("units", "expected"),
    [(0, "0.00"), (10000, "0.00"), (10001, "300.03"), (100000, "3000.00"), (100001, "2000.02")],
)
def test_volume_tier_edges(units, expected):
    price = price_from_dict(metered("tiered", {"tiers": API_TIERS}))
    assert charge(price, usage(mtr_api=units), ARREARS).amount == D(expected)


FEE_TIERS = [
    {"min_units": 1, "max_units": 10, "price_per_unit": "1.00", "fixed_fee": "5.00"},
    {"min_units": 11, "max_units": None, "price_per_unit": "0.50", "fixed_fee": "20.00"},
]


@pytest.mark.parametrize(("units", "expected"), [(0, "0"), (10, "15.00"), (15, "37.5000")])
def test_graduated_fixed_fees_for_each_reached_tier(units, expected):
    price = price_from_dict(metered("graduated_tiered", {"tiers": FEE_TIERS}))
    assert charge(price, usage(mtr_api=units), ARREARS).amount == D(expected)


def test_graduated_fee_lines():
    price = price_from_dict(metered("graduated_tiered", {"tiers": FEE_TIERS}))
    result = charge(price, usage(mtr_api=15), ARREARS)
    assert [(line.kind, line.amount) for line in result.lines] == [
        ("tier", D("10.00")),
        ("fixed_fee", D("5.00")),
        ("tier", D("2.5000")),
        ("fixed_fee", D("20.00")),
    ]


@pytest.mark.parametrize(("units", "expected"), [(0, "5.00"), (10, "15.00"), (15, "27.5000")])
def test_volume_adds_the_chosen_tiers_fixed_fee(units, expected):
    price = price_from_dict(metered("tiered", {"tiers": FEE_TIERS}))
    assert charge(price, usage(mtr_api=units), ARREARS).amount == D(expected)


def test_graduated_units_override_the_quantity_of_fixed_fee_items():
    tiers = [
        {"min_units": 1, "max_units": 10, "price_per_unit": "10.00", "fixed_fee": None},
        {"min_units": 11, "max_units": None, "price_per_unit": "8.00", "fixed_fee": None},
    ]
    with_units = price_from_dict(fixed_fee("graduated_tiered", {"tiers": tiers, "units": 25}))
    without = price_from_dict(fixed_fee("graduated_tiered", {"tiers": tiers}))
    seats = PeriodInputs(quantity=D(12))
    assert charge(with_units, seats, ADVANCE).amount == D("220.00")  # 10 x 10 + 15 x 8
    assert charge(without, seats, ADVANCE).amount == D("116.00")  # 10 x 10 + 2 x 8


def test_tiered_prices_refuse_negative_quantities():
    price = price_from_dict(metered("graduated_tiered", {"tiers": API_TIERS}))
    with pytest.raises(InvalidRequest, match="negative"):
        charge(price, usage(mtr_api=-1), ARREARS)


# --- percentages ---------------------------------------------------------------------------------

PERCENT_TIERS = [
    {"min_units": 0, "max_units": 10000, "percentage": "3", "fixed_fee": None},
    {"min_units": 10001, "max_units": None, "percentage": "2", "fixed_fee": "5.00"},
]


@pytest.mark.parametrize(
    ("volume", "expected"), [("8000.00", "240.0000"), ("12500.50", "255.010000")]
)
def test_tiered_percentage_applies_the_tier_of_the_total_volume(volume, expected):
    price = price_from_dict(metered("tiered_percentage", {"tiers": PERCENT_TIERS}))
    assert charge(price, usage(mtr_api=volume), ARREARS).amount == D(expected)


def test_graduated_percentage_applies_each_band():
    price = price_from_dict(metered("graduated_percentage", {"tiers": PERCENT_TIERS}))
    result = charge(price, usage(mtr_api="12500.50"), ARREARS)
    assert result.amount == D("355.01")  # 10000 x 3% + 2500.50 x 2% + 5.00
    assert [(line.kind, line.units, line.rate) for line in result.lines] == [
        ("percentage", D(10000), D(3)),
        ("percentage", D("2500.50"), D(2)),
        ("fixed_fee", None, None),
    ]


def test_volume_percentage_card_fees():
    model = {"percentage": "2.9", "price_per_unit": "0.30", "fixed_fee": None}
    price = price_from_dict(
        metered("volume_percentage", model, metrics=("mtr_volume", "mtr_count"))
    )
    result = charge(price, usage(mtr_volume="10000.00", mtr_count=250), ARREARS)
    assert result.amount == D("365.00")  # 290.00 + 250 x 0.30
    assert [(line.kind, line.amount) for line in result.lines] == [
        ("percentage", D("290.00")),
        ("transaction_fee", D("75.00")),
    ]


def test_volume_percentage_fixed_fee_and_missing_count():
    model = {"percentage": "1.5", "price_per_unit": "0.25", "fixed_fee": "10.00"}
    price = price_from_dict(metered("volume_percentage", model, metrics=("mtr_volume",)))
    assert charge(price, usage(mtr_volume="200.00"), ARREARS).amount == D("13.00")
    assert charge(price, usage(), ARREARS).amount == D("10.00")
    assert charge(price, usage(mtr_volume="200.00"), ADVANCE).amount == 0


# --- prepaid -------------------------------------------------------------------------------------

PREPAID_TIERS = [
    {"min_units": 0, "max_units": 10000, "price_per_unit": "0.01", "fixed_fee": None},
    {"min_units": 10001, "max_units": None, "price_per_unit": "0.008", "fixed_fee": None},
]


def test_prepaid_tiered_block_and_overage():
    price = price_from_dict(
        metered("prepaid_tiered", {"prepaid_units": 10000, "tiers": PREPAID_TIERS})
    )
    advance = charge(price, usage(mtr_api=15000), ADVANCE)
    assert advance.amount == D("100.00")
    assert advance.lines[0].kind == "prepaid" and advance.lines[0].units == D(10000)
    overage = charge(price, usage(mtr_api=15000), ARREARS)
    assert overage.amount == D("40.000")  # price(15000) 140.00 - price(10000) 100.00
    assert overage.lines[0].kind == "overage" and overage.lines[0].units == D(5000)
    assert charge(price, usage(mtr_api=8000), ARREARS).amount == 0
    assert quote(price, usage(mtr_api=15000)).amount == D("140.000")


def test_prepaid_fixed_tiered_overage_is_cumulative_over_the_block():
    tiers = [
        {"min_units": 0, "max_units": 1000, "price_per_unit": "0.10", "fixed_fee": None},
        {"min_units": 1001, "max_units": None, "price_per_unit": "0.05", "fixed_fee": None},
    ]
    model = {"prepaid_units": 1000, "overages_charge_interval": "monthly", "tiers": tiers}
    price = price_from_dict(metered("prepaid_fixed_tiered", model, billing_interval="yearly"))
    assert charge(price, PeriodInputs(), ADVANCE).amount == D("100.00")

    def month(prior: int, used: int):
        return charge(
            price,
            PeriodInputs(usage={"mtr_api": D(used)}, prior_usage={"mtr_api": D(prior)}),
            ARREARS,
        )

    assert month(0, 900).amount == 0  # still inside the block
    assert month(800, 500).amount == D("15.00")  # 300 units past the block
    assert month(800, 500).lines[0].units == D(300)
    assert month(1300, 200).amount == D("10.00")  # all 200 are overage
    assert month(0, 900).amount + month(900, 400).amount + month(1300, 200).amount == D("25.00")


# --- expression ----------------------------------------------------------------------------------


def _expression_price():
    charges = [
        {
            "billing_direction": "arrears",
            "description": "API calls above 1000",
            "quantity_expression": "max(usage.api_calls - 1000, 0)",
            "unit_price_expression": "0.002",
        },
        {
            "billing_direction": "advance",
            "description": "Seats",
            "quantity_expression": "quantity",
            "unit_price_expression": "15 if quantity < 10 else 12",
        },
    ]
    return price_from_dict(fixed_fee("expression", {"charges": charges}))


def test_expression_charges_in_their_own_phases():
    price = _expression_price()
    inputs = PeriodInputs(quantity=D(12), usage={"api_calls": D(5000)})
    arrears = charge(price, inputs, ARREARS)
    assert arrears.lines == (
        ChargeLine("expression", "API calls above 1000", D(4000), D("0.002"), D("8.000")),
    )
    assert charge(price, inputs, ADVANCE).amount == D(144)
    assert quote(price, inputs).amount == D("152.000")
    assert charge(price, PeriodInputs(quantity=D(3)), ADVANCE).amount == D(45)


def test_expression_evaluation_errors_are_invalid_expression():
    charges = [
        {
            "billing_direction": "arrears",
            "description": "x",
            "quantity_expression": "1 / usage.calls",
            "unit_price_expression": "1",
        }
    ]
    price = price_from_dict(fixed_fee("expression", {"charges": charges}))
    with pytest.raises(InvalidExpression, match="Division by zero"):
        charge(price, PeriodInputs(), ARREARS)


# --- quote and rounding --------------------------------------------------------------------------


def test_quote_combines_advance_and_arrears():
    price = price_from_dict(fixed_fee("unit", {"price_per_unit": "9.99"}))
    result = quote(price, PeriodInputs(quantity=D(3)))
    assert result.amount == D("29.97")
    assert len(result.lines) == 1


def test_amounts_are_full_precision_and_round_once_per_currency():
    price = price_from_dict(metered("unit", {"price_per_unit": "0.0125"}))
    amount = charge(price, usage(mtr_api=3), ARREARS).amount
    assert amount == D("0.0375")
    assert str(round_money(amount, "KWD")) == "0.038"
    assert str(round_money(amount, "USD")) == "0.04"
    assert str(round_money(amount, "JPY")) == "0"
    yen = price_from_dict(metered("unit", {"price_per_unit": "0.5"}))
    assert str(round_money(charge(yen, usage(mtr_api=3), ARREARS).amount, "JPY")) == "2"


def test_charge_accepts_the_phase_as_text():
    price = price_from_dict(metered("unit", {"price_per_unit": "1"}))
    assert charge(price, usage(mtr_api=2), "arrears").amount == 2
