"""The billing run: every subscription whose next billing instant has come gets one invoice per
boundary, built from its versions, pauses and usage.

Set-based: subscriptions are billed in chunks; their versions, customers, metrics and usage are
loaded with one query per table (usage: one aggregate query per metric for the whole chunk), and
invoices are written together. Idempotent by construction: each invoice carries the key
``<subscription>:<boundary>``, unique per environment, so a re-run or a crash-and-restart never
bills a boundary twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from kassa.domain.billing.boundary import (
    LineDraft,
    Slot,
    Terms,
    UsageWindow,
    plan_boundary,
    windows_of,
)
from kassa.domain.billing.lines import bill_boundary
from kassa.domain.billing.timeline import day
from kassa.domain.billing.totals import charges_of, discount_line, spend_lines, tax_line
from kassa.domain.money import ZERO
from kassa.domain.periods import Interval, add_months, months_between
from kassa.domain.usage import UsageWindow as CustomerWindow
from kassa.ids import new_id
from kassa.services.billing import credits, late_usage
from kassa.services.billing import invoices as inv
from kassa.services.billing.describe import describe
from kassa.services.billing.terms import following_boundary, terms_of
from kassa.services.context import Ctx
from kassa.services.serialize import rfc3339
from kassa.services.usage.aggregation import aggregate_windows
from kassa.store.engine import reader
from kassa.store.queries import among
from kassa.store.tables import customers, invoice_lines, invoices, metrics, products
from kassa.store.tables import subscription_versions, subscriptions
from kassa.store.uow import UnitOfWork

log = logging.getLogger("kassa.billing")


def next_due(conn: Connection, environment: str) -> datetime | None:
    return conn.execute(
        select(func.min(subscriptions.c.next_billing_at)).where(
            subscriptions.c.environment == environment
        )
    ).scalar_one()


def run(ctx: Ctx) -> list[dict[str, Any]]:
    """Bill everything due at ``ctx.clock.now()``; a failing subscription is logged and left
    for the next run, the others go on."""
    now = ctx.clock.now()
    ran: list[dict[str, Any]] = []
    skip: set[str] = set()
    while True:
        with reader(ctx.engine) as conn:
            query = (
                select(subscriptions.c.id)
                .where(subscriptions.c.environment == ctx.environment,
                       subscriptions.c.next_billing_at <= now)
                .order_by(subscriptions.c.next_billing_at, subscriptions.c.seq)
                .limit(ctx.settings.billing_chunk_size)
            )
            if skip:
                query = query.where(~among(conn, subscriptions.c.id, sorted(skip)))
            ids = list(conn.execute(query).scalars())
        if not ids:
            return ran
        try:
            ran += _bill_ids(ctx, ids, now)
        except Exception:
            log.exception("billing chunk failed; billing its subscriptions one by one")
            for sub_id in ids:
                try:
                    ran += _bill_ids(ctx, [sub_id], now)
                except Exception:
                    log.exception("billing subscription %s failed", sub_id)
                    skip.add(sub_id)
        # Subscriptions held by another worker (SKIP LOCKED) are not retried in this run.
        with reader(ctx.engine) as conn:
            still = set(conn.execute(
                select(subscriptions.c.id).where(
                    subscriptions.c.environment == ctx.environment,
                    among(conn, subscriptions.c.id, ids),
                    subscriptions.c.next_billing_at <= now,
                )
            ).scalars())
        skip |= still


def _bill_ids(ctx: Ctx, ids: Sequence[str], now: datetime) -> list[dict[str, Any]]:
    # Auto-pay invoices are collected by the job runner (collect jobs), not chunk by chunk here.
    with replace(ctx, jobs=None).uow() as uow:
        stmt = select(subscriptions).where(
            subscriptions.c.environment == uow.environment,
            among(uow.conn, subscriptions.c.id, list(ids)),
            subscriptions.c.next_billing_at <= now,
        ).order_by(subscriptions.c.id)
        if uow.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        subs = [dict(r) for r in uow.conn.execute(stmt).mappings()]
        ran = bill(uow, subs, now)
        uow.commit()
    return ran


def invoice_kind(terms: Terms, at: datetime) -> str:
    """``final`` for the boundary where the subscription ends, else ``subscription``."""
    ends_at = terms.timeline.ends_at
    return "final" if ends_at is not None and at >= ends_at else "subscription"


def bill(uow: UnitOfWork, subs: Sequence[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Bill every boundary of ``subs`` due at or before ``now``, inside ``uow``."""
    if not subs:
        return []
    env = uow.environment
    sub_ids = [s["id"] for s in subs]
    versions: dict[str, list] = defaultdict(list)
    for row in uow.conn.execute(
        select(subscription_versions)
        .where(subscription_versions.c.environment == env,
               among(uow.conn, subscription_versions.c.subscription_id, sub_ids),
               subscription_versions.c.status == "published")
    ).mappings():
        versions[row["subscription_id"]].append(row)
    # The customers stay locked until the invoices commit: an ingestion batch for them waits,
    # then sees their usage invoiced and marks its events late (see usage_followups).
    customer_query = (
        select(customers.c.id, customers.c.tax_rate, customers.c.tax_exempt)
        .where(customers.c.environment == env,
               among(uow.conn, customers.c.id, sorted({s["customer_id"] for s in subs})))
        .order_by(customers.c.id)
    )
    if uow.dialect == "postgresql":
        customer_query = customer_query.with_for_update(of=customers)
    customer_rows = {r["id"]: r for r in uow.conn.execute(customer_query).mappings()}
    metric_rows = {r["id"]: r for r in uow.conn.execute(
        select(metrics).where(metrics.c.environment == env)).mappings()}
    names = {m: r["event_name"] for m, r in metric_rows.items()}

    work: list[tuple[dict, Terms, datetime, list[Slot]]] = []
    following: dict[str, datetime | None] = {}
    for sub in subs:
        terms = terms_of(sub, versions[sub["id"]], names)
        at = sub["next_billing_at"]
        while at is not None and at <= now:
            work.append((sub, terms, at, plan_boundary(terms, at)))
            at = following_boundary(terms, at)
        following[sub["id"]] = at

    usage = _aggregate(uow, metric_rows, work)
    # Chosen now so that the unit credit consumed below names its invoice (a void gives it back).
    invoice_ids = {(sub["id"], at): new_id("inv") for sub, _, at, _ in work}
    unit_credited = _apply_unit_credits(uow, work, usage, invoice_ids)
    late = late_usage.marked_customers(uow.conn, env, sorted({s["customer_id"] for s in subs}))
    usage_through: dict[str, datetime] = {}
    product_names = _product_names(uow, work)
    drafts, last_at = [], {}
    for sub, terms, at, slots in work:
        values = {w: usage.get((sub["customer_id"], w), ZERO) for w in windows_of(slots)}
        extra = []
        if sub["customer_id"] in late:
            extra = late_usage.adjustment_lines(uow, sub, terms, at, metric_rows,
                                                invoice_ids[(sub["id"], at)])
        lines = _compose(uow, sub, terms, at, slots, values, customer_rows[sub["customer_id"]],
                         extra)
        through = late_usage.usage_through(windows_of(slots))
        if through is not None:
            usage_through[sub["customer_id"]] = max(through, usage_through.get(sub["customer_id"], through))
        mark_unit_credits(lines, {w: unit_credited.get((sub["customer_id"], w), ZERO)
                                  for w in windows_of(slots)})
        last_at[sub["id"]] = at
        if not lines:
            continue
        describe(lines, product_names, sub["currency"])
        drafts.append(inv.prepare(
            uow,
            customer_id=sub["customer_id"],
            currency=sub["currency"],
            kind=invoice_kind(terms, at),
            lines=lines,
            payment_terms=sub["billing"].get("payment_terms", "due_on_receipt"),
            auto_pay=bool(sub["billing"].get("auto_pay_invoices")),
            subscription_id=sub["id"],
            billing_key=f"{sub['id']}:{rfc3339(at)}",
            invoice_id=invoice_ids[(sub["id"], at)],
        ))
    written = inv.store(uow, drafts)
    late_usage.advance_billed_through(uow, usage_through)
    by_sub = {s["id"]: s for s in subs}
    to_issue = [i for i in written
                if by_sub[i["subscription_id"]]["billing"].get("auto_issue_invoices", True)]
    if to_issue:
        inv.issue_many(uow, to_issue)
    if last_at:
        uow.conn.execute(
            update(subscriptions)
            .where(subscriptions.c.environment == env, subscriptions.c.id == bindparam("sid"))
            .values(billed_through=bindparam("through"), next_billing_at=bindparam("nxt")),
            [{"sid": s, "through": last_at[s], "nxt": following[s]} for s in last_at],
        )
    for sub in subs:
        if sub["id"] in last_at:
            sub.update(billed_through=last_at[sub["id"]], next_billing_at=following[sub["id"]])
    return [
        {"type": "invoice.created", "invoice_id": i["id"], "subscription_id": i["subscription_id"],
         "total": format(i["total"], "f")}
        for i in written
    ]


