"""Revenue reports: MRR, ARR, active subscriptions, revenue and MRR movements per month, and the
open invoice balances (``GET /reports/mrr`` and the dashboard's Home, the same functions).

What counts (the README's Reports section says it for users):
- A subscription's MRR at an instant is the MRR of its version in force then (the published
  version with the latest ``effective_at`` before it; ``subscription_versions.mrr``, what
  ``kassa.domain.approvals.monthly_recurring`` makes of the items: recurring fixed-fee prices
  spread per month; usage and one-off charges count zero), while it is live: activated, and not
  ended (``canceled_at``) yet. A paused subscription keeps its MRR.
- MRR "at the end of a month" is the state just before the next month begins; the current
  month's is the state now. Each month's movements compare every subscription's MRR at the end
  of the month before with its MRR at the end of this one: new (none before), churned (none
  after), expansion or contraction (the difference), so end = start + new + expansion −
  contraction − churned, exactly, in each currency.
- Revenue is the total of the invoices issued in the month (by ``issue_date``), voided and
  unissued ones left out, wallet top-ups too (they are prepayments: the invoices they later pay
  count); usage and one-off charges count here.
- Every figure is per currency; each month also has ``settlement``: the figures of all
  currencies converted into the settlement currency (Settings → Currencies) at the rate of the
  month's last day (or today), each currency's unrounded figures times its rate, rounded once,
  with the ``rates`` used and the currencies left ``unconverted`` for want of a rate.

All of it is read from rollups kept in step by the writers of invoices, subscriptions and
versions (``kassa.store.invoice_rollups``, ``kassa.store.mrr_rollup``): revenue and open
balances from sums per day, MRR and active subscriptions at an instant from the day sums of
MRR segments (a version's stretch in force), and a month's movements from the segments of the
subscriptions whose MRR changed in it, grouped by distinct MRR pair. Never by reading every
subscription or invoice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select, union

from kassa.domain.contracts import midnight
from kassa.domain.errors import InvalidRequest
from kassa.domain.money import round_money
from kassa.domain.fx import FxRateMissing
from kassa.services import environment_settings, fx
from kassa.services.context import Ctx
from kassa.services.serialize import iso_date, money, rfc3339
from kassa.store.tables import (
    mrr_days,
    mrr_segments,
    receivable_days,
    revenue_days,
    subscriptions,
)

MAX_MONTHS = 36
INTERVALS = ("month",)
MOVEMENTS = ("new", "expansion", "contraction", "churned")
_TICK = timedelta(microseconds=1)  # "up to and including now" as "before now + 1 µs"


@dataclass
class Figures:
    """One month's figures in one currency, unrounded until ``view``."""

    mrr: Decimal = Decimal(0)
    active: int = 0
    revenue: Decimal = Decimal(0)
    moves: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(MOVEMENTS, Decimal(0)))

    def view(self, currency: str) -> dict[str, Any]:
        def rounded(amount: Decimal) -> str:
            return money(round_money(amount, currency))

        return {"currency": currency, "mrr": rounded(self.mrr), "arr": rounded(self.mrr * 12),
                "active_subscriptions": self.active, "revenue": rounded(self.revenue),
                **{f"{name}_mrr": rounded(self.moves[name]) for name in MOVEMENTS}}


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def mrr_report(ctx: Ctx, start: date, end: date, interval: str = "month") -> dict[str, Any]:
    """``GET /reports/mrr``: each calendar month from ``start``'s to ``end``'s (the current
    month as of now, none after it), and the balances of the invoices issued by the end."""
    if interval not in INTERVALS:
        raise InvalidRequest("interval can only be month.", field="interval")
    if end < start:
        raise InvalidRequest("to must be on or after from.", field="to")
    with ctx.uow(read_only=True) as uow:
        now = uow.now
        if month_start(start) > now.date():
            raise InvalidRequest("from is after the current month: there is nothing to report yet.",
                                 field="from")
        last = min(month_start(end), month_start(now.date()))
        months = _months(month_start(start), last)
        if len(months) > MAX_MONTHS:
            raise InvalidRequest(f"A report covers at most {MAX_MONTHS} months.", field="to")
        data, raw = _monthly(uow.conn, uow.environment, months, now)
        settlement = _settlement_currency(uow)
        rates = fx.Rates.of(uow)
        for month, figures in zip(data, raw, strict=True):
            month["settlement"] = settled(rates, settlement, figures, _as_of(month))
        upto = min(end, now.date())
        balances = open_balances(uow.conn, uow.environment, upto, now.date())
    return {"interval": interval, "from": iso_date(start), "to": iso_date(end),
            "settlement_currency": settlement, "data": data, "balances": balances,
            "balances_as_of": rfc3339(now)}


