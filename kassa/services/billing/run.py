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
from dataclasses import dataclass, replace
from functools import cached_property
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from kassa.domain.billing.boundary import Slot, UsageWindow
from kassa.domain.billing.invoice import Invoice
from kassa.domain.billing.drafts import (
    Boundary,
    Customer,
    Draft,
    DuePlan,
    Measured,
    draft,
    plan_due,
    spend_span,
)
from kassa.domain.money import ZERO
from kassa.domain.subscription import Subscription, Version
from kassa.domain.usage import UsageWindow as CustomerWindow
from kassa.ids import new_id
from kassa.services import fx
from kassa.services.billing import credits, late_usage
from kassa.services.billing import invoices as inv
from kassa.services.billing.describe import describe
from kassa.services.context import Ctx
from kassa.services.serialize import rfc3339
from kassa.services.usage import owners
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
        written = bill(uow, [Subscription.of(row) for row in uow.conn.execute(stmt).mappings()],
                       now)
        uow.commit()
    return written.events


@dataclass(frozen=True)
class Fetched:
    """What a billing run reads before planning: the subscriptions (parsed once), their
    published versions, their customers (locked until the invoices commit) and the metrics."""

    subscriptions: list[Subscription]
    versions: Mapping[str, list[Version]]
    customers: Mapping[str, Customer]
    metrics: Mapping[str, Mapping[str, Any]]

    @cached_property
    def metric_names(self) -> dict[str, str]:
        return {m: r["event_name"] for m, r in self.metrics.items()}

    @property
    def customer_ids(self) -> list[str]:
        return sorted({s.customer_id for s in self.subscriptions})


@dataclass(frozen=True)
class Billed:
    """A billed subscription's new billing instants: the last boundary billed, the next due."""

    through: datetime
    next_at: datetime | None


@dataclass(frozen=True)
class Written:
    """What a billing run wrote: the invoices, and each billed subscription's new instants."""

    invoices: list[Invoice]
    subscriptions: dict[str, Billed]

    @property
    def events(self) -> list[dict[str, Any]]:
        """What the run did, as the due-work report lists it (one entry per invoice)."""
        return [
            {"type": "invoice.created", "invoice_id": i.id, "subscription_id": i.subscription_id,
             "total": format(i.total, "f")}
            for i in self.invoices
        ]

    def billed(self, sub: Subscription) -> Subscription:
        """``sub`` with the billing instants written for it (itself when it billed nothing)."""
        new = self.subscriptions.get(sub.id)
        if new is None:
            return sub
        return sub.with_values({"billed_through": new.through, "next_billing_at": new.next_at})



def bill(uow: UnitOfWork, subs: Sequence[Subscription], now: datetime) -> Written:
    """Bill every boundary of ``subs`` due at or before ``now``, inside ``uow``."""
    if not subs:
        return Written([], {})
    fetched = fetch(uow, list(subs))
    # Prices in another currency than the subscription's: converted at each invoice date.
    rate_on = fx.Rates.of(uow).conversion if any(s.converts for s in subs) else None
    plans = [plan_due(sub, fetched.versions[sub.id], fetched.metric_names, now, rate_on)
             for sub in fetched.subscriptions]
    boundaries = [b for p in plans for b in p.boundaries]
    # Chosen now so that the unit credit consumed below names its invoice (a void gives it back).
    invoice_ids = {b.key: new_id("inv") for b in boundaries}
    measured = measure(uow, fetched, boundaries, invoice_ids)
    drafts = [draft(b, measured[b.key], fetched.customers[b.sub.customer_id])
              for b in boundaries]
    return write(uow, plans, drafts, invoice_ids)


