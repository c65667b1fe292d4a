"""Day-based proration of mid-period changes.

remaining days = (period.end - effective).days
daily rate     = round_money(price / period.days)        rounded once, to the minor unit
credit         = old daily rate x remaining days         (what the customer no longer uses)
charge         = new daily rate x remaining days         (what the customer now gets)
net            = charge - credit                         (negative: goes to the credit balance)

The documented example: $99 -> $199 in a 30-day period with 15 days left gives a credit of
15 x 3.30 = 49.50, a charge of 15 x 6.63 = 99.45 and a net of 49.95.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from kassa.domain.errors import InvalidRequest
from kassa.domain.money import round_money, to_decimal
from kassa.domain.periods import Period

Behaviour = Literal["full", "none"]
BEHAVIOURS: tuple[str, ...] = ("full", "none")


@dataclass(frozen=True)
class Proration:
    """The proration of one change; money is rounded to the currency's minor unit."""

    remaining_days: int
    period_days: int
    old_daily_rate: Decimal
    new_daily_rate: Decimal
    credit: Decimal
    charge: Decimal
    net: Decimal


def remaining_days(period: Period, effective: date) -> int:
    """Days from ``effective`` to the end of ``period``; the date must lie in [start, end]."""
    if not period.start <= effective <= period.end:
        raise InvalidRequest(
            f"The effective date {effective} is outside the period {period.start} .. {period.end}."
        )
    return (period.end - effective).days


def daily_rate(amount: Decimal, period: Period, currency: str) -> Decimal:
    """The price of one day of ``period``, rounded to the minor unit."""
    return round_money(to_decimal(amount) / period.days, currency)


def prorate(
    old_amount: Decimal,
    new_amount: Decimal,
    period: Period,
    effective: date,
    currency: str,
    behaviour: Behaviour | str = "full",
) -> Proration:
    """Credit for the old price and charge for the new one over the rest of the period.

    ``behaviour="none"`` applies the change without money: every amount and rate is zero (the
    day counts are still reported). Adding an item is ``old_amount=0``; removing one is
    ``new_amount=0``.
    """
    if behaviour not in BEHAVIOURS:
        raise InvalidRequest(f"Unknown proration behaviour {behaviour!r}: use 'full' or 'none'.")
    remaining = remaining_days(period, effective)
    zero = round_money(Decimal(0), currency)
    if behaviour == "none":
        return Proration(remaining, period.days, zero, zero, zero, zero, zero)
    old_daily = daily_rate(old_amount, period, currency)
    new_daily = daily_rate(new_amount, period, currency)
    credit = old_daily * remaining
    charge = new_daily * remaining
    return Proration(remaining, period.days, old_daily, new_daily, credit, charge, charge - credit)


def prorated_amount(amount: Decimal, period: Period, effective: date, currency: str) -> Decimal:
    """One side of a change: ``amount`` for the rest of the period (charge on add, credit on
    removal), computed exactly like ``prorate``: daily rate rounded, times remaining days."""
    return daily_rate(amount, period, currency) * remaining_days(period, effective)
