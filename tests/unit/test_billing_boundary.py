"""The billing boundary without a database: planned slots and their lines, per kind of price."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.billing.boundary import Terms, arrears_slot, plan_boundary, windows_of
from kassa.domain.billing.lines import bill_boundary, usage_amount
from kassa.domain.billing.timeline import Segment, VersionTimeline
from kassa.domain.pricing import price_from_dict, price_to_dict

from .helpers import API_TIERS, PROPERTY, D, fixed_fee, metered

JAN, FEB, MAR = (datetime(2026, month, 1, tzinfo=UTC) for month in (1, 2, 3))


def item(price: dict, product_id: str = "prod_a", quantity: int = 1, **extra) -> dict:
    """A stored item: the canonical price plus price-level fields such as a discount."""
    return {
        "product_id": product_id,
        "quantity": quantity,
        "price": {**price_to_dict(price_from_dict(price)), **extra},
    }


def terms(*items: dict, start: date = date(2026, 1, 1), anchor: date | None = None,
          pauses=(), ends_at: datetime | None = None, credit_unused_time: bool = False) -> Terms:
    timeline = VersionTimeline(
        contract_start=start,
        anchor=anchor or start,
        segments=[Segment(datetime(start.year, start.month, start.day, tzinfo=UTC), None, items)],
        pauses=pauses,
        ends_at=ends_at,
    )
    return Terms("USD", timeline, credit_unused_time=credit_unused_time)


def bill(t: Terms, at: datetime, usage: dict[str, Decimal] | None = None):
    """The lines of boundary ``at`` with ``usage`` per metric id (0 when not given)."""
    slots = plan_boundary(t, at)
    values = {w: (usage or {}).get(w.metric_id, D(0)) for w in windows_of(slots)}
    return bill_boundary(t, slots, values)


def summary(lines) -> list[tuple[str, str, Decimal]]:
    return [(line.kind, line.period[0].isoformat(), line.amount) for line in lines]


SEAT = fixed_fee("unit", {"price_per_unit": "100.00"})
API_CALLS = metered("unit", {"price_per_unit": "0.10"})
PREPAID = metered("prepaid_tiered", {"prepaid_units": 20000, "tiers": API_TIERS})


def test_an_advance_fee_is_billed_at_each_period_start():
    t = terms(item(SEAT, quantity=3))
    assert summary(bill(t, JAN)) == [("fixed", "2026-01-01", D("300.00"))]
    assert summary(bill(t, FEB)) == [("fixed", "2026-02-01", D("300.00"))]


def test_a_stub_period_before_the_anchor_is_billed_by_days():
    t = terms(item(SEAT), start=date(2026, 1, 16), anchor=date(2026, 2, 1))
    (line,) = bill(t, datetime(2026, 1, 16, tzinfo=UTC))
    # 100.00 / 31 days = 3.23 a day, for the 16 days from the 16th.
    assert (line.kind, line.amount, line.period) == ("fixed", D("51.68"), (date(2026, 1, 16), date(2026, 2, 1)))
    assert line.details["prorated"] == [{"start": "2026-01-16", "end": "2026-02-01", "days": 16,
                                         "daily_rate": "3.23", "period_amount": "100.00"}]


def test_metered_usage_is_billed_in_arrears_over_its_window():
    t = terms(item(API_CALLS))
    assert bill(t, JAN) == []
    (line,) = bill(t, FEB, {"mtr_api": D(1234)})
    assert (line.kind, line.amount, line.quantity, line.metric_id) == ("usage", D("123.40"), D(1234), "mtr_api")
    assert line.details["window"] == {"start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z"}


def test_a_prepaid_block_is_billed_in_advance_and_its_overage_in_arrears():
    t = terms(item(PREPAID))
    # 20000 prepaid: 10000 free + 10000 at 0.03.
    assert summary(bill(t, JAN)) == [("prepaid", "2026-01-01", D("300.00"))]
    # 25000 used: 5000 more at 0.03, then the February block.
    assert summary(bill(t, FEB, {"mtr_api": D(25000)})) == [
        ("overage", "2026-01-01", D("150.00")),
        ("prepaid", "2026-02-01", D("300.00")),
    ]


def test_a_one_off_fee_is_billed_once_at_the_start():
    t = terms(item(fixed_fee("fixed", {"price_per_unit": "500.00"}, billing_frequency="one-off")))
    assert summary(bill(t, JAN)) == [("one_off", "2026-01-01", D("500.00"))]
    assert bill(t, FEB) == []


def test_a_price_level_discount_follows_its_line():
    discount = {"type": "percentage", "amount": "10", "duration_type": "forever"}
    t = terms(item(SEAT, discount=discount))
    assert [(line.kind, line.amount) for line in bill(t, JAN)] == [
        ("fixed", D("100.00")), ("discount", D("-10.00"))
    ]


def test_an_early_end_credits_the_unused_days_of_an_advance_fee():
    end = datetime(2026, 1, 21, tzinfo=UTC)
    t = terms(item(SEAT), ends_at=end, credit_unused_time=True)
    # 11 unused days of 31 at 3.23.
    assert summary(bill(t, end)) == [("credit", "2026-01-21", D("-35.53"))]


def test_billing_the_same_boundary_twice_gives_the_same_lines():
    t = terms(item(SEAT), item(PREPAID, product_id="prod_b"))
    assert bill(t, FEB, {"mtr_api": D(30000)}) == bill(t, FEB, {"mtr_api": D(30000)})


def _graduated(quantity: int) -> Decimal:
    """API_TIERS priced by hand: 0-10000 free, then 0.03 to 100000, then 0.02."""
    return D("0.03") * max(0, min(quantity, 100000) - 10000) + D("0.02") * max(0, quantity - 100000)


@PROPERTY
@given(prepaid=st.integers(0, 200000), used=st.integers(0, 300000))
def test_prepaid_advance_plus_arrears_is_the_documented_total(prepaid, used):
    price = metered("prepaid_tiered", {"prepaid_units": prepaid, "tiers": API_TIERS})
    t = terms(item(price))
    advance = sum(line.amount for line in bill(t, JAN))
    arrears = [line for line in bill(t, FEB, {"mtr_api": D(used)}) if line.kind == "overage"]
    assert advance == _graduated(prepaid)
    assert advance + sum(line.amount for line in arrears) == _graduated(max(prepaid, used))


@PROPERTY
@given(day=st.integers(2, 28), pause_days=st.integers(1, 20))
def test_an_arrears_fee_is_prorated_by_its_active_days(day, pause_days):
    """A pause inside the period removes exactly its days, at the period's daily rate."""
    start = datetime(2026, 1, day, tzinfo=UTC)
    end = datetime(2026, 1, min(day + pause_days, 31), tzinfo=UTC)
    t = terms(item(fixed_fee("unit", {"price_per_unit": "31.00"}, direction="arrears")),
              pauses=[(start, end)])
    (line,) = bill(t, FEB)
    assert line.amount == D("1.00") * (31 - (end - start).days)


