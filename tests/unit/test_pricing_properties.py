"""Properties of tier arithmetic over random valid tier sets and quantities."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.pricing import PeriodInputs, Phase, Price, Tier, charge, tier_problems
from kassa.domain.pricing.model import GraduatedTieredModel, TieredModel
from kassa.domain.pricing.tiers import band_units

from .helpers import PROPERTY

money = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False, allow_infinity=False)
quantities = st.decimals(
    min_value=0, max_value=10**7, places=3, allow_nan=False, allow_infinity=False
)


@st.composite
def tier_sets(draw) -> tuple[Tier, ...]:
    widths = draw(st.lists(st.integers(min_value=1, max_value=10**6), max_size=5))
    tiers, low = [], draw(st.sampled_from([0, 1]))
    for width in widths:
        high = low + width - 1
        tiers.append(Tier(low, high, draw(money), fixed_fee=draw(st.none() | money)))
        low = high + 1
    tiers.append(Tier(low, None, draw(money), fixed_fee=draw(st.none() | money)))
    return tuple(tiers)


def _graduated(tiers, quantity) -> Decimal:
    price = Price(
        "graduated_tiered",
        "monthly",
        "metered",
        "arrears",
        "recurring",
        ("m",),
        GraduatedTieredModel(tiers),
    )
    return charge(price, PeriodInputs(usage={"m": quantity}), Phase.ARREARS).amount


def _volume(tiers, quantity) -> Decimal:
    price = Price(
        "tiered", "monthly", "metered", "arrears", "recurring", ("m",), TieredModel(tiers)
    )
    return charge(price, PeriodInputs(usage={"m": quantity}), Phase.ARREARS).amount


@PROPERTY
@given(tier_sets())
def test_generated_tier_sets_are_valid(tiers):
    assert tier_problems(tiers, percentage=False) == []


@PROPERTY
@given(tier_sets(), quantities, quantities)
def test_graduated_amount_never_decreases_with_quantity(tiers, a, b):
    low, high = sorted([a, b])
    assert _graduated(tiers, low) <= _graduated(tiers, high)


@PROPERTY
@given(tier_sets(), quantities)
def test_graduated_amount_is_the_sum_of_its_bands(tiers, quantity):
    # Independent of the implementation: tier i covers (previous max, own max].
    expected, lower = Decimal(0), Decimal(0)
    covered = Decimal(0)
    for t in tiers:
        upper = quantity if t.max_units is None else min(quantity, Decimal(t.max_units))
        units = max(upper - lower, Decimal(0))
        covered += units
        if units > 0:
            expected += units * t.price_per_unit + (t.fixed_fee or 0)
        if t.max_units is not None:
            lower = Decimal(t.max_units)
    assert covered == quantity
    assert sum(band_units(tiers, quantity)) == quantity
    assert _graduated(tiers, quantity) == expected


@PROPERTY
@given(tier_sets(), quantities)
def test_volume_amount_is_quantity_times_the_chosen_rate_plus_fee(tiers, quantity):
    chosen = next(t for t in tiers if t.max_units is None or quantity <= t.max_units)
    previous_max = (
        [t.max_units for t in tiers][tiers.index(chosen) - 1] if tiers.index(chosen) else None
    )
    assert previous_max is None or quantity > previous_max
    assert _volume(tiers, quantity) == quantity * chosen.price_per_unit + (chosen.fixed_fee or 0)
