from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.currencies import minor_units
from kassa.domain.errors import InvalidRequest
from kassa.domain.periods import Period
from kassa.domain.proration import Proration, prorate, prorated_amount

from .helpers import PROPERTY, D

SEPTEMBER = Period(date(2026, 9, 1), date(2026, 10, 1))  # 30 days


def test_the_documented_upgrade_99_to_199():
    effective = date(2026, 9, 16)  # day 16: 15 days left
    result = prorate(D("99.00"), D("199.00"), SEPTEMBER, effective, "USD")
    assert result == Proration(
        remaining_days=15,
        period_days=30,
        old_daily_rate=D("3.30"),
        new_daily_rate=D("6.63"),
        credit=D("49.50"),
        charge=D("99.45"),
        net=D("49.95"),
    )
    assert str(result.net) == "49.95"


def test_a_downgrade_nets_a_credit():
    result = prorate(D("199.00"), D("99.00"), SEPTEMBER, date(2026, 9, 16), "USD")
    assert (result.credit, result.charge, result.net) == (D("99.45"), D("49.50"), D("-49.95"))


def test_no_proration_gives_zeros():
    result = prorate(D("99.00"), D("199.00"), SEPTEMBER, date(2026, 9, 16), "USD", behaviour="none")
    assert result == Proration(15, 30, D(0), D(0), D(0), D(0), D(0))
    assert str(result.net) == "0.00"


def test_unknown_behaviour_is_refused():
    with pytest.raises(InvalidRequest, match="'partial'"):
        prorate(D(1), D(2), SEPTEMBER, date(2026, 9, 16), "USD", behaviour="partial")


def test_effective_date_must_lie_in_the_period():
    with pytest.raises(InvalidRequest, match="outside the period"):
        prorate(D(1), D(2), SEPTEMBER, date(2026, 10, 2), "USD")
    with pytest.raises(InvalidRequest):
        prorate(D(1), D(2), SEPTEMBER, date(2026, 8, 31), "USD")
    assert prorate(D(1), D(2), SEPTEMBER, date(2026, 10, 1), "USD").net == 0  # at the very end


def test_single_sided_add_and_remove():
    assert prorated_amount(D("99.00"), SEPTEMBER, date(2026, 9, 16), "USD") == D("49.50")
    assert prorated_amount(D("99.00"), SEPTEMBER, date(2026, 9, 1), "USD") == D("99.00")
    added = prorate(D(0), D("30.00"), SEPTEMBER, date(2026, 9, 21), "USD")
    assert (added.credit, added.charge, added.net) == (D("0.00"), D("10.00"), D("10.00"))


def test_zero_and_three_decimal_currencies():
    assert prorate(D(10000), D(20000), SEPTEMBER, date(2026, 9, 11), "JPY").net == D(
        6680
    )  # 20 x (667 - 333)
    result = prorate(D("10.000"), D("25.000"), SEPTEMBER, date(2026, 9, 11), "KWD")
    assert (result.old_daily_rate, result.new_daily_rate, result.net) == (
        D("0.333"),
        D("0.833"),
        D("10.000"),
    )


@PROPERTY
@given(
    st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=366),
    st.sampled_from(["USD", "JPY", "KWD"]),
)
def test_full_period_credit_is_the_price_within_daily_rounding(price, days, currency):
    period = Period(date(2027, 1, 1), date(2027, 1, 1) + timedelta(days=days))
    result = prorate(price, D(0), period, period.start, currency)
    half_minor_unit = Decimal(1).scaleb(-minor_units(currency)) / 2
    assert result.remaining_days == days
    assert abs(result.credit - price) <= days * half_minor_unit
    assert result.net == -result.credit


@PROPERTY
@given(
    st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=366),
    st.lists(st.integers(min_value=1, max_value=365), max_size=6),
    st.sampled_from(["USD", "JPY", "KWD"]),
)
def test_prorated_pieces_of_a_period_add_up_to_its_price(price, days, cuts, currency):
    """A period cut at any days into pieces: the pieces (daily rate, rounded once, times days)
    add up to the whole period's proration, which is the price within half a minor unit a day."""
    period = Period(date(2027, 1, 1), date(2027, 1, 1) + timedelta(days=days))
    bounds = sorted({period.start, period.end} | {period.start + timedelta(days=c % days)
                                                  for c in cuts})
    whole = prorated_amount(price, period, period.start, currency)
    pieces = [prorated_amount(price, period, lo, currency) - prorated_amount(price, period, hi,
                                                                             currency)
              for lo, hi in zip(bounds, bounds[1:])]
    assert sum(pieces) == whole
    assert abs(whole - price) <= days * Decimal(1).scaleb(-minor_units(currency)) / 2


@PROPERTY
@given(
    st.decimals(min_value=0, max_value=10**5, places=2, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=0, max_value=10**5, places=2, allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=30),
    st.integers(min_value=0, max_value=30),
)
def test_an_upgrade_undone_later_costs_the_days_in_between(low, high, first, second):
    """Up on one day and back down on a later one nets (new rate - old rate) x the days between."""
    up_on, down_on = sorted((first, second))
    up = prorate(low, high, SEPTEMBER, SEPTEMBER.start + timedelta(days=up_on), "USD")
    down = prorate(high, low, SEPTEMBER, SEPTEMBER.start + timedelta(days=down_on), "USD")
    assert up.net + down.net == (up.new_daily_rate - up.old_daily_rate) * (down_on - up_on)