def test_an_early_end_credits_nothing_for_a_one_off_fee():
    end = datetime(2026, 1, 21, tzinfo=UTC)
    price = fixed_fee("fixed", {"price_per_unit": "500.00"}, billing_frequency="one-off")
    assert bill(terms(item(price), ends_at=end, credit_unused_time=True), end) == []


def test_an_early_end_does_not_bill_an_advance_expression_again():
    """Usage-based prices are not prorated, so there are no unused days to credit."""
    end = datetime(2026, 1, 21, tzinfo=UTC)
    seats = {"billing_direction": "advance", "description": "Seats",
             "quantity_expression": "quantity", "unit_price_expression": "31"}
    price = fixed_fee("expression", {"charges": [seats]})
    t = terms(item(price), ends_at=end, credit_unused_time=True)
    assert summary(bill(t, JAN)) == [("usage", "2026-01-01", D("31.00"))]
    assert [line.amount for line in bill(t, end)] == [D("0.00")]  # its arrears charges: none


def test_a_billed_period_is_planned_again_as_its_boundary_billed_it():
    """Late usage re-prices from ``arrears_slot``: the stub before the anchor, the trial and the
    escalated rate are the boundary's own."""
    t = terms(item(API_CALLS, trial_period_days=5), start=date(2026, 1, 16),
              anchor=date(2026, 2, 1))
    stub = arrears_slot(t, (None, "prod_a"), date(2026, 2, 1))
    assert [(w.start, w.end) for w in stub.windows] == [
        (datetime(2026, 1, 21, tzinfo=UTC), FEB)]  # from the trial's end, not the contract start
    assert arrears_slot(t, (None, "prod_a"), date(2026, 1, 16)) is None  # no period ends there
    escalated = Terms("USD", t.timeline, price_escalation={
        "enabled": True, "percentage": "50", "interval_months": 1,
        "escalate_metered_unit_rates": True})
    march = arrears_slot(escalated, (None, "prod_a"), date(2026, 4, 1))  # a month in: x 1.5
    assert usage_amount(escalated, march, {"mtr_api": D(10)}) == D("1.50")
    assert usage_amount(t, arrears_slot(t, (None, "prod_a"), date(2026, 4, 1)),
                        {"mtr_api": D(10)}) == D("1.00")