def fetch(uow: UnitOfWork, subs: list[Subscription]) -> Fetched:
    """The published versions, customers and metrics of ``subs``: one query per table."""
    env = uow.environment
    versions: dict[str, list[Version]] = {s.id: [] for s in subs}
    for row in uow.conn.execute(
        select(subscription_versions)
        .where(subscription_versions.c.environment == env,
               among(uow.conn, subscription_versions.c.subscription_id, list(versions)),
               subscription_versions.c.status == "published")
    ).mappings():
        versions[row["subscription_id"]].append(Version.of(row))
    # The customers stay locked until the invoices commit: an ingestion batch for them waits,
    # then sees their usage invoiced and marks its events late (see usage_followups).
    customer_query = (
        select(customers.c.id, customers.c.tax_rate, customers.c.tax_exempt)
        .where(customers.c.environment == env,
               among(uow.conn, customers.c.id, sorted({s.customer_id for s in subs})))
        .order_by(customers.c.id)
    )
    if uow.dialect == "postgresql":
        customer_query = customer_query.with_for_update(of=customers)
    found = {r.id: Customer(r.id, r.tax_rate, bool(r.tax_exempt))
             for r in uow.conn.execute(customer_query)}
    metric_rows = {r["id"]: r for r in uow.conn.execute(
        select(metrics).where(metrics.c.environment == env)).mappings()}
    return Fetched(subs, versions, found, metric_rows)


def measure(uow: UnitOfWork, fetched: Fetched, boundaries: Sequence[Boundary],
            invoice_ids: Mapping[tuple[str, datetime], str]) -> dict[tuple[str, datetime], Measured]:
    """What the planned boundaries need read: usage (less the unit credits it consumes, for the
    invoice of its boundary), late-usage adjustments (consuming their marks) and earlier spend."""
    usage = aggregate(uow, fetched.metrics, boundaries)
    credited = _apply_unit_credits(uow, boundaries, usage, invoice_ids)
    late = late_usage.marked_customers(uow.conn, uow.environment, fetched.customer_ids)
    measured = {}
    for b in boundaries:
        customer_id = b.sub.customer_id
        windows = b.windows
        extra = []
        if customer_id in late:
            extra = late_usage.adjustment_lines(uow, b.sub, b.terms, b.at, fetched.metrics,
                                                invoice_ids[b.key])
        measured[b.key] = Measured(
            usage={w: usage.get((b.sub.id, w), ZERO) for w in windows},
            credited={w: credited.get((b.sub.id, w), ZERO) for w in windows},
            extra=extra,
            prior_spend=spend_before(uow, b),
        )
    return measured


def write(uow: UnitOfWork, plans: Sequence[DuePlan], priced: Sequence[Draft],
          invoice_ids: Mapping[tuple[str, datetime], str]) -> Written:
    """Store the invoices (issuing those of auto-issue subscriptions), advance the customers'
    invoiced usage and each subscription's billing instants."""
    product_names = _product_names(uow, [d.boundary for d in priced])
    usage_through: dict[str, datetime] = {}
    invoice_rows = []
    for d in priced:
        b, lines = d.boundary, d.lines
        through = late_usage.usage_through(b.windows)
        if through is not None:
            customer_id = b.sub.customer_id
            usage_through[customer_id] = max(through, usage_through.get(customer_id, through))
        if not lines:
            continue
        describe(lines, product_names, b.sub.currency)
        invoice_rows.append(inv.prepare(
            uow,
            customer_id=b.sub.customer_id,
            currency=b.sub.currency,
            kind=b.kind,
            lines=lines,
            payment_terms=b.sub.payment_terms,
            auto_pay=b.sub.auto_pay,
            subscription_id=b.sub.id,
            billing_key=f"{b.sub.id}:{rfc3339(b.at)}",
            invoice_id=invoice_ids[b.key],
            fx=b.terms.fx,
        ))
    stored = inv.store(uow, invoice_rows)
    late_usage.advance_billed_through(uow, usage_through)
    auto_issue = {p.sub.id for p in plans if p.sub.auto_issue}
    to_issue = [i for i in stored if i.subscription_id in auto_issue]
    if to_issue:
        inv.issue_many(uow, to_issue)
    billed = {p.sub.id: Billed(p.boundaries[-1].at, p.following) for p in plans if p.boundaries}
    if billed:
        uow.conn.execute(
            update(subscriptions)
            .where(subscriptions.c.environment == uow.environment,
                   subscriptions.c.id == bindparam("sid"))
            .values(billed_through=bindparam("through"), next_billing_at=bindparam("nxt")),
            [{"sid": sid, "through": b.through, "nxt": b.next_at} for sid, b in billed.items()],
        )
    return Written(stored, billed)


