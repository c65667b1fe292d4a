"""Proration follows the price actually billed: escalation and discounts change the daily
rates of a change's proration the way they change the period's line (``BilledAs``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.change_proration import BilledAs, change_proration
from kassa.domain.money import round_money
from kassa.domain.periods import Period

from .helpers import PROPERTY, D, fixed_fee

SEPTEMBER = Period(date(2026, 9, 1), date(2026, 10, 1))  # 30 days
PRICES = st.decimals(min_value=0, max_value=10**5, places=2, allow_nan=False, allow_infinity=False)
ESCALATION = {"enabled": True, "type": "percentage", "percentage": "10", "interval_months": 12}


def _seat(rate: str | Decimal, quantity: int = 1, **extra) -> dict:
    price = fixed_fee("unit", {"price_per_unit": str(rate)}, **extra)
    return {"product_id": "plan", "quantity": quantity, "price": price}


def _prorate(old, new, effective=date(2026, 9, 16), billed=None):
    return change_proration(old, new, effective=effective, anchor=SEPTEMBER.start,
                            currency="USD", billed=billed)


def test_escalation_and_both_discounts_make_the_daily_rates() -> None:
    """Contract started 2025-09-01: September 2026 is month 12, escalated once by 10%; the
    item's 20% discount and the subscription's 10% are taken off the escalated line, as on
    the period's invoice: 100.00 -> 110.00 - 22.00 - 11.00 = 77.00 a month, 2.57 a day;
    200.00 -> 154.00, 5.13."""
    billed = BilledAs("USD", date(2025, 9, 1), ESCALATION,
                      {"type": "percentage", "amount": "10", "duration_type": "forever"})
    discount = {"type": "percentage", "amount": "20", "duration_type": "forever"}
    (line,) = _prorate([_seat("100.00", discount=discount)], [_seat("200.00", discount=discount)],
                       billed=billed)
    assert (line.old_amount, line.new_amount) == (D("77.00"), D("154.00"))
    assert (line.old_daily_rate, line.new_daily_rate) == (D("2.57"), D("5.13"))
    assert (line.credit, line.charge, line.net) == (D("38.55"), D("76.95"), D("38.40"))
    (listed,) = _prorate([_seat("100.00", discount=discount)], [_seat("200.00", discount=discount)])
    assert (listed.credit, listed.charge) == (D("49.95"), D("100.05"))  # the list price


def test_a_fixed_amount_subscription_discount_is_not_spread_over_days_but_a_price_one_is() -> None:
    per_invoice = BilledAs("USD", date(2026, 9, 1), None,
                           {"type": "fixed_amount", "amount": "30", "duration_type": "forever"})
    (line,) = _prorate([_seat("90.00")], [_seat("180.00")], billed=per_invoice)
    assert (line.old_daily_rate, line.new_daily_rate) == (D("3.00"), D("6.00"))
    price_off = {"type": "fixed_amount", "amount": "30", "duration_type": "forever"}
    (line,) = _prorate([_seat("90.00", discount=price_off)], [_seat("180.00", discount=price_off)],
                       billed=BilledAs("USD", date(2026, 9, 1)))
    assert (line.old_amount, line.new_amount) == (D("60.00"), D("150.00"))


def test_a_limited_discount_that_has_run_out_no_longer_lowers_the_rate() -> None:
    three_months = {"type": "percentage", "amount": "50", "duration_type": "limited",
                    "duration_value": 3}
    early = BilledAs("USD", date(2026, 8, 1), None, three_months)  # September is month 1
    late = BilledAs("USD", date(2026, 5, 1), None, three_months)  # September is month 4
    (line,) = _prorate([_seat("60.00")], [_seat("120.00")], billed=early)
    assert (line.old_daily_rate, line.new_daily_rate) == (D("1.00"), D("2.00"))
    (line,) = _prorate([_seat("60.00")], [_seat("120.00")], billed=late)
    assert (line.old_daily_rate, line.new_daily_rate) == (D("2.00"), D("4.00"))


@PROPERTY
@given(old=PRICES, new=PRICES, day=st.integers(min_value=1, max_value=29),
       seats=st.integers(min_value=1, max_value=50))
def test_billed_as_without_modifiers_is_the_list_price(old, new, day, seats) -> None:
    effective = date(2026, 9, 1 + day)
    listed = _prorate([_seat(old, seats)], [_seat(new, seats)], effective)
    assert _prorate([_seat(old, seats)], [_seat(new, seats)], effective,
                    billed=BilledAs("USD", date(2026, 1, 1))) == listed


@PROPERTY
@given(old=PRICES, new=PRICES, day=st.integers(min_value=1, max_value=29),
       percent=st.integers(min_value=0, max_value=100))
def test_a_percentage_discount_never_prorates_more_than_the_list_price(old, new, day,
                                                                       percent) -> None:
    effective = date(2026, 9, 1 + day)
    billed = BilledAs("USD", date(2026, 1, 1), None,
                      {"type": "percentage", "amount": str(percent), "duration_type": "forever"})
    listed = _prorate([_seat(old)], [_seat(new)], effective)
    billed_lines = _prorate([_seat(old)], [_seat(new)], effective, billed=billed)
    assert len(billed_lines) <= len(listed)  # equal list prices stay equal once discounted
    for line in billed_lines:
        (list_line,) = listed
        assert 0 <= line.credit <= list_line.credit and 0 <= line.charge <= list_line.charge
        assert line.old_amount == old - round_money(old * percent / 100, "USD")
        if percent == 0:
            assert (line.credit, line.charge) == (list_line.credit, list_line.charge)
        if percent == 100:
            assert (line.credit, line.charge) == (D("0.00"), D("0.00"))
