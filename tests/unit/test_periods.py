from __future__ import annotations

import calendar
from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.errors import InvalidRequest
from kassa.domain.periods import (
    Cycle,
    Interval,
    Period,
    add_months,
    contract_end,
    months_between,
    next_period_start,
    nth_period,
    period_containing,
    periods_between,
)

from .helpers import PROPERTY


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 5, 10), 0, date(2026, 5, 10)),
        (date(2026, 1, 10), -13, date(2024, 12, 10)),
    ],
)
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_intervals():
    assert [i.months for i in Interval] == [1, 3, 6, 12]
    assert Interval.parse("semi_annual") is Interval.SEMI_ANNUAL
    with pytest.raises(InvalidRequest, match="weekly"):
        Interval.parse("weekly")


def test_periods_from_a_month_end_anchor_never_drift():
    anchor = date(2026, 1, 31)
    starts = [nth_period(anchor, "monthly", k).start for k in range(6)]
    assert starts == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
    ]
    assert nth_period(anchor, "monthly", 1) == Period(date(2026, 2, 28), date(2026, 3, 31))
    assert nth_period(anchor, "monthly", 1).days == 31
    assert nth_period(date(2028, 1, 31), "monthly", 1).start == date(2028, 2, 29)


def test_period_containing():
    anchor = date(2026, 1, 31)
    assert period_containing(anchor, "monthly", date(2026, 3, 30)) == Period(
        date(2026, 2, 28), date(2026, 3, 31)
    )
    assert period_containing(anchor, "monthly", date(2026, 3, 31)) == Period(
        date(2026, 3, 31), date(2026, 4, 30)
    )
    assert period_containing(anchor, "quarterly", date(2026, 4, 30)) == Period(
        date(2026, 4, 30), date(2026, 7, 31)
    )
    assert period_containing(date(2026, 7, 1), "yearly", date(2027, 6, 30)) == Period(
        date(2026, 7, 1), date(2027, 7, 1)
    )


def test_dates_before_the_anchor():
    anchor = date(2026, 7, 1)
    with pytest.raises(InvalidRequest, match="before the billing anchor"):
        period_containing(anchor, "monthly", date(2026, 6, 30))
    assert next_period_start(anchor, "monthly", date(2026, 6, 30)) == anchor
    assert periods_between(anchor, "monthly", date(2026, 5, 1), date(2026, 8, 15)) == [
        Period(date(2026, 7, 1), date(2026, 8, 1)),
        Period(date(2026, 8, 1), date(2026, 9, 1)),
    ]
    assert periods_between(anchor, "monthly", date(2026, 5, 1), date(2026, 7, 1)) == []


def test_next_period_start():
    anchor = date(2026, 7, 1)
    assert next_period_start(anchor, "monthly", date(2026, 7, 1)) == date(2026, 8, 1)
    assert next_period_start(anchor, "monthly", date(2026, 7, 31)) == date(2026, 8, 1)
    assert next_period_start(anchor, "semi_annual", date(2026, 12, 31)) == date(2027, 1, 1)


def test_periods_between_returns_whole_overlapping_periods():
    anchor = date(2026, 1, 15)
    assert periods_between(anchor, "monthly", date(2026, 2, 20), date(2026, 4, 15)) == [
        Period(date(2026, 2, 15), date(2026, 3, 15)),
        Period(date(2026, 3, 15), date(2026, 4, 15)),
    ]
    assert periods_between(anchor, "monthly", date(2026, 4, 15), date(2026, 4, 15)) == []


def test_period_must_end_after_it_starts():
    with pytest.raises(InvalidRequest):
        Period(date(2026, 1, 1), date(2026, 1, 1))
    assert date(2026, 1, 1) in Period(date(2026, 1, 1), date(2026, 2, 1))
    assert date(2026, 2, 1) not in Period(date(2026, 1, 1), date(2026, 2, 1))


def test_contract_end_is_exclusive():
    assert contract_end(date(2026, 7, 1), 12) == date(2027, 7, 1)
    assert contract_end(date(2026, 1, 31), 1) == date(2026, 2, 28)
    with pytest.raises(InvalidRequest):
        contract_end(date(2026, 7, 1), 0)


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2026, 1, 31), date(2026, 2, 27), 0),
        (date(2026, 1, 31), date(2026, 2, 28), 1),
        (date(2026, 1, 15), date(2027, 1, 14), 11),
        (date(2026, 1, 15), date(2027, 1, 15), 12),
        (date(2026, 3, 15), date(2026, 2, 20), 0),
        (date(2026, 3, 15), date(2026, 2, 15), -1),
    ],
)
def test_months_between(start, end, months):
    assert months_between(start, end) == months


# --- properties ----------------------------------------------------------------------------------


@st.composite
def anchors(draw) -> date:
    day = draw(st.integers(min_value=1, max_value=31))
    year = draw(st.integers(min_value=1990, max_value=2090))
    month = draw(
        st.sampled_from([m for m in range(1, 13) if calendar.monthrange(year, m)[1] >= day])
    )
    return date(year, month, day)


