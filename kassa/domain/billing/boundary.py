"""What one billing boundary charges.

At a boundary T every item whose billing period ends at T is billed in arrears for that period
(fixed fees by billable days, usage over the period), and every item whose period starts at T is
billed in advance. Boundaries are the subscription's cycle starts (every item interval divides
the shortest one's multiples, all laid out from the same anchor), plus a final boundary when the
subscription ends between two of them. Fixed fees cover whole periods, or, when the item was not
billable on every day (it changed, paused, started or ended mid-period, or is in a trial), the
billable days at the period's daily rate (``kassa.domain.proration``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from kassa.domain.billing.timeline import DateRange, ItemKey, VersionTimeline, day, without_trial
from kassa.domain.contracts import midnight
from kassa.domain.modifiers import discount_amount, escalate_price, escalation_factor
from kassa.domain.money import ZERO, round_money
from kassa.domain.periods import Cycle, Interval, Period, add_months, months_between
from kassa.domain.pricing import Charge, PeriodInputs, Phase, Price, charge, price_from_dict
from kassa.domain.proration import daily_rate


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
    item: Mapping[str, Any]
    phase: Phase
    basis: Period  # the item's full billing period
    spans: list[tuple[DateRange, Mapping[str, Any]]]  # billed days, with the item version
    windows: list[UsageWindow] = field(default_factory=list)
    credit: bool = False  # unused-time credit on an early end
    one_off: bool = False


# ------------------------------------------------------------------ periods of one item


def _months(item: Mapping[str, Any]) -> int:
    return Interval(item["price"]["billing_interval"]).months


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


def _usage_windows(
    tl: VersionTimeline, key: ItemKey, item: Mapping[str, Any], lo: datetime, hi: datetime
) -> list[UsageWindow]:
    """One window per metric: from the first to the last instant in [lo, hi) at which ``key``
    was on the subscription (and out of its trial)."""
    present = [
        (max(lo, seg.start), hi if seg.end is None else min(hi, seg.end))
        for seg in tl.segments
        if key in seg.priced()
    ]
    present = [(s, e) for s, e in present if s < e]
    if not present:
        return []
    trial_days = item["price"].get("trial_period_days") or 0
    trial_end = midnight(tl.contract_start + timedelta(days=trial_days))
    start = max(min(s for s, _ in present), trial_end)
    end = max(e for _, e in present)
    if start >= end:
        return []
    return [UsageWindow(m, start, end) for m in item["price"].get("metric_ids") or []]


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
                advance += _unused_credit(tl, key, at)
        elif not tl.paused_on(t):
            advance += _advance_slots(tl, key, t)
    return arrears + advance  # the period that ended, then the one that starts


def _arrears_slots(terms: Terms, key: ItemKey, at: datetime, final: bool) -> list[Slot]:
    tl = terms.timeline
    t = day(at)
    if final:
        end = tl.last_day() or t
        if end <= tl.contract_start:
            return []
        last_served = date.fromordinal(end.toordinal() - 1)
        item = tl.item_at(key, last_served)
        if item is None:
            return []
        ending: Period | None = _period_containing(tl, _months(item), last_served)
    else:
        if t <= tl.contract_start:
            return []
        before = date.fromordinal(t.toordinal() - 1)
        item = tl.item_at(key, before)
        if item is None:
            # The item may have left during the period: bill the days it was there.
            item = next((i for _, i in reversed(tl.spans(key, (tl.contract_start, t)))), None)
            if item is None:
                return []
        ending = _period_ending(tl, _months(item), t)
    price = item["price"]
    if ending is None or price.get("billing_frequency", "recurring") != "recurring":
        return []
    metered = price.get("fee_type") == "metered" or price["type"] == "expression"
    if not (metered or _arrears(price)):
        return []
    lo_day = max(ending.start, tl.contract_start)
    spans = tl.spans(key, (lo_day, ending.end))
    if not spans:
        return []
    slot = Slot(key, spans[-1][1], Phase.ARREARS, ending, spans)
    if metered:
        hi = midnight(ending.end) if tl.ends_at is None else min(midnight(ending.end), tl.ends_at)
        slot.windows = _usage_windows(tl, key, slot.item, midnight(lo_day), hi)
    return [slot]


def _advance_slots(tl: VersionTimeline, key: ItemKey, t: date) -> list[Slot]:
    item = tl.item_at(key, t)
    if item is None:
        return []
    price = item["price"]
    if price.get("billing_frequency", "recurring") != "recurring":
        if t == tl.contract_start:
            period = Period(t, add_months(t, 12))
            return [Slot(key, item, Phase.ADVANCE, period, [((t, t), item)], one_off=True)]
        return []
    charges_in_advance = (
        _advance(price)
        or price["type"] in ("prepaid_tiered", "prepaid_fixed_tiered")
        or price["type"] == "expression"
    )
    starting = _period_starting(tl, _months(item), t)
    if starting is None or not charges_in_advance:
        return []
    span = ((max(t, starting.start), starting.end), item)
    return [Slot(key, item, Phase.ADVANCE, starting, [span])]


def _arrears(price: Mapping[str, Any]) -> bool:
    return price.get("billing_direction") == "arrears" or price.get("fee_type") == "metered"


def _advance(price: Mapping[str, Any]) -> bool:
    return price.get("fee_type") == "fixed" and price.get("billing_direction") == "advance"


def _unused_credit(tl: VersionTimeline, key: ItemKey, at: datetime) -> list[Slot]:
    """On an early end, a credit for the days of an advance-billed period not served."""
    end = tl.last_day() or day(at)
    if end <= tl.contract_start:
        return []
    last_served = date.fromordinal(end.toordinal() - 1)
    item = tl.item_at(key, last_served)
    if item is None or not _advance(item["price"]):
        return []
    period = _period_containing(tl, _months(item), last_served)
    if end >= period.end:
        return []
    return [Slot(key, item, Phase.ADVANCE, period, [((end, period.end), item)], credit=True)]


def windows_of(slots: Sequence[Slot]) -> set[UsageWindow]:
    return {w for s in slots for w in s.windows}


# ------------------------------------------------------------------ billing


def _price(terms: Terms, item: Mapping[str, Any], period: Period) -> Price:
    price = price_from_dict(item["price"])
    factor = escalation_factor(
        terms.price_escalation, max(0, months_between(terms.timeline.contract_start, period.start))
    )
    metered = bool((terms.price_escalation or {}).get("escalate_metered_unit_rates"))
    return escalate_price(price, factor, metered=metered)


def _inputs(terms: Terms, item: Mapping[str, Any], usage: Mapping[str, Decimal]) -> PeriodInputs:
    named = dict(usage)
    for metric_id, value in usage.items():
        name = terms.metric_names.get(metric_id)
        if name:
            named.setdefault(name, value)
    return PeriodInputs(quantity=Decimal(item.get("quantity", 1)), usage=named)


def _fixed_amount(terms: Terms, slot: Slot) -> tuple[Decimal, Charge, dict[str, Any]]:
    """A fixed fee for the slot's days: whole when billable every day, else day by day."""
    tl = terms.timeline
    basis = slot.basis
    pieces: list[tuple[DateRange, Mapping[str, Any]]] = []
    for (s, e), item in slot.spans:
        ranges = without_trial([(s, e)], item, tl.contract_start)
        if slot.phase is Phase.ARREARS:
            ranges = tl.active_days(ranges)
        pieces += [(r, item) for r in ranges if r[0] < r[1]]
    whole = (
        len(pieces) == 1
        and pieces[0][0] == (basis.start, basis.end)
    )
    total = ZERO
    charges: list[Charge] = []
    prorated: list[dict[str, Any]] = []
    for (s, e), item in pieces:
        c = charge(_price(terms, item, basis), _inputs(terms, item, {}), slot.phase)
        charges.append(c)
        if whole:
            total += round_money(c.amount, terms.currency)
            continue
        rate = daily_rate(c.amount, basis, terms.currency)
        days = (e - s).days
        total += rate * days
        prorated.append({"start": s.isoformat(), "end": e.isoformat(), "days": days,
                         "daily_rate": format(rate, "f"), "period_amount": format(round_money(c.amount, terms.currency), "f")})
    details: dict[str, Any] = {"period_days": basis.days}
    if prorated:
        details["prorated"] = prorated
    return total, (charges[-1] if charges else Charge.none()), details


