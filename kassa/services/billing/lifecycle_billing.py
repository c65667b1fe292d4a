"""Billing's implementation of the subscription lifecycle's ``BillingHooks``
(``kassa.services.subscriptions.billing_hooks``; registered in ``kassa.bootstrap``): where the
lifecycle meets money, inside the lifecycle's own transaction:

- activation: billing starts at the contract start (billed at once when that has come);
- a version taking over mid-period: proration of advance-billed items, billed at once (net
  charge: an invoice; net credit: the customer's credit balance) plus one-off items it adds;
- the end (cancellation, contract expiry): the final boundary is billed;
- pause and resume: advance-billed fixed fees are credited for the paused days of the current
  period at pause, and charged again for the rest of the period at resume.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from kassa.domain.billing.boundary import LineDraft, midnight
from kassa.domain.billing.totals import tax_line
from kassa.domain.change_proration import (
    BilledAs,
    change_proration,
    is_prorated,
    period_amount,
)
from kassa.domain.contracts import utc_date
from kassa.domain.fx import Conversion
from kassa.domain.items import priced_items
from kassa.domain.money import ZERO, round_money
from kassa.domain.periods import period_containing
from kassa.domain.proration import daily_rate
from kassa.domain.subscription import Subscription, Version
from kassa.services import fx
from kassa.services.billing import credits
from kassa.services.billing import invoices as inv
from kassa.services.billing import run as billing_run
from kassa.services.billing.describe import describe
from kassa.services.serialize import rfc3339
from kassa.services.subscriptions.records import save
from kassa.store.tables import customers, products
from kassa.store.uow import UnitOfWork

def on_activated(uow: UnitOfWork, sub: Subscription) -> Subscription:
    """Billing begins at the contract start; bill now if it has come."""
    start = midnight(sub.contract_start)
    sub = save(uow.conn, sub, {"next_billing_at": start, "billed_through": None})
    return bill_due(uow, sub)


def bill_due(uow: UnitOfWork, sub: Subscription) -> Subscription:
    """``sub`` with whatever is due right now billed, in this transaction."""
    if sub.next_billing_at is None or sub.next_billing_at > uow.now:
        return sub
    return billing_run.bill(uow, [sub], uow.now).billed(sub)


def on_end(uow: UnitOfWork, sub: Subscription) -> Subscription:
    """The subscription ended at ``canceled_at``: its last boundary is the end itself."""
    if sub.activated_at is None or sub.next_billing_at is None:
        return sub
    end = sub.canceled_at
    if sub.billed_through is not None and sub.billed_through >= end:
        return save(uow.conn, sub, {"next_billing_at": None})
    if end < sub.next_billing_at:
        sub = save(uow.conn, sub, {"next_billing_at": end})
    return bill_due(uow, sub)


def billed_as(sub: Subscription) -> BilledAs:
    """How ``sub``'s period lines are billed (escalation, discounts): what its prorations,
    pauses and resumes prorate."""
    return BilledAs(sub.currency, sub.contract_start, sub.price_escalation, sub.discount)


def on_version_takes_over(uow: UnitOfWork, sub: Subscription, old_items: Sequence[Mapping],
                          new_items: Sequence[Mapping], at: datetime, version: Version,
                          *, immediate: bool) -> None:
    """Bill the proration of switching item sets at ``at`` (not at a billing boundary that has
    not been billed yet: the new items simply apply to the coming period)."""
    if sub.billing_anchor is None or sub.billed_through is None:
        return  # nothing has been billed yet: the first invoice uses the new items
    currency = sub.currency
    rates = fx.Rates.of(uow) if sub.converts else None
    # The unused time is credited at the rate its period was billed at (the last boundary
    # billed); the new items are charged at the rate of the change's day.
    old_items, _ = _billed(rates, sub, old_items, min(sub.billed_through, at))
    new_items, conversion = _billed(rates, sub, new_items, at)
    lines: list[LineDraft] = []
    if version.proration != "none":
        for line in change_proration(
            old_items, new_items, effective=utc_date(at), anchor=sub.billing_anchor,
            currency=currency, at_period_start=immediate, billed=billed_as(sub),
        ):
            period = (line.covers.start, line.covers.end)
            details = {"period_days": line.period.days, "days": line.remaining_days,
                       "version_id": version.id}
            if line.credit:
                lines.append(LineDraft(
                    kind="proration", amount=-line.credit, product_id=line.product_id,
                    bundle_id=line.bundle_id, period=period,
                    details={**details, "daily_rate": format(line.old_daily_rate, "f"),
                             "side": "credit"}))
            if line.charge:
                lines.append(LineDraft(
                    kind="proration", amount=line.charge, product_id=line.product_id,
                    bundle_id=line.bundle_id, period=period,
                    details={**details, "daily_rate": format(line.new_daily_rate, "f"),
                             "side": "charge"}))
    old_keys = {(b, c["product_id"]) for b, c in priced_items(old_items)}
    for bundle_id, child in priced_items(new_items):
        price = child["price"]
        if (bundle_id, child["product_id"]) in old_keys or price.get("billing_frequency") != "one-off":
            continue
        lines.append(LineDraft(kind="one_off", amount=round_money(period_amount(child), currency),
                               product_id=child["product_id"], bundle_id=bundle_id))
    _bill_now(uow, sub, lines, key=f"{sub.id}:version:{version.id}", conversion=conversion)


def _billed(rates: fx.Rates | None, sub: Subscription, items: Sequence[Mapping],
            at: datetime) -> tuple[Sequence[Mapping], Conversion | None]:
    """``items`` as they bill in ``sub``'s currency at ``at`` (prices converted at the rate
    of that day when they are in another currency and have no option in it)."""
    if rates is None:
        return items, None
    return fx.billed_items(rates, sub, items, utc_date(at))


def _bill_now(uow: UnitOfWork, sub: Subscription, lines: list[LineDraft], *, key: str,
              conversion: Conversion | None = None) -> None:
    """An immediate invoice for ``lines``; a net credit goes to the credit balance instead."""
    if not lines:
        return
    currency = sub.currency
    net = sum((line.amount for line in lines), ZERO)
    if net <= 0 and not any(line.kind == "one_off" for line in lines):
        if net < 0:
            credits.add_grant(uow, sub.customer_id, -net, currency=currency,
                              reason=f"Proration credit for subscription {sub.id}",
                              source="proration")
        return
    describe(lines, _names(uow, lines), currency)
    customer = uow.conn.execute(
        select(customers.c.tax_rate, customers.c.tax_exempt).where(
            customers.c.environment == uow.environment, customers.c.id == sub.customer_id
        )
    ).one()
    tax = tax_line(net, customer.tax_rate, bool(customer.tax_exempt), currency)
    if tax:
        lines = [*lines, tax]
    draft = inv.prepare(
        uow,
        customer_id=sub.customer_id,
        currency=currency,
        kind="proration",
        lines=lines,
        payment_terms=sub.payment_terms,
        auto_pay=sub.auto_pay,
        subscription_id=sub.id,
        billing_key=key,
        fx=None if conversion is None else conversion.to_dict(),
    )
    written = inv.store(uow, [draft])
    if written and sub.auto_issue:
        inv.issue_many(uow, written)


def _names(uow: UnitOfWork, lines: Sequence[LineDraft]) -> dict[str, Any]:
    wanted = {line.product_id for line in lines if line.product_id}
    if not wanted:
        return {}
    return {r["id"]: r for r in uow.conn.execute(
        select(products.c.id, products.c.name, products.c.unit_label_singular,
               products.c.unit_label_plural)
        .where(products.c.environment == uow.environment, products.c.id.in_(wanted))
    ).mappings()}


def _advance_items(items: Sequence[Mapping]) -> list[tuple[str | None, Mapping]]:
    return [(b, c) for b, c in priced_items(items) if is_prorated(c)]


def on_pause(uow: UnitOfWork, sub: Subscription, items: Sequence[Mapping], at: datetime) -> None:
    """Credit the days from ``at`` to the end of the current period of advance-billed fees."""
    billed_at = min(sub.billed_through, at) if sub.billed_through else at  # its period's rate
    items, _ = _billed(fx.Rates.of(uow) if sub.converts else None, sub, items, billed_at)
    lines = _rest_of_period(sub, items, at, credit=True)
    total = sum((line.amount for line in lines), ZERO)
    if total < 0:
        credits.add_grant(uow, sub.customer_id, -total, currency=sub.currency,
                          reason=f"Paused days of subscription {sub.id}", source="pause")


def on_resume(uow: UnitOfWork, sub: Subscription, items: Sequence[Mapping], at: datetime) -> None:
    """Charge the rest of the current period of advance-billed fees again."""
    items, conversion = _billed(fx.Rates.of(uow) if sub.converts else None, sub, items, at)
    lines = _rest_of_period(sub, items, at, credit=False)
    _bill_now(uow, sub, lines, key=f"{sub.id}:resume:{rfc3339(at)}", conversion=conversion)


def _rest_of_period(sub: Subscription, items: Sequence[Mapping], at: datetime, *,
                    credit: bool) -> list[LineDraft]:
    if sub.billing_anchor is None or sub.billed_through is None:
        return []
    today = utc_date(at)
    if today < sub.billing_anchor:
        return []
    lines = []
    for bundle_id, child in _advance_items(items):
        period = period_containing(sub.billing_anchor, child["price"]["billing_interval"], today)
        if sub.billed_through < midnight(period.start):
            continue  # this period's advance charge is still to come, and will see the pause
        days = (period.end - today).days
        if credit and today == period.start:
            days = period.days  # paused before the day began: the whole period comes back
        rate = daily_rate(billed_as(sub).period_amount(child, period), period, sub.currency)
        amount: Decimal = rate * days
        if not amount:
            continue
        lines.append(LineDraft(
            kind="proration", amount=-amount if credit else amount, product_id=child["product_id"],
            bundle_id=bundle_id, period=(today, period.end),
            details={"period_days": period.days, "days": days, "daily_rate": format(rate, "f"),
                     "side": "credit" if credit else "charge", "reason": "pause" if credit else "resume"}))
    return lines


class LifecycleBilling:
    """The hooks ``kassa.bootstrap`` registers on every context (a ``BillingHooks``)."""

    on_activated = staticmethod(on_activated)
    on_version_takes_over = staticmethod(on_version_takes_over)
    on_end = staticmethod(on_end)
    on_pause = staticmethod(on_pause)
    on_resume = staticmethod(on_resume)
