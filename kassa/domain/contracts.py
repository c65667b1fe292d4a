"""Contract terms, renewals, billing cycles and the timing keywords of the Changes API.

All boundaries are dates, taken at 00:00 UTC. A contract is ``fixed`` (``duration_months``
long) or ``monthly_rolling`` (one month at a time until canceled). ``term_start``/``term_end``
hold the current term, half-open. At ``term_end`` a subscription renews when ``auto_renew`` is on
(a rolling contract always does) and otherwise ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from kassa.domain.dates import OUT_OF_RANGE, day_in_range
from kassa.domain.errors import InvalidRequest
from kassa.domain.periods import Interval, add_months, next_period_start

TIMING_KEYWORDS = ("immediate", "end_of_term", "billing_cycle_start", "end_of_contract", "next_renewal")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PAYMENT_TERMS_DAYS = {
    "due_on_receipt": 0,
    "net_7": 7,
    "net_15": 15,
    "net_30": 30,
    "net_45": 45,
    "net_60": 60,
    "net_90": 90,
}


def midnight(d: date) -> datetime:
    """00:00 UTC on ``d``."""
    return datetime.combine(d, time(0), tzinfo=UTC)


def utc_date(t: datetime) -> date:
    return t.astimezone(UTC).date()


def first_term(period_type: str, duration_months: int | None, start: date) -> tuple[date, date]:
    """The first contract term starting on ``start``."""
    months = 1 if period_type == "monthly_rolling" else duration_months
    if not months or months < 1:
        raise InvalidRequest(
            "A fixed contract needs duration_months (at least 1).", field="contract.duration_months"
        )
    return start, add_months(start, months)


@dataclass(frozen=True)
class Renewal:
    """What happens at ``term_end``: a new term (its type and length), or the end."""

    period_type: str
    term_start: date
    term_end: date


def renewal_at(contract: Mapping[str, Any], renewal: Mapping[str, Any], term_end: date) -> Renewal | None:
    """The term that follows the one ending on ``term_end``; None when the contract ends there."""
    period_type = contract.get("period_type", "monthly_rolling")
    if period_type == "monthly_rolling":
        return Renewal("monthly_rolling", term_end, add_months(term_end, 1))
    if not renewal.get("auto_renew", True):
        return None
    next_type = renewal.get("period_type") or period_type
    if next_type == "monthly_rolling":
        return Renewal("monthly_rolling", term_end, add_months(term_end, 1))
    months = renewal.get("duration_months") or contract.get("duration_months") or 12
    return Renewal("fixed", term_end, add_months(term_end, months))


def renews(contract: Mapping[str, Any], renewal: Mapping[str, Any]) -> bool:
    return contract.get("period_type") == "monthly_rolling" or bool(renewal.get("auto_renew", True))


def renews_at_term_end(status: str, contract: Mapping[str, Any], renewal: Mapping[str, Any],
                       term_end: date | None, cancel_at: datetime | None) -> bool:
    """Whether a new term follows the current one: the subscription is live, renews, and is
    not canceled before (or at) the term's end."""
    if status not in ("active", "paused") or term_end is None:
        return False
    if cancel_at is not None and cancel_at <= midnight(term_end):
        return False
    return renewal_at(contract, renewal, term_end) is not None


def commitment_end(status: str, contract: Mapping[str, Any], term_end: date | None,
                   cancel_at: datetime | None) -> datetime | None:
    """When a live subscription's current term stops: a scheduled cancellation, or the end of a
    fixed term (renewed or not); None for a rolling contract nobody canceled."""
    if status not in ("active", "paused"):
        return None
    ends = [cancel_at] if cancel_at is not None else []
    if contract.get("period_type") == "fixed" and term_end is not None:
        ends.append(midnight(term_end))
    return min(ends, default=None)


def cycle_interval(items: Iterable[Mapping[str, Any]]) -> Interval:
    """A subscription's billing cycle: the shortest interval among its recurring prices."""
    months = [
        Interval(child["price"]["billing_interval"])
        for item in items
        for child in (item.get("items") or () if item.get("bundle_id") else (item,))
        if child["price"].get("billing_frequency", "recurring") == "recurring"
    ]
    return min(months, key=lambda i: i.months, default=Interval.MONTHLY)


@dataclass(frozen=True)
class TimingContext:
    """What the timing keywords need to know about a subscription at one instant."""

    now: datetime
    period_type: str | None
    term_end: date | None
    renews: bool
    anchor: date | None
    interval: Interval


def resolve_effective(value: str, context: TimingContext, *, field: str = "effective") -> datetime:
    """The instant a change asked for with ``value`` (keyword or YYYY-MM-DD) takes effect."""
    now = context.now
    if value == "immediate":
        return now
    if value in TIMING_KEYWORDS:
        if context.term_end is None or context.anchor is None:
            raise InvalidRequest(
                f"{value} needs a started contract; activate the subscription first or give a "
                "date (YYYY-MM-DD).",
                field=field,
            )
        if value == "billing_cycle_start":
            return midnight(next_period_start(context.anchor, context.interval, utc_date(now)))
        if value == "end_of_contract" and context.period_type == "monthly_rolling":
            raise InvalidRequest(
                "A monthly rolling contract has no end date; use end_of_term or a date.",
                field=field,
            )
        if value == "next_renewal" and not context.renews:
            raise InvalidRequest(
                f"The subscription does not renew: its contract ends on {context.term_end}. "
                "Use end_of_contract, or turn on renewal.auto_renew.",
                field=field,
            )
        return midnight(context.term_end)
    if _DATE.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidRequest(f"{value!r} is not a valid date.", field=field) from None
        if not day_in_range(day):
            raise InvalidRequest(f"{value}: the date {OUT_OF_RANGE}.", field=field)
        if day < utc_date(now):
            raise InvalidRequest(
                f"{value} is in the past; use immediate or a date from today on.", field=field
            )
        return max(midnight(day), now)
    allowed = ", ".join(TIMING_KEYWORDS)
    raise InvalidRequest(
        f"Unknown effective value {value!r}: use {allowed} or a date YYYY-MM-DD.", field=field
    )


def due_date(issued: date, payment_terms: str) -> date:
    """When an invoice issued on ``issued`` is due under ``payment_terms``."""
    from datetime import timedelta

    return issued + timedelta(days=PAYMENT_TERMS_DAYS[payment_terms])