def _settlement_currency(uow: Any) -> str:
    return environment_settings.currencies(
        uow.conn, uow.environment, uow.settings.default_currency).settlement_currency


def _as_of(month: Mapping[str, Any]) -> date:
    """The day a month's figures stand at: its last day, or today for the current month."""
    return min(date.fromisoformat(month["end"]), date.fromisoformat(month["as_of"][:10]))


def settled(rates: fx.Rates, currency: str, figures: Mapping[str, Figures],
            on: date) -> dict[str, Any]:
    """The month's figures of every currency in ``currency``: each currency's unrounded
    figures times its rate on ``on`` (``kassa.services.fx.Rates``), added, rounded once; the
    rates used, and the currencies without one (left out of the sums)."""
    total = Figures()
    used, unconverted = [], []
    for code in sorted(figures):
        f = figures[code]
        if code == currency:
            rate = Decimal(1)
        else:
            try:
                conversion = rates.conversion(code, currency, on)
            except FxRateMissing:
                unconverted.append(code)
                continue
            rate = conversion.rate
            used.append({"currency": code, "rate": format(rate, "f"),
                         "rate_date": iso_date(conversion.rate_date), "via": conversion.via})
        total.mrr += f.mrr * rate
        total.active += f.active
        total.revenue += f.revenue * rate
        for name in MOVEMENTS:
            total.moves[name] += f.moves[name] * rate
    return {**total.view(currency), "rates": used, "unconverted": unconverted}


def home_figures(ctx: Ctx, months: int = 12) -> dict[str, Any]:
    """What the dashboard's Home shows, the same computation as ``mrr_report``: the current
    month's figures as of now (``month``), ``figures`` and ``balances`` by currency, and
    ``revenue``, each of the last ``months`` months with its total per currency."""
    with ctx.uow(read_only=True) as uow:
        now = uow.now
        this_month = month_start(now.date())
        first = this_month
        for _ in range(months - 1):
            first = month_start(first - timedelta(days=1))
        revenue = _revenue(uow.conn, uow.environment, first, next_month(this_month))
        raw: list[dict[str, Figures]] = []
        current = _month(uow.conn, uow.environment, this_month, now, revenue, raw)
        balances = open_balances(uow.conn, uow.environment, now.date(), now.date())
        settlement = settled(fx.Rates.of(uow), _settlement_currency(uow), raw[0], now.date())
    figures = {f["currency"]: f for f in current["currencies"]}
    owed = {b["currency"]: b for b in balances}
    currencies = sorted({c for (_, c) in revenue} | figures.keys() | owed.keys())
    return {
        "now": rfc3339(now), "month": current, "currencies": currencies,
        "settlement": settlement,
        "figures": {c: figures.get(c) or Figures().view(c) for c in currencies},
        "balances": {c: _flagged(owed.get(c) or {"currency": c, "outstanding": money(
            round_money(Decimal(0), c)), "overdue": money(round_money(Decimal(0), c))})
            for c in currencies},
        "revenue": [{"month": m.strftime("%Y-%m"), "currencies": {
            c: money(round_money(revenue.get((m, c), Decimal(0)), c)) for c in currencies}}
            for m in _months(first, this_month)],
    }


def _flagged(balance: dict[str, str]) -> dict[str, Any]:
    """A balance with ``late``: whether any of it is overdue."""
    return {**balance, "late": Decimal(balance["overdue"]) > 0}


def monthly_figures(conn: Connection, environment: str, months: list[date],
                    now: datetime) -> list[dict[str, Any]]:
    return _monthly(conn, environment, months, now)[0]


def _monthly(conn: Connection, environment: str, months: list[date], now: datetime,
             ) -> tuple[list[dict[str, Any]], list[dict[str, Figures]]]:
    """``monthly_figures``, and each month's unrounded figures by currency."""
    revenue = _revenue(conn, environment, months[0], next_month(months[-1]))
    raw: list[dict[str, Figures]] = []
    data = [_month(conn, environment, m, now, revenue, raw) for m in months]
    # Every month lists the same currencies (those any month of the report has), zeros included.
    seen = sorted({f["currency"] for month in data for f in month["currencies"]})
    for month in data:
        have = {f["currency"] for f in month["currencies"]}
        month["currencies"] = sorted(
            month["currencies"] + [Figures().view(c) for c in seen if c not in have],
            key=lambda f: f["currency"])
    return data, raw