def _aggregate(uow: UnitOfWork, metric_rows: Mapping[str, Any],
               work: Sequence[tuple[dict, Terms, datetime, list[Slot]]]) -> dict:
    """Usage for every window of the chunk: one set-based query per metric."""
    wanted: dict[str, set[CustomerWindow]] = defaultdict(set)
    for sub, _, _, slots in work:
        for w in windows_of(slots):
            wanted[w.metric_id].add(CustomerWindow(sub["customer_id"], w.start, w.end))
    found: dict[tuple[str, UsageWindow], Decimal] = {}
    for metric_id, windows in wanted.items():
        metric = metric_rows.get(metric_id)
        if metric is None:
            continue
        values = aggregate_windows(uow.conn, uow.environment, metric, sorted(windows, key=_key))
        for cw, value in values.items():
            found[(cw.customer_id, UsageWindow(metric_id, cw.start, cw.end))] = (
                ZERO if value is None else value
            )
    return found


def _apply_unit_credits(uow: UnitOfWork, work: Sequence[tuple], usage: dict,
                        invoice_ids: Mapping[tuple[str, datetime], str]) -> dict:
    """Unit credits reduce the billed usage of their metric (consumed as it is billed, for the
    invoice of that boundary)."""
    customers_with = credits.has_unit_credit(uow.conn, uow.environment,
                                             sorted({sub["customer_id"] for sub, *_ in work}))
    credited: dict = {}
    for sub, _, at, slots in work:
        if sub["customer_id"] not in customers_with:
            continue
        for w in sorted(windows_of(slots), key=lambda w: (w.start, w.metric_id)):
            key = (sub["customer_id"], w)
            value = usage.get(key, ZERO)
            used = credits.apply_units(uow, sub["customer_id"], w.metric_id, value,
                                       invoice_ids[(sub["id"], at)])
            if used:
                usage[key] = value - used
                credited[key] = used
    return credited


