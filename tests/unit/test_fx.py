"""Exchange rates and conversion (kassa.domain.fx): properties with hypothesis, and the rules of
finding a rate, currency options and converted prices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kassa.domain.currencies import minor_units
from kassa.domain.errors import InvalidRequest
from kassa.domain.fx import (
    RATE_DIGITS,
    Conversion,
    FxRateMissing,
    Rate,
    convert,
    converted_price,
    cross,
    derived,
    find,
    inverse,
    leg,
    localized,
    needs_conversion,
    parse_rate,
)
from kassa.domain.money import round_money
from kassa.domain.pricing import PeriodInputs, Phase, price_from_dict
from kassa.domain.pricing.currency_options import option_price, option_problems

CURRENCIES = ["JPY", "KRW", "USD", "EUR", "KWD", "BHD", "OMR"]
D = date(2026, 1, 1)

amounts = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=6,
                      allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("50000"), places=6,
                    allow_nan=False, allow_infinity=False).filter(lambda r: r > 0)
currencies = st.sampled_from(CURRENCIES)


def half_up(value: Fraction, places: int) -> Decimal:
    """``value`` rounded half away from zero to ``places`` decimals, in integers only."""
    scaled = value * 10 ** places
    sign = -1 if scaled < 0 else 1
    whole = (abs(scaled) + Fraction(1, 2)).__floor__()
    return Decimal(sign * whole).scaleb(-places)


@given(amounts, rates, currencies)
def test_conversion_is_the_rate_applied_then_quantized_once(amount, rate, target) -> None:
    result = convert(amount, rate, target)
    places = minor_units(target)
    assert isinstance(result, Decimal)
    assert result.as_tuple().exponent == -places  # JPY 0 decimals, KWD/BHD 3
    assert result == half_up(Fraction(amount) * Fraction(rate), places)


@given(amounts, rates)
def test_zero_and_three_decimal_targets_have_their_exponent(amount, rate) -> None:
    assert convert(amount, rate, "JPY").as_tuple().exponent == 0
    assert convert(amount, rate, "KRW").as_tuple().exponent == 0
    assert convert(amount, rate, "KWD").as_tuple().exponent == -3
    assert convert(amount, rate, "BHD").as_tuple().exponent == -3


big_enough = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000000"), places=2)


@settings(max_examples=300)
@given(big_enough, rates, rates, currencies)
def test_a_cross_rate_is_within_one_minor_unit_of_both_legs_applied_exactly(
        amount, first, second, target) -> None:
    places = minor_units(target)
    # The documented bound: converted amounts below 10**(12 - decimals) target units.
    assume(amount * first * second < Decimal(10) ** (12 - places))
    via = cross(Conversion("USD", "EUR", first, D), Conversion("EUR", target, second, D))
    assert via.via == "EUR"
    exact = half_up(Fraction(amount) * Fraction(first) * Fraction(second), minor_units(target))
    unit = Decimal(1).scaleb(-minor_units(target))
    assert abs(convert(amount, via.rate, target) - exact) <= unit
    assert len(via.rate.as_tuple().digits) <= RATE_DIGITS


@given(rates)
def test_an_inverse_rate_keeps_fifteen_significant_digits(rate) -> None:
    inv = inverse(rate)
    assert len(inv.as_tuple().digits) <= RATE_DIGITS
    assert abs(Fraction(inv) * Fraction(rate) - 1) < Fraction(1, 10 ** (RATE_DIGITS - 1))


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2), rates,
       st.sampled_from(["JPY", "EUR", "KWD"]))
def test_a_converted_price_charges_the_base_charge_converted_once(amount, rate, target) -> None:
    base = {"type": "graduated_tiered", "metric_ids": ["m"], "fee_type": "metered",
            "graduated_tiered_pricing_model": {"tiers": [
                {"min_units": 0, "max_units": 10, "price_per_unit": "0.00", "fixed_fee": "1.25"},
                {"min_units": 11, "max_units": None, "price_per_unit": str(amount)}]}}
    usage = PeriodInputs(usage={"m": Decimal(37)})
    original = price_from_dict(base).charge(usage, Phase.ARREARS).amount
    moved = price_from_dict(converted_price(base, rate)).charge(usage, Phase.ARREARS).amount
    assert round_money(moved, target) == convert(original, rate, target)


def test_rates_are_decimal_strings_above_zero_never_floats() -> None:
    assert parse_rate("1.0842") == Decimal("1.0842")
    for bad in ("0", "-1", "abc", "NaN", "Infinity", "1e3", "1.", ".5", "1,5", "١", "1e12",
                "0.0000000000001", "1000000000"):
        with pytest.raises(InvalidRequest):
            parse_rate(bad)
    for bad in (1.5, 1, True, None):
        with pytest.raises(InvalidRequest) as refused:
            parse_rate(bad)
        assert refused.value.field == "rate"
    with pytest.raises(TypeError):
        convert(1.5, Decimal("1.1"), "EUR")  # type: ignore[arg-type]


def test_a_pair_takes_its_newest_rate_either_way_round() -> None:
    rates = [Rate("USD", "EUR", Decimal("0.90"), date(2026, 1, 1)),
             Rate("EUR", "USD", Decimal("1.25"), date(2026, 2, 1)),
             Rate("USD", "EUR", Decimal("0.70"), date(2026, 3, 1))]
    assert leg(rates, "USD", "EUR", date(2026, 1, 31)).rate == Decimal("0.90")
    february = leg(rates, "USD", "EUR", date(2026, 2, 15))
    assert (february.rate, february.rate_date) == (Decimal("0.8"), date(2026, 2, 1))
    assert leg(rates, "EUR", "USD", date(2026, 1, 1)).rate == inverse(Decimal("0.90"))
    assert leg(rates, "USD", "EUR", date(2025, 12, 31)) is None


def test_cross_rates_go_through_the_preferred_pivot_and_are_dated_by_the_older_leg() -> None:
    rates = [Rate("EUR", "USD", Decimal("1.0830"), date(2026, 1, 2)),
             Rate("EUR", "JPY", Decimal("162.35"), date(2026, 1, 1)),
             Rate("GBP", "JPY", Decimal("190"), date(2026, 1, 1)),
             Rate("GBP", "USD", Decimal("1.3"), date(2026, 1, 1))]
    found = find(rates, "USD", "JPY", date(2026, 1, 5), pivots=["GBP"])
    assert (found.via, found.rate, found.rate_date) == ("GBP", derived(inverse(Decimal("1.3")) * 190),
                                                         date(2026, 1, 1))
    by_ecb = find(rates, "USD", "JPY", date(2026, 1, 5))
    assert (by_ecb.via, by_ecb.rate_date) == ("EUR", date(2026, 1, 1))
    with pytest.raises(FxRateMissing) as missing:
        find(rates, "USD", "CHF", date(2026, 1, 5))
    assert "No exchange rate from USD to CHF valid on 2026-01-05" in missing.value.detail
    assert find(rates, "USD", "USD", D).rate == 1


FIXED = {"type": "fixed", "billing_frequency": "recurring", "billing_direction": "advance",
         "fee_type": "fixed", "fixed_pricing_model": {"price_per_unit": "99.00"}}


def test_currency_options_are_checked_like_the_price_itself() -> None:
    def problems(options, **price):
        return option_problems({**FIXED, **price, "currency_options": options})

    assert problems({"EUR": {"fixed_pricing_model": {"price_per_unit": "90.00"}}}) == []
    assert problems({"eur": {"fixed_pricing_model": {"price_per_unit": "9"}}})[0][0] == \
        "currency_options.eur"
    assert problems({"EUR": {"unit_pricing_model": {"price_per_unit": "9"}}}) == [
        ("currency_options.EUR.unit_pricing_model",
         "does not belong to a fixed price: give only fixed_pricing_model"),
        ("currency_options.EUR.fixed_pricing_model", "is required")]
    assert problems({"EUR": {"type": "unit", "fixed_pricing_model": {"price_per_unit": "9"}}}) \
        == [("currency_options.EUR.type", "must be fixed, the price's own type")]
    assert problems({"EUR": {"fixed_pricing_model": {"price_per_unit": "-9"}}})[0][0] == \
        "currency_options.EUR.fixed_pricing_model.price_per_unit"
    assert problems({"EUR": {"fixed_pricing_model": {"price_per_unit": "9"},
                             "billing_interval": "yearly"}})[0][0] == \
        "currency_options.EUR.billing_interval"
    fixed_off = {"type": "fixed_amount", "amount": "10.00"}
    assert problems({"EUR": {"fixed_pricing_model": {"price_per_unit": "9"}}},
                    discount=fixed_off)[0][0] == "currency_options.EUR.discount"


def test_items_bill_from_their_option_else_converted_else_refused() -> None:
    with_option = {**FIXED, "currency_options": {
        "EUR": {"fixed_pricing_model": {"price_per_unit": "90.00"}}}}
    items = [{"product_id": "a", "price": with_option},
             {"bundle_id": "b", "items": [{"product_id": "c", "price": FIXED}]}]
    assert needs_conversion(items, "EUR") == ["c"]
    assert needs_conversion(items, "GBP") == ["a", "c"]
    conversion = Conversion("USD", "EUR", Decimal("0.5"), D)
    billed = localized(items, "EUR", conversion)
    assert billed[0]["price"]["fixed_pricing_model"] == {"price_per_unit": "90.00"}
    assert "currency_options" not in billed[0]["price"]
    assert billed[1]["items"][0]["price"]["fixed_pricing_model"]["price_per_unit"] == "49.500"
    assert option_price(with_option, "EUR")["fixed_pricing_model"]["price_per_unit"] == "90.00"
    with pytest.raises(FxRateMissing):
        localized(items, "EUR", None)


def test_expression_and_percentage_prices_convert_only_their_money() -> None:
    expression = {"type": "expression", "metric_ids": ["m"], "fee_type": "metered",
                  "expression_pricing_model": {"charges": [{
                      "billing_direction": "arrears", "quantity_expression": "usage.m",
                      "unit_price_expression": "0.25"}]}}
    moved = converted_price(expression, Decimal("150"))
    charge = price_from_dict(moved).charge(PeriodInputs(usage={"m": Decimal(3)}), Phase.ARREARS)
    assert charge.amount == Decimal("112.50")
    percentage = {"type": "volume_percentage", "metric_ids": ["m"], "fee_type": "metered",
                  "volume_percentage_pricing_model": {"percentage": "2.5", "fixed_fee": "1.00"}}
    model = converted_price(percentage, Decimal("3"))["volume_percentage_pricing_model"]
    assert (model["percentage"], model["fixed_fee"]) == ("2.5", "3.00")
    discounted = converted_price({**FIXED, "discount": {"type": "fixed_amount",
                                                        "amount": "10.00"}}, Decimal("3"))
    assert discounted["discount"]["amount"] == "30.00"