def _months(first: date, last: date) -> list[date]:
    months = []
    while first <= last:
        months.append(first)
        first = next_month(first)
    return months


def _month(conn: Connection, environment: str, first: date, now: datetime,
           revenue: dict[tuple[date, str], Decimal],
           raw: list[dict[str, Figures]] | None = None) -> dict[str, Any]:
    """One month: the movements from its start to its end (or now), its revenue."""
    ends = next_month(first)
    at = min(midnight(ends), now + _TICK)
    figures: dict[str, Figures] = defaultdict(Figures)
    for currency, (mrr, active) in _mrr_at(conn, environment, at).items():
        figures[currency].mrr += mrr
        figures[currency].active += active
    for currency, before, after, count in _mrr_pairs(conn, environment, midnight(first), at):
        f = figures[currency]
        if before is None and after is not None:
            f.moves["new"] += after * count
        elif after is None and before is not None:
            f.moves["churned"] += before * count
        elif before is not None and after is not None and after != before:
            f.moves["expansion" if after > before else "contraction"] += abs(after - before) * count
    for (month, currency), amount in revenue.items():
        if month == first:
            figures[currency].revenue += amount
    if raw is not None:
        raw.append(dict(figures))
    return {"month": first.strftime("%Y-%m"), "start": iso_date(first),
            "end": iso_date(ends - timedelta(days=1)), "as_of": rfc3339(min(midnight(ends), now)),
            "active_subscriptions": sum(f.active for f in figures.values()),
            "currencies": [figures[c].view(c) for c in sorted(figures)]}


def _mrr_at(conn: Connection, environment: str, at: datetime) -> dict[str, tuple[Decimal, int]]:
    """``{currency: (MRR, subscriptions)}`` in force just before ``at``: the day sums of the
    segments that started less those that ended before ``at``'s day, then ``at``'s day's own
    segments up to ``at`` (``kassa.store.mrr_rollup``); currencies with none left out."""
    d, g = mrr_days.c, mrr_segments.c
    sums: dict[str, list[Any]] = defaultdict(lambda: [Decimal(0), 0])
    day_starts = midnight(at.date())
    rows = conn.execute(select(d.currency, d.mrr, d["count"]).where(
        d.environment == environment, d.day < at.date())).all()
    if at > day_starts:  # the day's own, up to at
        rows += [(c, m, 1) for c, m in conn.execute(select(g.currency, g.mrr).where(
            g.environment == environment, g.starts >= day_starts, g.starts < at))]
        rows += [(c, -m, -1) for c, m in conn.execute(select(g.currency, g.mrr).where(
            g.environment == environment, g.ends >= day_starts, g.ends < at))]
    for currency, mrr, count in rows:
        sums[currency][0] += mrr
        sums[currency][1] += count
    return {c: (mrr, count) for c, (mrr, count) in sums.items() if count}


def _mrr_pairs(conn: Connection, environment: str, before: datetime,
               after: datetime) -> list[tuple[str, Decimal | None, Decimal | None, int]]:
    """``(currency, MRR just before `before`, MRR just before `after`, how many)`` over the
    subscriptions live at either instant whose MRR may differ between them (a segment starts or
    ends in [before, after)), grouped by those values (None: not live then)."""
    g = mrr_segments.c
    changed = union(*(select(g.subscription_id).where(g.environment == environment,
                                                      edge >= before, edge < after)
                      for edge in (g.starts, g.ends))).subquery()

    def in_force(at: datetime) -> Any:
        return and_(g.starts < at, or_(g.ends.is_(None), g.ends >= at))

    per_sub = (
        select(g.currency,
               func.max(case((in_force(before), g.mrr))).label("before"),
               func.max(case((in_force(after), g.mrr))).label("after"))
        .where(g.environment == environment,
               g.subscription_id.in_(select(changed.c.subscription_id)),
               or_(in_force(before), in_force(after)))
        .group_by(g.subscription_id, g.currency)
        .subquery()
    )
    rows = conn.execute(
        select(per_sub.c.currency, per_sub.c.before, per_sub.c.after, func.count())
        .group_by(per_sub.c.currency, per_sub.c.before, per_sub.c.after)
    ).all()
    return [(c, _decimal(b), _decimal(a), n) for c, b, a, n in rows]


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _revenue(conn: Connection, environment: str, first: date,
             ends: date) -> dict[tuple[date, str], Decimal]:
    """``{(month, currency): total}`` of the invoices issued in [first, ends) that count as
    revenue, from their day sums (``kassa.store.invoice_rollups``)."""
    r = revenue_days.c
    rows = conn.execute(select(r.day, r.currency, r.total).where(
        r.environment == environment, r.day >= first, r.day < ends, r["count"] > 0))
    found: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    for day, currency, total in rows:
        found[(month_start(day), currency)] += total
    return found