def mark_unit_credits(lines: Sequence[LineDraft], credited: Mapping[UsageWindow, Decimal]) -> None:
    """Note on each usage (or overage) line the unit credits its metric's usage was reduced by."""
    for line in lines:
        for w, used in credited.items():
            if used and line.metric_id == w.metric_id and line.kind in ("usage", "overage"):
                line.details["unit_credits_applied"] = format(used, "f")


def _key(w: CustomerWindow) -> tuple:
    return (w.customer_id, w.start, w.end)


def _product_names(uow: UnitOfWork, work: Sequence[tuple]) -> dict[str, Any]:
    wanted = {slot.key[1] for _, _, _, slots in work for slot in slots}
    if not wanted:
        return {}
    return {
        r["id"]: r for r in uow.conn.execute(
            select(products.c.id, products.c.name, products.c.unit_label_singular,
                   products.c.unit_label_plural)
            .where(products.c.environment == uow.environment, products.c.id.in_(wanted))
        ).mappings()
    }


def _compose(uow: UnitOfWork, sub: Mapping[str, Any], terms: Terms, at: datetime,
             slots: list[Slot], usage: Mapping[UsageWindow, Decimal],
             customer: Mapping[str, Any], extra: Sequence[LineDraft] = ()) -> list[LineDraft]:
    """Charge lines (and ``extra`` ones, e.g. late usage), then the subscription discount,
    spend limits and tax."""
    currency = sub["currency"]
    lines = bill_boundary(terms, slots, usage) + list(extra)
    tl = terms.timeline
    months = max(0, months_between(tl.contract_start, day(at)))
    if lines:
        discount = discount_line(sub["discount"], charges_of(lines), months, currency)
        if discount:
            lines.append(discount)
    lines += _spend(uow, sub, terms, at, lines)
    if not lines:
        return lines
    taxable = sum((line.amount for line in lines if line.kind != "tax"), ZERO)
    tax = tax_line(taxable, customer["tax_rate"], bool(customer["tax_exempt"]), currency)
    if tax:
        lines.append(tax)
    return lines


def _spend(uow: UnitOfWork, sub: Mapping[str, Any], terms: Terms, at: datetime,
           lines: Sequence[LineDraft]) -> list[LineDraft]:
    """Minimum/maximum spend for the spend period ending at this boundary."""
    minimum, maximum = sub["minimum_spend"], sub["maximum_spend"]
    if not (minimum or maximum):
        return []
    tl = terms.timeline
    t = day(at)
    months = Interval((minimum or maximum)["period"]).months
    m = months_between(tl.anchor, t)
    if m <= 0 or m % months or add_months(tl.anchor, m) != t:
        return []
    span = (add_months(tl.anchor, m - months), t)
    inside = [ln for ln in lines if ln.period and span[0] <= ln.period[0] and ln.period[1] <= span[1]]
    spend = charges_of(inside) + sum((ln.amount for ln in inside if ln.kind == "discount"), ZERO)
    spend += _prior_spend(uow, sub["id"], span)
    return spend_lines(spend, minimum, maximum, sub["currency"], span)


def _prior_spend(uow: UnitOfWork, sub_id: str, span: tuple) -> Decimal:
    rows = uow.conn.execute(
        select(invoice_lines.c.amount)
        .join(invoices, (invoices.c.environment == invoice_lines.c.environment)
              & (invoices.c.id == invoice_lines.c.invoice_id))
        .where(invoices.c.environment == uow.environment, invoices.c.subscription_id == sub_id,
               invoices.c.status != "void",
               invoice_lines.c.kind.not_in(("tax", "minimum_spend", "maximum_spend")),
               invoice_lines.c.period_start >= span[0], invoice_lines.c.period_end <= span[1])
    ).scalars()
    return sum(rows, ZERO)
