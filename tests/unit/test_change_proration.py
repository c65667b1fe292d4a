"""Proration of a version change, item by item, without a database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.change_proration import change_proration, totals
from kassa.domain.periods import Period

from .helpers import PROPERTY, D, fixed_fee, metered

SEPTEMBER = Period(date(2026, 9, 1), date(2026, 10, 1))  # 30 days
PRICES = st.decimals(min_value=0, max_value=10**5, places=2, allow_nan=False, allow_infinity=False)


def _seat(rate: str | Decimal, quantity: int = 1, interval: str = "monthly", **extra) -> dict:
    price = fixed_fee("unit", {"price_per_unit": str(rate)}, billing_interval=interval, **extra)
    return {"product_id": "plan", "quantity": quantity, "price": price}


def _prorate(old: list[dict], new: list[dict], effective: date, **kw) -> list:
    return change_proration(old, new, effective=effective, anchor=SEPTEMBER.start,
                            currency=kw.pop("currency", "USD"), **kw)


def test_the_documented_upgrade_and_its_downgrade() -> None:
    """$99 -> $199 with 15 of 30 days left: credit 49.50, charge 99.45, net 49.95."""
    (up,) = _prorate([_seat("99.00")], [_seat("199.00")], date(2026, 9, 16))
    assert (up.period, up.remaining_days, up.covers) == (
        SEPTEMBER, 15, Period(date(2026, 9, 16), date(2026, 10, 1)))
    assert (up.old_daily_rate, up.new_daily_rate) == (D("3.30"), D("6.63"))
    assert (up.credit, up.charge, up.net) == (D("49.50"), D("99.45"), D("49.95"))
    (down,) = _prorate([_seat("199.00")], [_seat("99.00")], date(2026, 9, 16))
    assert (down.credit, down.charge, down.net) == (D("99.45"), D("49.50"), D("-49.95"))
    assert totals([up, down], "USD") == {"credit": D("148.95"), "charge": D("148.95"),
                                         "net": D("0.00")}


def test_seats_prorate_on_the_period_amount() -> None:
    (line,) = _prorate([_seat("10.00", 3)], [_seat("10.00", 5)], date(2026, 9, 21))
    assert (line.old_amount, line.new_amount, line.remaining_days) == (D("30.00"), D("50.00"), 10)
    assert (line.credit, line.charge, line.net) == (D("10.00"), D("16.70"), D("6.70"))


def test_added_and_removed_items_are_one_sided() -> None:
    other = {**_seat("30.00"), "product_id": "addon"}
    (added,) = _prorate([_seat("99.00")], [_seat("99.00"), other], date(2026, 9, 21))
    assert (added.product_id, added.credit, added.charge) == ("addon", D("0.00"), D("10.00"))
    (removed,) = _prorate([_seat("99.00"), other], [_seat("99.00")], date(2026, 9, 21))
    assert (removed.product_id, removed.credit, removed.charge) == ("addon", D("10.00"), D("0.00"))


def test_only_advance_billed_recurring_fixed_fees_are_prorated() -> None:
    arrears = _seat("99.00", billing_direction="arrears")
    one_off = _seat("99.00", billing_frequency="one_off")
    usage = {"product_id": "plan", "price": metered("unit", {"price_per_unit": "0.05"})}
    for before in (arrears, one_off, usage):
        assert _prorate([before], [{**before, "quantity": 9}], date(2026, 9, 16)) == []
    (line,) = _prorate([arrears], [_seat("199.00")], date(2026, 9, 16))  # arrears -> advance
    assert (line.credit, line.charge) == (D("0.00"), D("99.45"))


def test_nothing_at_a_period_start_when_asked_or_before_the_anchor() -> None:
    old, new = [_seat("99.00")], [_seat("199.00")]
    assert _prorate(old, new, date(2026, 10, 1), at_period_start=False) == []
    (whole,) = _prorate(old, new, date(2026, 10, 1))
    assert (whole.period.start, whole.remaining_days, whole.net) == (date(2026, 10, 1), 31,
                                                                     D("100.13"))  # 31 x 3.23
    assert _prorate(old, new, date(2026, 8, 31)) == []
    assert _prorate(old, [_seat("99.00")], date(2026, 9, 16)) == []  # same amount


def test_an_interval_change_credits_the_old_period_and_charges_the_new_one() -> None:
    credit, charge = _prorate([_seat("99.00")], [_seat("990.00", interval="yearly")],
                              date(2026, 9, 16))
    assert (credit.period, credit.credit, credit.charge) == (SEPTEMBER, D("49.50"), D("0.00"))
    assert charge.period == Period(date(2026, 9, 1), date(2027, 9, 1))
    assert (charge.remaining_days, charge.new_daily_rate, charge.charge) == (
        350, D("2.71"), D("948.50"))


@PROPERTY
@given(PRICES, PRICES, st.integers(min_value=0, max_value=30), st.sampled_from(["USD", "JPY"]))
def test_an_upgrade_and_its_downgrade_net_out(old, new, day, currency) -> None:
    """Credit and charge are the daily rates times the days left; switching back the same day
    returns exactly what the switch cost."""
    effective = SEPTEMBER.start + timedelta(days=day)
    up = _prorate([_seat(old)], [_seat(new)], effective, currency=currency)
    down = _prorate([_seat(new)], [_seat(old)], effective, currency=currency)
    if old == new:
        assert up == down == []
        return
    ((a,), (b,)) = (up, down)
    assert (a.credit, a.charge) == (b.charge, b.credit)
    assert a.remaining_days == (a.period.end - effective).days
    assert a.net == -b.net == (a.new_daily_rate - a.old_daily_rate) * a.remaining_days
    assert totals(up + down, currency)["net"] == 0
