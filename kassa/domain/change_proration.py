"""Proration of a version change: what switching item sets mid-period is worth, item by item.

Only fixed-fee, recurring items billed in advance are prorated when the change happens: their
whole period was charged at its start, so the customer gets a credit for the unused days of the
old price and a charge for the same days at the new one. Arrears items are settled on the
period-end invoice, split by version; metered usage is billed as measured; one-off items are
charged once. Amounts follow ``kassa.domain.proration`` exactly (daily rate rounded, times days).

The daily rates are those of the price actually billed for the period (``BilledAs``): escalated
as the period's line was, less the price-level discount that followed it and the subscription's
percentage discount; without a ``BilledAs``, the list price.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from kassa.domain.items import priced_items
from kassa.domain.modifiers import discount_amount, escalate_price, escalation_factor
from kassa.domain.money import ZERO, round_money
from kassa.domain.periods import Period, months_between, period_containing
from kassa.domain.pricing import PeriodInputs, price_from_dict, quote
from kassa.domain.proration import daily_rate


@dataclass(frozen=True)
class ProrationLine:
    bundle_id: str | None
    product_id: str
    period: Period
    remaining_days: int
    old_amount: Decimal
    new_amount: Decimal
    old_daily_rate: Decimal
    new_daily_rate: Decimal
    credit: Decimal
    charge: Decimal

    @property
    def net(self) -> Decimal:
        return self.charge - self.credit

    @property
    def covers(self) -> Period:
        """The days the line prorates: from the change to the end of its period."""
        return Period(self.period.end - timedelta(days=self.remaining_days), self.period.end)


def period_amount(item: Mapping[str, Any]) -> Decimal:
    """The amount a fixed-fee item charges for one full period (seats x rate, fixed total...)."""
    quantity = Decimal(item.get("quantity", 1))
    return quote(price_from_dict(item["price"]), PeriodInputs(quantity=quantity)).amount


@dataclass(frozen=True)
class BilledAs:
    """How a subscription's period lines are billed beyond the list price: escalated by
    ``escalation`` by the months from ``contract_start`` to the period's start, less the
    item's price-level discount, less the subscription's ``discount`` when it is a percentage
    (a fixed-amount subscription discount is taken once per invoice, not per day). Each
    discount is taken off the escalated line, as the period's invoice takes it (the
    subscription's there off all its charges, rounded once: this can differ by a cent)."""

    currency: str
    contract_start: date | None = None
    escalation: Mapping[str, Any] | None = None
    discount: Mapping[str, Any] | None = None

    def period_amount(self, item: Mapping[str, Any], period: Period) -> Decimal:
        """What the period's line of ``item`` bills, net of its discounts, each rounded as the
        invoice rounds it (the line, its discount line, the subscription discount)."""
        months = (max(0, months_between(self.contract_start, period.start))
                  if self.contract_start is not None else 0)
        factor = escalation_factor(self.escalation, months)
        metered = bool((self.escalation or {}).get("escalate_metered_unit_rates"))
        price = escalate_price(price_from_dict(item["price"]), factor, metered=metered)
        quantity = Decimal(item.get("quantity", 1))
        line = round_money(quote(price, PeriodInputs(quantity=quantity)).amount, self.currency)
        # Both discounts are taken off the line's amount, as the invoice takes them: the
        # price's next to its line, the subscription's off the charges.
        amount = line - round_money(discount_amount(item["price"].get("discount") or None,
                                                    line, months), self.currency)
        if self.discount and self.discount.get("type") == "percentage":
            amount -= round_money(discount_amount(self.discount, line, months), self.currency)
        return amount


def _amount(item: Mapping[str, Any], period: Period, billed: BilledAs | None) -> Decimal:
    return period_amount(item) if billed is None else billed.period_amount(item, period)


def is_prorated(item: Mapping[str, Any] | None) -> bool:
    if item is None:
        return False
    price = item["price"]
    return (
        price.get("fee_type") == "fixed"
        and price.get("billing_frequency", "recurring") == "recurring"
        and price.get("billing_direction") == "advance"
    )


def change_proration(
    old_items: Sequence[Mapping[str, Any]],
    new_items: Sequence[Mapping[str, Any]],
    *,
    effective: date,
    anchor: date,
    currency: str,
    at_period_start: bool = True,
    billed: BilledAs | None = None,
) -> list[ProrationLine]:
    """Proration lines for switching from ``old_items`` to ``new_items`` on ``effective``.

    ``at_period_start=False`` skips items whose period starts on ``effective``: a change
    scheduled for a period boundary takes over before that period is billed, so the new price
    simply applies to the whole period.
    """
    old = {(b, c["product_id"]): c for b, c in priced_items(old_items)}
    new = {(b, c["product_id"]): c for b, c in priced_items(new_items)}
    lines: list[ProrationLine] = []
    for key in list(old) + [k for k in new if k not in old]:
        before = old.get(key) if is_prorated(old.get(key)) else None
        after = new.get(key) if is_prorated(new.get(key)) else None
        if before is None and after is None:
            continue
        interval = (after or before)["price"]["billing_interval"]  # type: ignore[index]
        if before and after and before["price"]["billing_interval"] != interval:
            lines += _one_sided(key, before, effective, anchor, currency, billed, credit=True)
            lines += _one_sided(key, after, effective, anchor, currency, billed, credit=False)
            continue
        if effective < anchor:
            continue
        period = period_containing(anchor, interval, effective)
        old_amount = _amount(before, period, billed) if before else ZERO
        new_amount = _amount(after, period, billed) if after else ZERO
        if old_amount == new_amount:
            continue
        if not at_period_start and period.start == effective:
            continue
        remaining = (period.end - effective).days
        old_rate = daily_rate(old_amount, period, currency)
        new_rate = daily_rate(new_amount, period, currency)
        lines.append(
            ProrationLine(
                key[0], key[1], period, remaining, old_amount, new_amount,
                old_rate, new_rate, old_rate * remaining, new_rate * remaining,
            )
        )
    return lines


def _one_sided(
    key: tuple[str | None, str],
    item: Mapping[str, Any],
    effective: date,
    anchor: date,
    currency: str,
    billed: BilledAs | None,
    *,
    credit: bool,
) -> list[ProrationLine]:
    if effective < anchor:
        return []
    period = period_containing(anchor, item["price"]["billing_interval"], effective)
    amount = _amount(item, period, billed)
    remaining = (period.end - effective).days
    rate = daily_rate(amount, period, currency)
    zero = round_money(ZERO, currency)
    if credit:
        return [ProrationLine(key[0], key[1], period, remaining, amount, ZERO, rate, zero,
                              rate * remaining, zero)]
    return [ProrationLine(key[0], key[1], period, remaining, ZERO, amount, zero, rate,
                          zero, rate * remaining)]


def totals(lines: Sequence[ProrationLine], currency: str) -> dict[str, Decimal]:
    credit = sum((line.credit for line in lines), round_money(ZERO, currency))
    charge = sum((line.charge for line in lines), round_money(ZERO, currency))
    return {"credit": credit, "charge": charge, "net": charge - credit}