def bill_boundary(
    terms: Terms, slots: Sequence[Slot], usage: Mapping[UsageWindow, Decimal]
) -> list[LineDraft]:
    """The lines of the slots, with the aggregated usage they asked for."""
    lines: list[LineDraft] = []
    currency = terms.currency
    for slot in slots:
        bundle_id, product_id = slot.key
        price = slot.item["price"]
        fixed_fee = price.get("fee_type") == "fixed" and price["type"] != "expression"
        period = (max(slot.basis.start, terms.timeline.contract_start), slot.basis.end)
        if slot.one_off:
            c = charge(_price(terms, slot.item, slot.basis), _inputs(terms, slot.item, {}),
                       Phase(price.get("billing_direction", "advance")))
            c = c if c.amount else charge(_price(terms, slot.item, slot.basis),
                                          _inputs(terms, slot.item, {}), Phase.ARREARS)
            lines += _with_discount(terms, slot, _line("one_off", c, currency, slot, None))
            continue
        if fixed_fee:
            amount, c, details = _fixed_amount(terms, slot)
            if not amount and not c.amount:
                continue
            kind = "credit" if slot.credit else "fixed"
            line = LineDraft(
                kind=kind,
                amount=-amount if slot.credit else amount,
                product_id=product_id,
                bundle_id=bundle_id,
                quantity=Decimal(slot.item.get("quantity", 1)),
                period=(slot.spans[0][0][0], slot.basis.end) if slot.credit else period,
                details={**details, "breakdown": _breakdown(c)},
            )
            lines += _with_discount(terms, slot, line)
            continue
        values = {w.metric_id: usage.get(w, ZERO) for w in slot.windows}
        c = charge(_price(terms, slot.item, slot.basis), _inputs(terms, slot.item, values),
                   slot.phase)
        kind = {"prepaid_tiered": "prepaid", "prepaid_fixed_tiered": "prepaid"}.get(price["type"], "usage")
        if slot.phase is Phase.ARREARS and kind == "prepaid":
            kind = "overage"
        metric = (price.get("metric_ids") or [None])[0]
        line = _line(kind, c, currency, slot, metric)
        line.quantity = values.get(metric) if metric else None
        if slot.windows:
            line.details["window"] = {"start": _iso(slot.windows[0].start),
                                      "end": _iso(slot.windows[0].end)}
        line.period = period
        if c.amount or kind in ("usage", "overage"):
            lines += _with_discount(terms, slot, line)
    return lines


