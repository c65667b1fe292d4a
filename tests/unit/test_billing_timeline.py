from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.billing.boundary import Terms, next_boundary, plan_boundary
from kassa.domain.billing.timeline import Segment, VersionTimeline, trial_cut, without_trial
from kassa.domain.contracts import midnight
from kassa.domain.periods import Cycle

from .helpers import PROPERTY

START = date(2026, 1, 31)
KEY = (None, "prd_seats")


def item(quantity: int, product: str = "prd_seats", direction: str = "advance") -> dict:
    price = {"type": "fixed", "fee_type": "fixed", "billing_direction": direction,
             "billing_interval": "monthly", "billing_frequency": "recurring",
             "fixed_pricing_model": {"price_per_unit": "10.00", "units": 1}}
    return {"product_id": product, "quantity": quantity, "price": price}


def at(d: date, hour: int = 0) -> datetime:
    return midnight(d) + timedelta(hours=hour)


def two_versions(**extra) -> VersionTimeline:
    """5 seats from Jan 31, 8 seats from Mar 16 09:30 (with a bundle child alongside)."""
    bundle = {"bundle_id": "bnd_1", "items": [item(1, "prd_support")]}
    return VersionTimeline(
        contract_start=START,
        anchor=START,
        segments=[
            Segment(at(START), at(date(2026, 3, 16), 9), [item(5)]),
            Segment(at(date(2026, 3, 16), 9), None, [item(8), bundle]),
        ],
        **extra,
    )


def test_spans_split_at_the_day_a_version_takes_over():
    tl = two_versions()
    spans = tl.spans(KEY, (date(2026, 2, 28), date(2026, 3, 31)))
    assert [(r, i["quantity"]) for r, i in spans] == [
        ((date(2026, 2, 28), date(2026, 3, 16)), 5),
        ((date(2026, 3, 16), date(2026, 3, 31)), 8),
    ]
    assert tl.keys() == [KEY, ("bnd_1", "prd_support")]
    assert tl.spans(("bnd_1", "prd_support"), (START, date(2026, 3, 1))) == []
    assert tl.item_at(KEY, date(2026, 3, 15))["quantity"] == 5
    assert tl.item_at(KEY, date(2026, 3, 16))["quantity"] == 8
    assert tl.item_at(KEY, date(2026, 1, 30)) is None


def test_the_end_of_service_clips_spans():
    tl = two_versions(ends_at=at(date(2026, 4, 10), 15))
    assert tl.last_day() == date(2026, 4, 10)
    spans = tl.spans(KEY, (date(2026, 3, 31), date(2026, 4, 30)))
    assert [r for r, _ in spans] == [(date(2026, 3, 31), date(2026, 4, 10))]
    assert two_versions().last_day() is None


def test_paused_days_are_not_active():
    tl = two_versions(pauses=[(at(date(2026, 2, 5), 10), at(date(2026, 2, 10))),
                              (at(date(2026, 3, 20)), None)])
    assert tl.active_days([(date(2026, 1, 31), date(2026, 2, 28))]) == [
        (date(2026, 1, 31), date(2026, 2, 5)),
        (date(2026, 2, 10), date(2026, 2, 28)),
    ]
    assert tl.active_days([(date(2026, 3, 1), date(2026, 4, 1))]) == [
        (date(2026, 3, 1), date(2026, 3, 20))
    ]
    assert tl.paused_on(date(2026, 2, 5)) and not tl.paused_on(date(2026, 2, 10))
    assert tl.paused_on(date(2027, 1, 1))


def test_a_trial_cuts_the_first_days():
    trial = {"price": {"trial_period_days": 14}}
    assert trial_cut(trial, START) == (START, date(2026, 2, 14))
    assert trial_cut({"price": {}}, START) is None
    assert without_trial([(START, date(2026, 2, 28))], trial, START) == [
        (date(2026, 2, 14), date(2026, 2, 28))
    ]
    assert without_trial([(date(2026, 3, 1), date(2026, 3, 5))], trial, START) == [
        (date(2026, 3, 1), date(2026, 3, 5))
    ]


# --- properties ----------------------------------------------------------------------------------


def days(ranges) -> list[int]:
    return [d for start, end in ranges for d in range(start.toordinal(), end.toordinal())]