@PROPERTY
@given(anchors(), st.sampled_from(list(Interval)), st.integers(min_value=0, max_value=3000))
def test_periods_tile_time_without_gap_or_overlap(anchor, interval, span_days):
    end = anchor + timedelta(days=span_days + 1)
    periods = periods_between(anchor, interval, anchor, end)
    assert periods[0].start == anchor
    assert periods[-1].end >= end > periods[-1].start
    for one, two in pairwise(periods):
        assert one.end == two.start
    for k, period in enumerate(periods):
        month_start = add_months(anchor.replace(day=1), k * interval.months)
        last_day = calendar.monthrange(month_start.year, month_start.month)[1]
        assert period.start == month_start.replace(day=min(anchor.day, last_day))
        assert 28 * interval.months <= period.days <= 31 * interval.months + 1


@PROPERTY
@given(anchors(), st.sampled_from(list(Interval)), st.integers(min_value=0, max_value=12000))
def test_every_date_falls_in_exactly_one_period(anchor, interval, offset):
    d = anchor + timedelta(days=offset)
    period = period_containing(anchor, interval, d)
    assert d in period
    assert period.end == next_period_start(anchor, interval, d)
    before = period.start - timedelta(days=1)
    if before >= anchor:
        assert period_containing(anchor, interval, before).end == period.start
    assert period in periods_between(anchor, interval, anchor, d + timedelta(days=1))


@pytest.mark.parametrize("interval", list(Interval))
def test_every_anchor_day_tiles_ten_years_including_leap_days(interval):
    for day in range(1, 32):
        anchor = date(2027, 1, day)  # January has every day; the walk crosses Feb 29 2028 and 2032
        periods = periods_between(anchor, interval, anchor, date(2037, 1, 1))
        assert periods[0].start == anchor
        for one, two in pairwise(periods):
            assert one.end == two.start
            assert one.days > 0
        feb_2028 = [p.start for p in periods if (p.start.year, p.start.month) == (2028, 2)]
        if interval is Interval.MONTHLY:
            assert feb_2028 == [date(2028, 2, min(day, 29))]
        assert all(p.start.day == day for p in periods if p.start.month in (1, 3, 5, 7, 8, 10, 12))


def test_a_cycle_runs_backwards_from_the_anchor_too():
    cycle = Cycle(date(2026, 1, 31), 1)
    assert cycle.nth(-1) == Period(date(2025, 12, 31), date(2026, 1, 31))
    assert cycle.nth(1) == Period(date(2026, 2, 28), date(2026, 3, 31))
    assert Cycle(date(2028, 1, 31), 1).nth(1).start == date(2028, 2, 29)
    assert cycle.containing(date(2025, 12, 31)) == cycle.nth(-1)
    assert cycle.starting_at(date(2026, 3, 31)) == Period(date(2026, 3, 31), date(2026, 4, 30))
    assert cycle.starting_at(date(2026, 3, 30)) is None
    assert cycle.ending_at(date(2026, 2, 28)) == Period(date(2026, 1, 31), date(2026, 2, 28))
    assert cycle.ending_at(date(2026, 2, 27)) is None
    assert Cycle(date(2026, 2, 1), 3).ending_at(date(2026, 2, 1)) == Period(
        date(2025, 11, 1), date(2026, 2, 1)
    )
    assert cycle.next_start(date(2026, 1, 1)) == cycle.anchor
    assert Cycle.of(date(2026, 7, 1), "semi_annual") == Cycle(date(2026, 7, 1), 6)


@PROPERTY
@given(
    anchors(), st.sampled_from(list(Interval)), st.integers(min_value=-4000, max_value=12000)
)
def test_a_cycle_tiles_time_on_both_sides_of_the_anchor(anchor, interval, offset):
    cycle = Cycle.of(anchor, interval)
    d = anchor + timedelta(days=offset)
    period = cycle.containing(d)
    assert d in period
    assert period == cycle.nth(cycle.index(d))
    assert cycle.containing(period.start - timedelta(days=1)).end == period.start  # no gap
    assert cycle.containing(period.end).start == period.end  # no overlap
    assert cycle.next_start(d) > d
    assert cycle.next_start(d) == (anchor if d < anchor else period.end)
    if d >= anchor:
        assert period == period_containing(anchor, interval, d)


@PROPERTY
@given(
    anchors(), st.sampled_from(list(Interval)), st.integers(min_value=-4000, max_value=12000)
)
def test_only_period_starts_start_or_end_a_period(anchor, interval, offset):
    cycle = Cycle.of(anchor, interval)
    d = anchor + timedelta(days=offset)
    starting, ending = cycle.starting_at(d), cycle.ending_at(d)
    if cycle.containing(d).start == d:
        assert starting is not None and ending is not None
        assert starting.start == ending.end == d
    else:
        assert starting is None and ending is None


@PROPERTY
@given(anchors(), st.integers(min_value=-40, max_value=40))
def test_a_monthly_cycle_starts_on_the_anchor_day_or_the_month_end(anchor, k):
    start = Cycle(anchor, 1).nth(k).start
    last_day = calendar.monthrange(start.year, start.month)[1]
    assert start.day == min(anchor.day, last_day)
