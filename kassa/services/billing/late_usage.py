"""Late usage: events for a billing period that is already invoiced are never lost.

Billing records, per customer, the instant up to which usage has been invoiced
(``customers.usage_billed_through_us``). Ingestion compares each stored event with it and keeps
one mark per (customer, event name) with the earliest late instant (``kassa.services.usage.late``,
one lookup per batch shared with the threshold check: ``kassa.services.usage.followups``). The
customer's next invoice re-measures the invoiced periods the marks reach, bills the difference
with what was invoiced as an ``adjustment`` line, and deletes the marks in the same transaction,
so a late event is billed exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from kassa.domain.billing.boundary import (
    LineDraft,
    Slot,
    Terms,
    UsageWindow,
    arrears_slot,
    midnight,
)
from kassa.domain.billing.lines import usage_amount
from kassa.domain.billing.timeline import ItemKey, day
from kassa.domain.money import ZERO, round_money
from kassa.domain.periods import Cycle, Interval
from kassa.domain.subscription import Subscription
from kassa.domain.usage import UsageWindow as CustomerWindow
from kassa.domain.usage_events import instant_of, timestamp_us
from kassa.services.billing import credits
from kassa.services.usage import owners
from kassa.services.usage.aggregation import aggregate_windows
from kassa.store.queries import among
from kassa.store.tables import customers, invoice_lines, invoices, usage_late_marks
from kassa.store.uow import UnitOfWork


def advance_billed_through(uow: UnitOfWork, through: Mapping[str, datetime]) -> None:
    """Usage of these customers is now invoiced up to the given instants (never moves back)."""
    if not through:
        return
    current = dict(uow.conn.execute(
        select(customers.c.id, customers.c.usage_billed_through_us).where(
            customers.c.environment == uow.environment, among(uow.conn, customers.c.id, list(through))
        )
    ).all())
    rows = [
        {"cid": c, "us": timestamp_us(t)}
        for c, t in through.items()
        if current.get(c) is None or timestamp_us(t) > current[c]
    ]
    if rows:
        uow.conn.execute(
            update(customers)
            .where(customers.c.environment == uow.environment, customers.c.id == bindparam("cid"))
            .values(usage_billed_through_us=bindparam("us")),
            rows,
        )


def marked_customers(conn: Connection, environment: str, customer_ids: Sequence[str]) -> set[str]:
    if not customer_ids:
        return set()
    return set(conn.execute(
        select(usage_late_marks.c.customer_id).where(
            usage_late_marks.c.environment == environment,
            among(conn, usage_late_marks.c.customer_id, list(customer_ids)),
        ).distinct()
    ).scalars())


def adjustment_lines(uow: UnitOfWork, sub: Subscription, terms: Terms, at: datetime,
                     metric_rows: Mapping[str, Any], invoice_id: str) -> list[LineDraft]:
    """Adjustments for late usage of ``sub``'s metered items, consuming the customer's marks
    (and unit credits left for the late units, on ``invoice_id``)."""
    customer_id = sub.customer_id
    marks = dict(uow.conn.execute(
        select(usage_late_marks.c.event_name, usage_late_marks.c.earliest_us).where(
            usage_late_marks.c.environment == uow.environment,
            usage_late_marks.c.customer_id == customer_id,
        )
    ).all())
    if not marks:
        return []
    tl = terms.timeline
    billed_through = sub.billed_through
    lines: list[LineDraft] = []
    consumed: set[str] = set()
    for key in tl.keys():
        for seg in tl.segments:
            item = seg.priced.get(key)
            if item is not None:
                break
        price = item["price"] if item else None
        if price is None or price.get("fee_type") != "metered" or not price.get("metric_ids"):
            continue
        metric_id = price["metric_ids"][0]
        metric = metric_rows.get(metric_id)
        if metric is None or metric["event_name"] not in marks:
            continue
        consumed.add(metric["event_name"])
        months = Interval(price["billing_interval"]).months
        since = day(instant_of(marks[metric["event_name"]]))
        lines += _reprice(uow, sub, key, metric, months, since, billed_through, terms,
                          invoice_id)
    if consumed:
        uow.conn.execute(delete(usage_late_marks).where(
            usage_late_marks.c.environment == uow.environment,
            usage_late_marks.c.customer_id == customer_id,
            usage_late_marks.c.event_name.in_(sorted(consumed)),
        ))
    return lines


def _reprice(uow: UnitOfWork, sub: Subscription, key: ItemKey, metric: Mapping,
             months: int, since: date, billed_through: datetime | None,
             terms: Terms, invoice_id: str) -> list[LineDraft]:
    """Re-measure every invoiced period of the item from ``since`` on, each as its boundary
    billed it (``arrears_slot``: the stub before the anchor, the trial, the item's days and the
    escalated price come from there). What was billed is compared as measured: the invoiced
    quantity plus the unit credits that covered part of it; late units are covered by unit
    credits still left before they are charged."""
    if billed_through is None:
        return []
    tl = terms.timeline
    bundle_id, product_id = key
    cycle = Cycle(tl.anchor, months)
    k = cycle.index(max(since, tl.contract_start))
    out: list[LineDraft] = []
    while True:
        end = cycle.nth(k).end
        k += 1
        if midnight(end) > billed_through:
            break
        if end <= since:
            continue
        slot = arrears_slot(terms, key, end)
        windows = [w for w in slot.windows if w.metric_id == metric["id"]] if slot else []
        if slot is None or not windows:
            continue  # nothing of this item's usage was measured for that period
        start = max(slot.basis.start, tl.contract_start)  # the period its usage line shows
        found = _billed_quantity(uow, sub.id, product_id, metric["id"], start)
        if found is None:
            continue  # that period's usage was never invoiced for this item
        billed, credited = found
        claimed = owners.claims(uow.conn, uow.environment,
                                [(sub.id, sub.customer_id, metric["id"])])[(sub.id, metric["id"])]
        window = CustomerWindow(sub.customer_id, windows[0].start, windows[0].end, sub.id,
                                claimed)
        actual = aggregate_windows(uow.conn, uow.environment, metric, [window])[window] or ZERO
        late = actual - (billed + credited)
        if late == 0:
            continue
        covered = credits.apply_units(uow, sub.customer_id, metric["id"], late, invoice_id)

        def amount(quantity: Decimal, slot: Slot = slot) -> Decimal:
            return usage_amount(terms, slot, {metric["id"]: quantity})

        difference = round_money(amount(billed + late - covered) - amount(billed),
                                 terms.currency)
        details = {"late_usage": True, "billed_quantity": format(billed, "f"),
                   "actual_quantity": format(actual, "f")}
        if covered:
            details["unit_credits_applied"] = format(covered, "f")
        out.append(LineDraft(  # quantity: the late units charged, as on a usage line
            kind="adjustment", amount=difference, product_id=product_id, bundle_id=bundle_id,
            metric_id=metric["id"], quantity=late - covered, period=(start, end),
            description=f"Late usage adjustment ({start.isoformat()} – {end.isoformat()})",
            details=details,
        ))
    return out


def _billed_quantity(uow: UnitOfWork, sub_id: str, product_id: str, metric_id: str,
                     period_start: Any) -> tuple[Decimal, Decimal] | None:
    """(units charged, units covered by unit credits) on the item's lines for the period."""
    rows = uow.conn.execute(
        select(invoice_lines.c.quantity, invoice_lines.c.details)
        .join(invoices, (invoices.c.environment == invoice_lines.c.environment)
              & (invoices.c.id == invoice_lines.c.invoice_id))
        .where(
            invoices.c.environment == uow.environment,
            invoices.c.subscription_id == sub_id,
            invoices.c.status != "void",
            invoice_lines.c.product_id == product_id,
            invoice_lines.c.metric_id == metric_id,
            invoice_lines.c.period_start == period_start,
            invoice_lines.c.kind.in_(("usage", "overage", "adjustment")),
        )
    ).all()
    if not rows:
        return None
    return (sum((q or ZERO for q, _ in rows), ZERO),
            sum((Decimal(d.get("unit_credits_applied") or 0) for _, d in rows), ZERO))


def usage_through(windows: Iterable[UsageWindow]) -> datetime | None:
    ends = [w.end for w in windows]
    return max(ends, default=None)