@st.composite
def timelines(draw) -> VersionTimeline:
    """Versions changing at random instants (the item on or off, its quantity changing), random
    pauses, and maybe an end."""
    start = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
    offsets = sorted(draw(st.lists(st.integers(1, 24 * 400), max_size=4, unique=True)))
    changes = [at(start) + timedelta(hours=h) for h in offsets]
    instants = [at(start), *changes]
    segments = []
    for n, begin in enumerate(instants):
        end = instants[n + 1] if n + 1 < len(instants) else None
        present = draw(st.booleans()) or n == 0
        segments.append(Segment(begin, end, [item(n + 1)] if present else [item(1, "prd_other")]))
    marks = sorted(draw(st.lists(st.integers(1, 24 * 500), max_size=4, unique=True)))
    pauses = [(at(start) + timedelta(hours=a), at(start) + timedelta(hours=b))
              for a, b in zip(marks[::2], marks[1::2], strict=False)]
    ends_at = draw(st.one_of(st.none(), st.integers(1, 24 * 500)))
    return VersionTimeline(
        contract_start=start,
        anchor=start + timedelta(days=draw(st.integers(0, 20))),
        segments=segments,
        pauses=pauses,
        ends_at=None if ends_at is None else at(start) + timedelta(hours=ends_at),
    )


@PROPERTY
@given(timelines(), st.sampled_from([1, 3, 12]))
def test_billing_period_by_period_bills_each_day_once(tl, months):
    """The days billed over the periods, one after the other, are the days billed over the
    whole range: no day twice, none missed (for fixed fees, and with pauses taken out)."""
    cycle = Cycle(tl.anchor, months)
    end = tl.contract_start + timedelta(days=600)
    whole = (tl.contract_start, end)
    periods = [cycle.containing(tl.contract_start)]
    while periods[-1].end < end:
        periods.append(cycle.containing(periods[-1].end))
    pieces = [(max(p.start, whole[0]), min(p.end, whole[1])) for p in periods]
    spans = [r for piece in pieces for r, _ in tl.spans(KEY, piece)]
    assert days(spans) == days(r for r, _ in tl.spans(KEY, whole))
    assert days(tl.active_days(spans)) == days(tl.active_days([r for r, _ in tl.spans(KEY, whole)]))
    assert len(set(days(spans))) == len(days(spans))


@PROPERTY
@given(timelines())
def test_spans_agree_with_the_item_of_each_day(tl):
    end = tl.contract_start + timedelta(days=600)
    last = tl.last_day()
    served = 0
    for (start, stop), found in tl.spans(KEY, (tl.contract_start, end)):
        assert start < stop
        assert last is None or stop <= last
        for d in (start, stop - timedelta(days=1)):
            assert tl.item_at(KEY, d) == found
        served += (stop - start).days
    limit = end if last is None else min(end, max(last, tl.contract_start))
    in_force = sum(
        1 for n in range((limit - tl.contract_start).days)
        if tl.item_at(KEY, tl.contract_start + timedelta(days=n)) is not None
    )
    assert served == in_force


@PROPERTY
@given(timelines(), st.integers(0, 600))
def test_a_day_is_active_unless_paused(tl, offset):
    d = tl.contract_start + timedelta(days=offset)
    active = tl.active_days([(d, d + timedelta(days=1))])
    assert (active == []) == tl.paused_on(d)


@PROPERTY
@given(timelines(), st.sampled_from(["advance", "arrears"]))
def test_walking_the_boundaries_bills_each_period_once(tl, direction):
    """From the contract start to the end, boundary after boundary (as the billing run walks
    them): a period is billed once in its phase, never again at a later boundary."""
    segments = [Segment(s.start, s.end, [{**i, "price": {**i["price"], "billing_direction":
                                                         direction}} for i in s.items])
                for s in tl.segments]
    terms = Terms(currency="EUR", timeline=VersionTimeline(
        tl.contract_start, tl.anchor, segments, tl.pauses, tl.ends_at))
    instant, billed = at(tl.contract_start), []
    for _ in range(40):
        billed += [(slot.key, slot.phase, slot.basis) for slot in plan_boundary(terms, instant)
                   if not slot.credit]
        if tl.ends_at is not None and instant >= tl.ends_at:
            break
        nxt = midnight(next_boundary(terms.timeline, 1, instant.date()))
        assert nxt > instant
        instant = nxt if tl.ends_at is None else min(nxt, tl.ends_at)
    assert len(set(billed)) == len(billed)


def test_an_instant_inside_a_day_counts_from_that_day():
    tl = two_versions(pauses=[(datetime(2026, 2, 5, 23, 59, tzinfo=UTC), None)])
    assert tl.paused_on(date(2026, 2, 5))
