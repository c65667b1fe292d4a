from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.contracts import (
    TimingContext,
    commitment_end,
    cycle_interval,
    due_date,
    first_term,
    midnight,
    renewal_at,
    renews,
    renews_at_term_end,
    resolve_effective,
)
from kassa.domain.errors import InvalidRequest
from kassa.domain.periods import Cycle, Interval, add_months, nth_period

from .helpers import PROPERTY

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
FIXED = {"period_type": "fixed", "duration_months": 12}
ROLLING = {"period_type": "monthly_rolling", "duration_months": None}


def context(**changes) -> TimingContext:
    given_ = {
        "now": NOW,
        "period_type": "fixed",
        "term_end": date(2027, 1, 31),
        "renews": True,
        "anchor": date(2026, 1, 31),
        "interval": Interval.MONTHLY,
    }
    return TimingContext(**{**given_, **changes})


def price(interval: str, frequency: str = "recurring") -> dict:
    return {"price": {"billing_interval": interval, "billing_frequency": frequency}}


def test_first_term():
    assert first_term("monthly_rolling", None, date(2026, 1, 31)) == (
        date(2026, 1, 31), date(2026, 2, 28)
    )
    assert first_term("fixed", 12, date(2026, 7, 1)) == (date(2026, 7, 1), date(2027, 7, 1))
    for months in (None, 0):
        with pytest.raises(InvalidRequest) as raised:
            first_term("fixed", months, date(2026, 7, 1))
        assert raised.value.field == "contract.duration_months"


def test_renewal_at_the_term_end():
    end = date(2027, 7, 1)
    assert renewal_at(FIXED, {"auto_renew": True}, end).term_end == date(2028, 7, 1)
    assert renewal_at(FIXED, {"auto_renew": True, "duration_months": 6}, end).term_end == date(
        2028, 1, 1
    )
    assert renewal_at(FIXED, {"auto_renew": False}, end) is None
    to_rolling = renewal_at(FIXED, {"auto_renew": True, "period_type": "monthly_rolling"}, end)
    assert (to_rolling.period_type, to_rolling.term_end) == ("monthly_rolling", date(2027, 8, 1))
    assert renewal_at(ROLLING, {"auto_renew": False}, end).term_end == date(2027, 8, 1)
    assert renews(ROLLING, {"auto_renew": False})
    assert not renews(FIXED, {"auto_renew": False})


def test_commitment_end():
    term_end = date(2027, 1, 1)
    cancel_at = datetime(2026, 9, 15, tzinfo=UTC)
    assert commitment_end("active", FIXED, term_end, None) == midnight(term_end)
    assert commitment_end("paused", FIXED, term_end, cancel_at) == cancel_at
    assert commitment_end("active", ROLLING, term_end, None) is None
    assert commitment_end("active", ROLLING, term_end, cancel_at) == cancel_at
    assert commitment_end("canceled", FIXED, term_end, cancel_at) is None


def test_renews_at_term_end():
    term_end = date(2027, 1, 1)
    auto = {"auto_renew": True}
    assert renews_at_term_end("active", FIXED, auto, term_end, None)
    assert renews_at_term_end("paused", FIXED, auto, term_end, None)
    assert not renews_at_term_end("active", FIXED, {"auto_renew": False}, term_end, None)
    assert not renews_at_term_end("active", FIXED, auto, term_end, midnight(term_end))
    assert not renews_at_term_end("active", ROLLING, auto, term_end,
                                  datetime(2026, 12, 20, tzinfo=UTC))
    # Canceled later than the term's end: this end still renews.
    assert renews_at_term_end("active", FIXED, auto, term_end, datetime(2027, 3, 1, tzinfo=UTC))
    assert not renews_at_term_end("canceled", FIXED, auto, term_end, None)
    assert not renews_at_term_end("active", FIXED, auto, None, None)


def test_cycle_interval_is_the_shortest_recurring_interval():
    bundle = {"bundle_id": "bnd_1", "items": [price("quarterly"), price("monthly", "one_off")]}
    assert cycle_interval([price("yearly"), bundle]) is Interval.QUARTERLY
    assert cycle_interval([price("monthly", "one_off")]) is Interval.MONTHLY
    assert cycle_interval([]) is Interval.MONTHLY


def test_timing_keywords():
    assert resolve_effective("immediate", context()) == NOW
    assert resolve_effective("billing_cycle_start", context()) == midnight(date(2026, 3, 31))
    for keyword in ("end_of_term", "end_of_contract", "next_renewal"):
        assert resolve_effective(keyword, context()) == midnight(date(2027, 1, 31))
    assert resolve_effective("2026-03-10", context()) == NOW
    assert resolve_effective("2026-04-01", context()) == midnight(date(2026, 4, 1))


@pytest.mark.parametrize(
    ("value", "changes", "message"),
    [
        ("end_of_term", {"anchor": None, "term_end": None}, "needs a started contract"),
        ("end_of_contract", {"period_type": "monthly_rolling"}, "no end date"),
        ("next_renewal", {"renews": False}, "does not renew"),
        ("2026-03-09", {}, "in the past"),
        ("2026-02-30", {}, "not a valid date"),
        ("tomorrow", {}, "Unknown effective value"),
    ],
)
def test_timing_refusals_name_the_field(value, changes, message):
    with pytest.raises(InvalidRequest, match=message) as raised:
        resolve_effective(value, context(**changes), field="timing")
    assert raised.value.field == "timing"


def test_due_date():
    assert due_date(date(2026, 3, 10), "due_on_receipt") == date(2026, 3, 10)
    assert due_date(date(2026, 3, 10), "net_30") == date(2026, 4, 9)


# --- properties ----------------------------------------------------------------------------------

starts = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


@PROPERTY
@given(starts, st.integers(min_value=1, max_value=60))
def test_a_term_of_n_months_ends_where_n_monthly_periods_end(start, months):
    term_start, term_end = first_term("fixed", months, start)
    assert term_start == start
    assert term_end == nth_period(start, "monthly", months - 1).end
    assert term_end == Cycle(start, months).nth(0).end


@PROPERTY
@given(
    starts,
    st.integers(min_value=1, max_value=36),
    st.sampled_from([None, "fixed", "monthly_rolling"]),
    st.one_of(st.none(), st.integers(min_value=1, max_value=36)),
)
def test_a_renewal_starts_where_the_term_ended(start, months, next_type, next_months):
    contract = {"period_type": "fixed", "duration_months": months}
    renewal = {"auto_renew": True, "period_type": next_type, "duration_months": next_months}
    _, term_end = first_term("fixed", months, start)
    nxt = renewal_at(contract, renewal, term_end)
    assert nxt.term_start == term_end
    length = 1 if next_type == "monthly_rolling" else next_months or months
    assert nxt.term_end == add_months(term_end, length)
    assert nxt.period_type == (next_type or "fixed")


@PROPERTY
@given(
    starts,
    st.sampled_from(list(Interval)),
    st.integers(min_value=-400, max_value=4000),
    st.integers(min_value=0, max_value=86399),
)
def test_billing_cycle_start_is_the_next_period_start(anchor, interval, offset, seconds):
    now = midnight(anchor + timedelta(days=offset)) + timedelta(seconds=seconds)
    at = resolve_effective("billing_cycle_start", context(now=now, anchor=anchor,
                                                          interval=interval))
    assert at > now
    assert at.time() == midnight(anchor).time()
    cycle = Cycle.of(anchor, interval)
    assert cycle.starting_at(at.date()) is not None
    if now.date() < anchor:
        assert at.date() == anchor
    else:
        assert cycle.containing(now.date()).end == at.date()  # no period start in between