def _with_discount(terms: Terms, slot: Slot, line: LineDraft) -> list[LineDraft]:
    """The line, followed by its price-level discount when the price has one."""
    discount = slot.item["price"].get("discount")
    if not discount or line.amount <= 0:
        return [line]
    months = max(0, months_between(terms.timeline.contract_start, slot.basis.start))
    taken = round_money(discount_amount(discount, line.amount, months), terms.currency)
    if not taken:
        return [line]
    label = f"{discount['amount']}% discount" if discount.get("type") == "percentage" else "Discount"
    return [line, LineDraft(kind="discount", amount=-taken, product_id=line.product_id,
                            bundle_id=line.bundle_id, period=line.period, description=label,
                            details={"discount": dict(discount)})]


def _line(kind: str, c: Charge, currency: str, slot: Slot, metric: str | None) -> LineDraft:
    bundle_id, product_id = slot.key
    unit = c.lines[0].rate if len(c.lines) == 1 else None
    return LineDraft(
        kind=kind,
        amount=round_money(c.amount, currency),
        product_id=product_id,
        bundle_id=bundle_id,
        metric_id=metric,
        quantity=Decimal(slot.item.get("quantity", 1)) if metric is None else None,
        unit_amount=unit,
        period=(slot.basis.start, slot.basis.end),
        details={"breakdown": _breakdown(c)},
    )


def _breakdown(c: Charge) -> list[dict[str, Any]]:
    return [
        {
            "kind": line.kind,
            "description": line.description,
            "units": None if line.units is None else format(line.units, "f"),
            "rate": None if line.rate is None else format(line.rate, "f"),
            "amount": format(line.amount, "f"),
        }
        for line in c.lines
    ]


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
