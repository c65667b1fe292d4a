"""The pure middle of a billing run: plan a subscription's due boundaries, then price each one
into invoice lines from what was measured for it.

The run reads first (subscriptions, versions, customers, metrics; then, for the planned
boundaries, usage, unit credits, late-usage adjustments and earlier spend), computes here, and
writes last (``kassa.services.billing.run``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property

from kassa.domain.billing.boundary import LineDraft, Slot, Terms, UsageWindow, plan_boundary
from kassa.domain.billing.boundary import windows_of
from kassa.domain.billing.lines import bill_boundary
from kassa.domain.billing.terms import RateOn, following_boundary, terms_of, terms_on
from kassa.domain.billing.timeline import day
from kassa.domain.billing.totals import charges_of, discount_line, spend_lines, tax_line
from kassa.domain.money import ZERO
from kassa.domain.periods import Interval, add_months, months_between
from kassa.domain.subscription import Subscription, Version

SpendSpan = tuple[date, date]


@dataclass(frozen=True)
class Boundary:
    """One boundary of a subscription to bill: the instant and the charges it plans."""

    sub: Subscription
    terms: Terms
    at: datetime
    slots: list[Slot]

    @property
    def key(self) -> tuple[str, datetime]:
        return (self.sub.id, self.at)

    @cached_property
    def windows(self) -> set[UsageWindow]:
        """The usage windows its slots measure (read by the run several times: built once)."""
        return windows_of(self.slots)

    @property
    def kind(self) -> str:
        """``final`` for the boundary where the subscription ends, else ``subscription``."""
        ends_at = self.terms.timeline.ends_at
        return "final" if ends_at is not None and self.at >= ends_at else "subscription"


@dataclass(frozen=True)
class DuePlan:
    """A subscription's boundaries due now, and its next billing instant after them."""

    sub: Subscription
    boundaries: list[Boundary]
    following: datetime | None


@dataclass(frozen=True)
class Customer:
    """What billing reads of a customer: its tax."""

    id: str
    tax_rate: Decimal | None
    tax_exempt: bool


@dataclass(frozen=True)
class Measured:
    """What the run read for one boundary once it was planned."""

    usage: Mapping[UsageWindow, Decimal]  # after unit credits
    credited: Mapping[UsageWindow, Decimal] = field(default_factory=dict)  # unit credits used
    extra: Sequence[LineDraft] = ()  # late-usage adjustments
    prior_spend: Decimal = ZERO  # invoiced earlier in the boundary's spend period


@dataclass(frozen=True)
class Draft:
    """A boundary priced: the invoice lines it bills (none: nothing to invoice)."""

    boundary: Boundary
    lines: list[LineDraft]


def plan_due(sub: Subscription, versions: Sequence[Version], metric_names: Mapping[str, str],
             now: datetime, rate_on: RateOn | None = None) -> DuePlan:
    """Every boundary of ``sub`` from its next billing instant up to ``now``; prices in
    another currency priced at each boundary's day (``terms_on``, the rates from ``rate_on``)."""
    terms = terms_of(sub, versions, metric_names)
    boundaries = []
    at = sub.next_billing_at
    while at is not None and at <= now:
        priced = terms if not sub.converts else terms_on(sub, versions, metric_names, day(at),
                                                          rate_on)
        boundaries.append(Boundary(sub, priced, at, plan_boundary(priced, at)))
        at = following_boundary(terms, at)
    return DuePlan(sub, boundaries, at)


def spend_span(sub: Subscription, terms: Terms, at: datetime) -> SpendSpan | None:
    """The minimum/maximum spend period ending at this boundary (None: none ends here)."""
    limit = sub.minimum_spend or sub.maximum_spend
    if not limit:
        return None
    anchor, t = terms.timeline.anchor, day(at)
    months = Interval(limit["period"]).months
    m = months_between(anchor, t)
    if m <= 0 or m % months or add_months(anchor, m) != t:
        return None
    return (add_months(anchor, m - months), t)


def draft(boundary: Boundary, measured: Measured, customer: Customer) -> Draft:
    """``boundary`` priced from what was measured for it."""
    return Draft(boundary, price(boundary, measured, customer))


def price(boundary: Boundary, measured: Measured, customer: Customer) -> list[LineDraft]:
    """Charge lines (and the measured extra ones, e.g. late usage), then the subscription
    discount, spend limits and tax; unit credits noted on the usage lines they reduced."""
    sub, terms, at = boundary.sub, boundary.terms, boundary.at
    currency = sub.currency
    lines = bill_boundary(terms, boundary.slots, measured.usage) + list(measured.extra)
    months = max(0, months_between(terms.timeline.contract_start, day(at)))
    if lines:
        discount = discount_line(sub.discount, charges_of(lines), months, currency)
        if discount:
            lines.append(discount)
    lines += _spend(sub, terms, at, lines, measured.prior_spend)
    if lines:
        taxable = sum((line.amount for line in lines if line.kind != "tax"), ZERO)
        tax = tax_line(taxable, customer.tax_rate, customer.tax_exempt, currency)
        if tax:
            lines.append(tax)
    mark_unit_credits(lines, measured.credited)
    return lines


def _spend(sub: Subscription, terms: Terms, at: datetime, lines: Sequence[LineDraft],
           prior: Decimal) -> list[LineDraft]:
    span = spend_span(sub, terms, at)
    if span is None:
        return []
    inside = [ln for ln in lines if ln.period and span[0] <= ln.period[0] and ln.period[1] <= span[1]]
    spend = charges_of(inside) + sum((ln.amount for ln in inside if ln.kind == "discount"), ZERO)
    return spend_lines(spend + prior, sub.minimum_spend, sub.maximum_spend, sub.currency, span)


def mark_unit_credits(lines: Sequence[LineDraft], credited: Mapping[UsageWindow, Decimal]) -> None:
    """Note on each usage (or overage) line the unit credits its metric's usage was reduced by."""
    for line in lines:
        for w, used in credited.items():
            if used and line.metric_id == w.metric_id and line.kind in ("usage", "overage"):
                line.details["unit_credits_applied"] = format(used, "f")
