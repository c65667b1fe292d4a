"""The revenue reports' figures computed straight from the base tables, as
``kassa.services.reports`` did before its rollups (migration 0014): the reference the rollup-based
figures must equal exactly (tests/integration/test_report_rollups.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select

from kassa.domain.contracts import midnight
from kassa.domain.money import round_money
from kassa.services.reports import _TICK, Figures, next_month
from kassa.services.serialize import iso_date, money, rfc3339
from kassa.store.decimal_sums import DecimalSum
from kassa.store.invoice_rollups import OPEN_STATUSES, REVENUE_STATUSES
from kassa.store.tables import invoices, subscription_versions, subscriptions


def monthly_figures(conn: Connection, environment: str, months: list[date],
                    now: datetime) -> list[dict[str, Any]]:
    revenue = _revenue(conn, environment, months[0], next_month(months[-1]))
    data = [_month(conn, environment, m, now, revenue) for m in months]
    seen = sorted({f["currency"] for month in data for f in month["currencies"]})
    for month in data:
        have = {f["currency"] for f in month["currencies"]}
        month["currencies"] = sorted(
            month["currencies"] + [Figures().view(c) for c in seen if c not in have],
            key=lambda f: f["currency"])
    return data


def _month(conn: Connection, environment: str, first: date, now: datetime,
           revenue: dict[tuple[date, str], Decimal]) -> dict[str, Any]:
    ends = next_month(first)
    at = min(midnight(ends), now + _TICK)
    figures: dict[str, Figures] = defaultdict(Figures)
    for currency, before, after, count in _mrr_pairs(conn, environment, midnight(first), at):
        f = figures[currency]
        if after is not None:
            f.mrr += after * count
            f.active += count
        if before is None and after is not None:
            f.moves["new"] += after * count
        elif after is None and before is not None:
            f.moves["churned"] += before * count
        elif before is not None and after is not None and after != before:
            f.moves["expansion" if after > before else "contraction"] += abs(after - before) * count
    for (month, currency), amount in revenue.items():
        if month == first:
            figures[currency].revenue += amount
    return {"month": first.strftime("%Y-%m"), "start": iso_date(first),
            "end": iso_date(ends - timedelta(days=1)), "as_of": rfc3339(min(midnight(ends), now)),
            "active_subscriptions": sum(f.active for f in figures.values()),
            "currencies": [figures[c].view(c) for c in sorted(figures)]}


def _mrr_pairs(conn: Connection, environment: str, before: datetime,
               after: datetime) -> list[tuple[str, Decimal | None, Decimal | None, int]]:
    v, s = subscription_versions, subscriptions
    following = func.lead(v.c.effective_at).over(
        partition_by=v.c.subscription_id, order_by=(v.c.effective_at, v.c.number))
    segments = (
        select(v.c.subscription_id, s.c.currency, v.c.mrr, v.c.effective_at.label("starts"),
               following.label("superseded"), s.c.canceled_at)
        .select_from(v.join(s, and_(s.c.environment == v.c.environment,
                                    s.c.id == v.c.subscription_id)))
        .where(v.c.environment == environment, v.c.status == "published",
               s.c.activated_at.is_not(None), v.c.effective_at < after)
        .subquery()
    )

    def in_force(at: datetime) -> Any:
        return and_(segments.c.starts < at,
                    or_(segments.c.superseded.is_(None), segments.c.superseded >= at),
                    or_(segments.c.canceled_at.is_(None), segments.c.canceled_at >= at))

    per_sub = (
        select(segments.c.currency,
               func.max(case((in_force(before), segments.c.mrr))).label("before"),
               func.max(case((in_force(after), segments.c.mrr))).label("after"))
        .where(or_(in_force(before), in_force(after)))
        .group_by(segments.c.subscription_id, segments.c.currency)
        .subquery()
    )
    rows = conn.execute(
        select(per_sub.c.currency, per_sub.c.before, per_sub.c.after, func.count())
        .group_by(per_sub.c.currency, per_sub.c.before, per_sub.c.after)
    ).all()
    return [(c, None if b is None else Decimal(b), None if a is None else Decimal(a), n)
            for c, b, a, n in rows]


def _revenue(conn: Connection, environment: str, first: date,
             ends: date) -> dict[tuple[date, str], Decimal]:
    total = DecimalSum(conn.dialect.name, invoices.c.total)
    rows = conn.execute(
        select(invoices.c.issue_date, invoices.c.currency, *total.columns)
        .where(invoices.c.environment == environment, invoices.c.issue_date >= first,
               invoices.c.issue_date < ends, invoices.c.status.in_(REVENUE_STATUSES),
               invoices.c.kind != "top_up")
        .group_by(invoices.c.issue_date, invoices.c.currency)
    ).mappings()
    found: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        found[(row["issue_date"].replace(day=1), row["currency"])] += total.of(row)
    return found


def open_balances(conn: Connection, environment: str, issued_by: date,
                  today: date) -> list[dict[str, str]]:
    due = DecimalSum(conn.dialect.name, invoices.c.amount_due)
    late = (invoices.c.due_date < today).label("late")
    rows = conn.execute(
        select(invoices.c.currency, late, *due.columns)
        .where(invoices.c.environment == environment, invoices.c.status.in_(OPEN_STATUSES),
               invoices.c.issue_date <= issued_by)
        .group_by(invoices.c.currency, late)
    ).mappings()
    found: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"outstanding": Decimal(0), "overdue": Decimal(0)})
    for row in rows:
        amount = due.of(row)
        found[row["currency"]]["outstanding"] += amount
        if row["late"]:
            found[row["currency"]]["overdue"] += amount
    return [{"currency": c, "outstanding": money(round_money(found[c]["outstanding"], c)),
             "overdue": money(round_money(found[c]["overdue"], c))} for c in sorted(found)]