def aggregate(uow: UnitOfWork, metric_rows: Mapping[str, Any],
              boundaries: Sequence[Boundary]) -> dict[tuple[str, UsageWindow], Decimal]:
    """Usage for every window of the chunk, keyed by (subscription id, window): the events
    billed to that subscription (those naming it, and those naming none in the stretches it
    owns: ``kassa.services.usage.owners``), so two subscriptions of one customer pricing one
    metric never bill the same event. One set-based query per metric."""
    owned = owners.claims(uow.conn, uow.environment, {
        (b.sub.id, b.sub.customer_id, w.metric_id) for b in boundaries for w in b.windows})
    wanted: dict[str, set[CustomerWindow]] = defaultdict(set)
    for b in boundaries:
        for w in b.windows:
            wanted[w.metric_id].add(CustomerWindow(
                b.sub.customer_id, w.start, w.end, b.sub.id, owned[(b.sub.id, w.metric_id)]))
    found: dict[tuple[str, UsageWindow], Decimal] = {}
    for metric_id, windows in wanted.items():
        metric = metric_rows.get(metric_id)
        if metric is None:
            continue
        values = aggregate_windows(uow.conn, uow.environment, metric, sorted(windows, key=_key))
        for cw, value in values.items():
            found[(cw.subscription_id, UsageWindow(metric_id, cw.start, cw.end))] = (  # type: ignore[index]
                ZERO if value is None else value
            )
    return found


def _apply_unit_credits(uow: UnitOfWork, boundaries: Sequence[Boundary], usage: dict,
                        invoice_ids: Mapping[tuple[str, datetime], str]) -> dict:
    """Unit credits reduce the billed usage of their metric (consumed as it is billed, for the
    invoice of that boundary)."""
    customers_with = credits.has_unit_credit(uow.conn, uow.environment,
                                             sorted({b.sub.customer_id for b in boundaries}))
    credited: dict = {}
    for b in boundaries:
        customer_id = b.sub.customer_id
        if customer_id not in customers_with:
            continue
        for w in sorted(b.windows, key=lambda w: (w.start, w.metric_id)):
            key = (b.sub.id, w)
            value = usage.get(key, ZERO)
            used = credits.apply_units(uow, customer_id, w.metric_id, value, invoice_ids[b.key])
            if used:
                usage[key] = value - used
                credited[key] = used
    return credited


def _key(w: CustomerWindow) -> tuple:
    return (w.customer_id, w.start, w.end, w.subscription_id or "")


def product_names(uow: UnitOfWork, slots: Sequence[Slot]) -> dict[str, Any]:
    """Name and unit labels of the products ``slots`` charge (for line descriptions)."""
    wanted = {slot.key[1] for slot in slots}
    if not wanted:
        return {}
    return {
        r["id"]: r for r in uow.conn.execute(
            select(products.c.id, products.c.name, products.c.unit_label_singular,
                   products.c.unit_label_plural)
            .where(products.c.environment == uow.environment, products.c.id.in_(wanted))
        ).mappings()
    }


def _product_names(uow: UnitOfWork, boundaries: Sequence[Boundary]) -> dict[str, Any]:
    return product_names(uow, [slot for b in boundaries for slot in b.slots])


def spend_before(uow: UnitOfWork, boundary: Boundary) -> Decimal:
    """What the subscription's invoices charged earlier in the spend period ending at
    ``boundary`` (zero when none ends there)."""
    span = spend_span(boundary.sub, boundary.terms, boundary.at)
    if span is None:
        return ZERO
    sub_id = boundary.sub.id
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
