"""What one billing boundary charges.

At a boundary T every item whose billing period ends at T is billed in arrears for that period
(fixed fees by billable days, usage over the period), and every item whose period starts at T is
billed in advance. Boundaries are the subscription's cycle starts (every item interval divides
the shortest one's multiples, all laid out from the same anchor), plus a final boundary when the
subscription ends between two of them. Fixed fees cover whole periods, or, when the item was not
billable on every day (it changed, paused, started or ended mid-period, or is in a trial), the
billable days at the period's daily rate (``kassa.domain.proration``).

This module plans a boundary (its ``Slot``s and the usage windows they need); ``lines`` turns
the slots and the aggregated usage into invoice lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from kassa.domain.billing.timeline import DateRange, ItemKey, VersionTimeline, day
from kassa.domain.contracts import midnight
from kassa.domain.periods import Cycle, Period, add_months
from kassa.domain.pricing import Item, Phase


@dataclass(frozen=True)
class UsageWindow:
    """One aggregate to fetch: a metric over [start, end)."""

    metric_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Terms:
    """A subscription as billing sees it."""

    currency: str
    timeline: VersionTimeline
    price_escalation: Mapping[str, Any] | None = None
    credit_unused_time: bool = False
    metric_names: Mapping[str, str] = field(default_factory=dict)  # metric id -> event name
    # The rate its converted prices were converted at (``kassa.domain.fx``), for the invoice.
    fx: Mapping[str, Any] | None = None
    _items: dict[int, Item] = field(default_factory=dict, init=False, repr=False, compare=False)

    def item(self, data: Mapping[str, Any]) -> Item:
        """The typed item of a stored one on the timeline, parsed once for these terms."""
        known = self._items.get(id(data))
        if known is None or known.source is not data:
            known = self._items[id(data)] = Item.of(data)
        return known


@dataclass
class LineDraft:
    """An invoice line before it is stored; ``amount`` is already rounded (once)."""

    kind: str
    amount: Decimal
    product_id: str | None = None
    bundle_id: str | None = None
    metric_id: str | None = None
    quantity: Decimal | None = None
    unit_amount: Decimal | None = None
    period: DateRange | None = None
    details: dict[str, Any] = field(default_factory=dict)
    description: str = ""


@dataclass
class Slot:
    """One charge a boundary must compute."""

    key: ItemKey
    item: Item
    phase: Phase
    basis: Period  # the item's full billing period
    spans: list[tuple[DateRange, Item]]  # billed days, with the item version
    windows: list[UsageWindow] = field(default_factory=list)
    credit: bool = False  # unused-time credit on an early end
    one_off: bool = False


# ------------------------------------------------------------------ periods of one item


def _months(item: Item) -> int:
    return item.price.interval.months


def _period_ending(tl: VersionTimeline, months: int, t: date) -> Period | None:
    return None if t <= tl.contract_start else Cycle(tl.anchor, months).ending_at(t)


def _period_starting(tl: VersionTimeline, months: int, t: date) -> Period | None:
    """The item period that starts at ``t``; at a contract start before the anchor, the full
    period ending at the anchor (of which the stub [start, anchor) is billed)."""
    if t == tl.contract_start and t < tl.anchor:
        return Cycle(tl.anchor, months).ending_at(tl.anchor)
    return Cycle(tl.anchor, months).starting_at(t)


def _period_containing(tl: VersionTimeline, months: int, d: date) -> Period:
    return Cycle(tl.anchor, months).containing(d)


def next_boundary(tl: VersionTimeline, cycle_months: int, after: date | None) -> date:
    """The first billing boundary strictly after ``after`` (the contract start at first)."""
    if after is None:
        return tl.contract_start
    return Cycle(tl.anchor, cycle_months).next_start(after)


# ------------------------------------------------------------------ planning


def _spans(terms: Terms, key: ItemKey, within: DateRange) -> list[tuple[DateRange, Item]]:
    return [(r, terms.item(raw)) for r, raw in terms.timeline.spans(key, within)]


def _usage_windows(
    tl: VersionTimeline, key: ItemKey, item: Item, lo: datetime, hi: datetime
) -> list[UsageWindow]:
    """One window per metric: from the first to the last instant in [lo, hi) at which ``key``
    was on the subscription (and out of its trial)."""
    present = [
        (max(lo, seg.start), hi if seg.end is None else min(hi, seg.end))
        for seg in tl.segments
        if key in seg.priced
    ]
    present = [(s, e) for s, e in present if s < e]
    if not present:
        return []
    trial_end = midnight(tl.contract_start + timedelta(days=item.trial_period_days))
    start = max(min(s for s, _ in present), trial_end)
    end = max(e for _, e in present)
    if start >= end:
        return []
    return [UsageWindow(m, start, end) for m in item.price.metric_ids]


def plan_boundary(terms: Terms, at: datetime) -> list[Slot]:
    """Every charge due at ``at``: a cycle boundary (midnight), or the instant the
    subscription ends (``timeline.ends_at``), whichever this is."""
    tl = terms.timeline
    t = day(at)
    final = tl.ends_at is not None and at >= tl.ends_at
    arrears: list[Slot] = []
    advance: list[Slot] = []
    for key in tl.keys():
        arrears += _arrears_slots(terms, key, at, final)
        if final:
            if terms.credit_unused_time:
                advance += _unused_credit(terms, key, at)
        elif not tl.paused_on(t):
            advance += _advance_slots(terms, key, t)
    return arrears + advance  # the period that ended, then the one that starts


def _last_served(terms: Terms, key: ItemKey, at: datetime) -> tuple[date, Item] | None:
    """The last day of service (the end, else the day of ``at``) and the item on it; None when
    no day was served or the item was not on the subscription that day."""
    tl = terms.timeline
    end = tl.last_day() or day(at)
    if end <= tl.contract_start:
        return None
    last_served = date.fromordinal(end.toordinal() - 1)
    raw = tl.item_at(key, last_served)
    return None if raw is None else (last_served, terms.item(raw))


def _arrears_slots(terms: Terms, key: ItemKey, at: datetime, final: bool) -> list[Slot]:
    tl = terms.timeline
    t = day(at)
    if final:
        served = _last_served(terms, key, at)
        if served is None:
            return []
        last_served, item = served
        ending: Period | None = _period_containing(tl, _months(item), last_served)
        if tl.ends_at is not None and midnight(ending.end) < tl.ends_at:
            return []  # an end later on the day its period ended: that boundary billed it
    else:
        if t <= tl.contract_start:
            return []
        before = date.fromordinal(t.toordinal() - 1)
        raw = tl.item_at(key, before)
        if raw is None:
            # The item may have left during the period: bill the days it was there.
            raw = next((i for _, i in reversed(tl.spans(key, (tl.contract_start, t)))), None)
            if raw is None:
                return []
        item = terms.item(raw)
        ending = _period_ending(tl, _months(item), t)
    price = item.price
    if ending is None or not price.recurring or not price.bills_in(Phase.ARREARS):
        return []
    lo_day = max(ending.start, tl.contract_start)
    spans = _spans(terms, key, (lo_day, ending.end))
    if not spans:
        return []
    slot = Slot(key, spans[-1][1], Phase.ARREARS, ending, spans)
    if price.measures_usage:
        hi = midnight(ending.end) if tl.ends_at is None else min(midnight(ending.end), tl.ends_at)
        slot.windows = _usage_windows(tl, key, slot.item, midnight(lo_day), hi)
    return [slot]


def arrears_slot(terms: Terms, key: ItemKey, end: date) -> Slot | None:
    """The arrears charge of ``key``'s period that ends on ``end``, as the boundary at ``end``
    plans it (its days, item version and usage windows: stub, trial and end included); late
    usage re-prices a billed period from it."""
    slots = _arrears_slots(terms, key, midnight(end), final=False)
    return slots[0] if slots else None


def _advance_slots(terms: Terms, key: ItemKey, t: date) -> list[Slot]:
    tl = terms.timeline
    raw = tl.item_at(key, t)
    if raw is None:
        return []
    item = terms.item(raw)
    if not item.price.recurring:
        if t == tl.contract_start:
            period = Period(t, add_months(t, 12))
            return [Slot(key, item, Phase.ADVANCE, period, [((t, t), item)], one_off=True)]
        return []
    starting = _period_starting(tl, _months(item), t)
    if starting is None or not item.price.bills_in(Phase.ADVANCE):
        return []
    span = ((max(t, starting.start), starting.end), item)
    return [Slot(key, item, Phase.ADVANCE, starting, [span])]


def _unused_credit(terms: Terms, key: ItemKey, at: datetime) -> list[Slot]:
    """On an early end, a credit for the days of an advance-billed period not served."""
    tl = terms.timeline
    served = _last_served(terms, key, at)
    if served is None:
        return []
    last_served, item = served
    price = item.price
    if not (price.recurring and not price.measures_usage and price.bills_in(Phase.ADVANCE)):
        return []  # only a recurring fee billed ahead by days has unused days
    period = _period_containing(tl, _months(item), last_served)
    end = date.fromordinal(last_served.toordinal() + 1)
    if end >= period.end:
        return []
    return [Slot(key, item, Phase.ADVANCE, period, [((end, period.end), item)], credit=True)]


def windows_of(slots: Sequence[Slot]) -> set[UsageWindow]:
    return {w for s in slots for w in s.windows}
