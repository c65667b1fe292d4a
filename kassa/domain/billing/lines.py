"""The invoice lines of a planned boundary: each slot charged once, as its price says.

A one-off slot bills the price's one-off charge; a usage-based price bills its phase's charge
over the measured windows; a fixed fee bills whole periods or billable days at the period's daily
rate. A price-level discount follows its line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from kassa.domain.billing.boundary import LineDraft, Slot, Terms, UsageWindow
from kassa.domain.billing.timeline import DateRange, without_trial
from kassa.domain.modifiers import discount_amount, escalate_price, escalation_factor
from kassa.domain.money import ZERO, round_money
from kassa.domain.periods import Period, months_between
from kassa.domain.pricing import Charge, Item, PeriodInputs, Phase, Price
from kassa.domain.proration import daily_rate


def _price(terms: Terms, item: Item, period: Period) -> Price:
    """The item's price as escalated for the period."""
    factor = escalation_factor(
        terms.price_escalation, max(0, months_between(terms.timeline.contract_start, period.start))
    )
    metered = bool((terms.price_escalation or {}).get("escalate_metered_unit_rates"))
    return escalate_price(item.price, factor, metered=metered)


def _inputs(terms: Terms, item: Item, usage: Mapping[str, Decimal]) -> PeriodInputs:
    named = dict(usage)
    for metric_id, value in usage.items():
        name = terms.metric_names.get(metric_id)
        if name:
            named.setdefault(name, value)
    return PeriodInputs(quantity=item.quantity, usage=named)


def _fixed_amount(terms: Terms, slot: Slot) -> tuple[Decimal, Charge, dict[str, Any]]:
    """A fixed fee for the slot's days: whole when billable every day, else day by day."""
    tl = terms.timeline
    basis = slot.basis
    pieces: list[tuple[DateRange, Item]] = []
    for (s, e), item in slot.spans:
        ranges = without_trial([(s, e)], item.source, tl.contract_start)
        if slot.phase is Phase.ARREARS:
            ranges = tl.active_days(ranges)
        pieces += [(r, item) for r in ranges if r[0] < r[1]]
    whole = (
        len(pieces) == 1
        and pieces[0][0] == (basis.start, basis.end)
    )
    total = ZERO
    charges: dict[tuple[Price, Decimal], Charge] = {}  # one charge per item version
    c = Charge.none()
    prorated: list[dict[str, Any]] = []
    for (s, e), item in pieces:
        price = _price(terms, item, basis)
        key = (price, item.quantity)
        if key not in charges:
            charges[key] = price.charge(_inputs(terms, item, {}), slot.phase)
        c = charges[key]
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
    return total, c, details


def bill_boundary(
    terms: Terms, slots: Sequence[Slot], usage: Mapping[UsageWindow, Decimal]
) -> list[LineDraft]:
    """The lines of the slots, with the aggregated usage they asked for."""
    lines: list[LineDraft] = []
    for slot in slots:
        line = _slot_line(terms, slot, usage)
        if line is not None:
            lines += _with_discount(terms, slot, line)
    return lines


def _slot_line(
    terms: Terms, slot: Slot, usage: Mapping[UsageWindow, Decimal]
) -> LineDraft | None:
    """The slot's line, None when it bills nothing; the price decides how it is charged."""
    if slot.one_off:
        c = _price(terms, slot.item, slot.basis).one_off(_inputs(terms, slot.item, {}))
        return _line("one_off", c, terms.currency, slot, None)
    if slot.item.price.measures_usage:
        return _usage_line(terms, slot, usage)
    return _fee_line(terms, slot)


def _period(terms: Terms, slot: Slot) -> DateRange:
    return (max(slot.basis.start, terms.timeline.contract_start), slot.basis.end)


def _fee_line(terms: Terms, slot: Slot) -> LineDraft | None:
    """A fixed fee by billable days (or the unused-time credit of one)."""
    amount, c, details = _fixed_amount(terms, slot)
    if not amount and not c.amount:
        return None
    bundle_id, product_id = slot.key
    return LineDraft(
        kind="credit" if slot.credit else "fixed",
        amount=-amount if slot.credit else amount,
        product_id=product_id,
        bundle_id=bundle_id,
        quantity=slot.item.quantity,
        period=(slot.spans[0][0][0], slot.basis.end) if slot.credit else _period(terms, slot),
        details={**details, "breakdown": _breakdown(c)},
    )


def _usage_charge(terms: Terms, slot: Slot, values: Mapping[str, Decimal]) -> Charge:
    return _price(terms, slot.item, slot.basis).charge(_inputs(terms, slot.item, values), slot.phase)


def usage_amount(terms: Terms, slot: Slot, values: Mapping[str, Decimal]) -> Decimal:
    """What the slot's usage-based price charges for these measured values (metric id -> value),
    escalated and with the item's quantity as its line was billed (unrounded)."""
    return _usage_charge(terms, slot, values).amount


def _usage_line(
    terms: Terms, slot: Slot, usage: Mapping[UsageWindow, Decimal]
) -> LineDraft | None:
    """A usage-based charge over the slot's measured windows."""
    price = slot.item.price
    values = {w.metric_id: usage.get(w, ZERO) for w in slot.windows}
    c = _usage_charge(terms, slot, values)
    kind = price.line_kind(slot.phase)
    metric = price.metric_ids[0] if price.metric_ids else None
    line = _line(kind, c, terms.currency, slot, metric)
    line.quantity = values.get(metric) if metric else None
    if slot.windows:
        line.details["window"] = {"start": _iso(slot.windows[0].start),
                                  "end": _iso(slot.windows[0].end)}
    line.period = _period(terms, slot)
    return line if c.amount or kind in ("usage", "overage") else None


def _with_discount(terms: Terms, slot: Slot, line: LineDraft) -> list[LineDraft]:
    """The line, followed by its price-level discount when the price has one."""
    discount = slot.item.discount
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
        quantity=slot.item.quantity if metric is None else None,
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