def open_balances(conn: Connection, environment: str, issued_by: date,
                  today: date) -> list[dict[str, str]]:
    """Per currency, what the open invoices issued on or before ``issued_by`` still ask for
    (``outstanding``) and the part of it past its due date (``overdue``), as they stand now
    (their sums per issue and due day, ``kassa.store.invoice_rollups``)."""
    o = receivable_days.c
    rows = conn.execute(select(o.currency, o.due_date, o.amount_due).where(
        o.environment == environment, o.issue_date <= issued_by, o["count"] > 0))
    found: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"outstanding": Decimal(0), "overdue": Decimal(0)})
    for currency, due_date, amount in rows:
        found[currency]["outstanding"] += amount
        if due_date < today:  # never NO_DUE_DATE: an invoice without one is never late
            found[currency]["overdue"] += amount
    return [{"currency": c, "outstanding": money(round_money(found[c]["outstanding"], c)),
             "overdue": money(round_money(found[c]["overdue"], c))} for c in sorted(found)]


# The documented cancellation reasons (kassa.api.schemas.subscriptions.CancelReason), in order.
CANCEL_REASONS = ("no_longer_required", "moving_provider", "pricing", "support", "features",
                  "upgraded", "other")


def cancellation_report(ctx: Ctx, start: date, end: date) -> dict[str, Any]:
    """``GET /reports/cancellations``: per calendar month from ``start``'s to ``end``'s, the
    subscriptions that ended in it (by ``canceled_at``; a scheduled cancellation counts when it
    takes effect), per reason, with the MRR each brought when it ended (its last version's, from
    the MRR segments: what churned). Subscriptions that never started are left out."""
    if end < start:
        raise InvalidRequest("to must be on or after from.", field="to")
    months = _months(month_start(start), month_start(end))
    if len(months) > MAX_MONTHS:
        raise InvalidRequest(f"A report covers at most {MAX_MONTHS} months.", field="to")
    lo, hi = midnight(months[0]), midnight(next_month(months[-1]))
    with ctx.uow(read_only=True) as uow:
        rows = uow.conn.execute(
            select(subscriptions.c.canceled_at, subscriptions.c.cancellation,
                   subscriptions.c.currency, mrr_segments.c.mrr)
            .select_from(subscriptions.outerjoin(mrr_segments, and_(
                mrr_segments.c.environment == subscriptions.c.environment,
                mrr_segments.c.subscription_id == subscriptions.c.id,
                mrr_segments.c.ends == subscriptions.c.canceled_at)))
            .where(subscriptions.c.environment == uow.environment,
                   subscriptions.c.status == "canceled",
                   subscriptions.c.activated_at.is_not(None),
                   subscriptions.c.canceled_at >= lo, subscriptions.c.canceled_at < hi)
        ).all()
    counts: dict[tuple[date, str], int] = defaultdict(int)
    lost: dict[tuple[date, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for canceled_at, cancellation, currency, mrr in rows:
        reason = (cancellation or {}).get("reason") or "other"
        reason = reason if reason in CANCEL_REASONS else "other"
        key = (month_start(canceled_at.date()), reason)
        counts[key] += 1
        if mrr:
            lost[key][currency] += Decimal(mrr)

    def amounts(by_currency: dict[str, Decimal]) -> list[dict[str, str]]:
        return [{"currency": c, "amount": money(round_money(a, c))}
                for c, a in sorted(by_currency.items()) if a]

    data = []
    for first in months:
        reasons = [{"reason": r, "canceled": counts[(first, r)],
                    "lost_mrr": amounts(lost[(first, r)])} for r in CANCEL_REASONS]
        total: dict[str, Decimal] = defaultdict(Decimal)
        for r in CANCEL_REASONS:
            for currency, amount in lost[(first, r)].items():
                total[currency] += amount
        data.append({"month": first.strftime("%Y-%m"), "start": iso_date(first),
                     "end": iso_date(next_month(first)),
                     "canceled": sum(counts[(first, r)] for r in CANCEL_REASONS),
                     "lost_mrr": amounts(total), "reasons": reasons})
    return {"from": iso_date(start), "to": iso_date(end), "data": data}
