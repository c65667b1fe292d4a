"""Dashboard benchmark: page latency with 100,000 customers, 100,000 subscriptions and 1,000,000
invoices.

Builds, in a scratch database per backend, three template subscriptions through the API
(sandbox, clock frozen at 2026-12-15 12:00 UTC; 49.00, 99.00 and 499.00 a month, billed in
advance), then copies their rows with new ids in bulk inserts, as bench/billing_run.py does:

- N customers, one subscription each (the templates' in turn), started on the 1st of one of the
  last 12 months; every 10th canceled on the 1st of a later month, every 7th upgraded (a second
  published version, at 1.5 times the price) on the 15th of a month after its start;
- 10 invoices per customer, one a month for the 10 months up to December (numbered, totals
  those of the template's price), each ``paid`` but one in 20 ``issued``, ``overdue`` or
  ``payment_failed`` (the rows the real billing writes, without their lines);
- the reports' rollups of those rows, rebuilt as migration 0014 does (the copies bypass the
  writers that keep them in step).

Then, through the real ASGI app (``kassa.bootstrap.asgi_app``, in process, with the session
cookie of a signed-in admin), it times ``--requests`` requests (after a warm-up) of: the
customer list, a customer page (a different customer each time), the invoice list filtered
by status (``overdue``), the Home page; and, as the baseline of the same run, ``GET /health``
(the app's own overhead, no query). Each answer must be 200 and hold what the seed put there:
the customer's name, the number of overdue invoices, and Home's MRR, ARR and active subscriptions
as the seed works them out (``Expected``). A table gives median and p95 in milliseconds.

    python bench/dashboard.py                                   # 100,000 customers, both backends
    python bench/dashboard.py --customers 10000 --backends sqlite
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, select, text  # noqa: E402

from bench._support import DEFAULT_PG_URL, machine_load, percentile, scratch_database  # noqa: E402
from kassa.bootstrap import asgi_app, build  # noqa: E402
from kassa.config import Settings  # noqa: E402
from kassa.services import keys, users  # noqa: E402
from kassa.services import sign_in as sessions  # noqa: E402
from kassa.store import invoice_rollups, mrr_rollup  # noqa: E402
from kassa.store.engine import make_engine  # noqa: E402
from kassa.store.migrate import upgrade  # noqa: E402
from kassa.store.tables import (  # noqa: E402
    customers,
    invoices,
    subscription_versions,
    subscriptions,
)
from kassa.web.auth import SESSION_COOKIE  # noqa: E402

NOW = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)
PRICES = [Decimal("49.00"), Decimal("99.00"), Decimal("499.00")]
INVOICES_PER_CUSTOMER = 10
CHUNK = 5000
PASSWORD = "bench password 1234"
OPEN = {0: "issued", 1: "overdue", 2: "payment_failed"}  # i % 60 // 20 for one invoice in 20


def _ok(response: Any, status: int = 200) -> dict:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.request.url}: "
                           f"{response.status_code} {response.text}")
    return response.json()


def _month(index: int) -> date:
    """The 1st of the month ``index`` months before December 2026 (0 = December)."""
    month = 12 - index
    return date(2026 + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def _instant(day: date, on: int = 1) -> datetime:
    return datetime(day.year, day.month, on, tzinfo=UTC)


def _templates(api: TestClient) -> list[str]:
    """A product and the three template subscriptions (one customer each); their ids."""
    _ok(api.post("/clock/freeze", json={"at": NOW.isoformat().replace("+00:00", "Z")}))
    _ok(api.post("/products", json={"id": "prod_platform", "name": "Platform", "fee_type": "fixed",
                                    "billing_frequency": "recurring"}), 201)
    ids = []
    for n, amount in enumerate(PRICES):
        customer = _ok(api.post("/customers", json={
            "id": f"cus_tpl_{n}", "name": f"Template {n}", "currency": "USD",
            "email": f"billing{n}@template.example"}), 201)
        sub = _ok(api.post("/subscriptions", json={
            "customer_id": customer["id"], "currency": "USD", "auto_activate": True,
            "contract": {"period_type": "monthly_rolling", "start_date": "2026-12-01"},
            "items": [{"product_id": "prod_platform", "price": {
                "type": "fixed", "billing_interval": "monthly", "fee_type": "fixed",
                "billing_direction": "advance", "billing_frequency": "recurring",
                "fixed_pricing_model": {"price_per_unit": str(amount), "units": 1}}}],
        }), 201)
        ids.append(sub["id"])
    return ids


@dataclass
class Expected:
    """What Home must show, worked out from the seed's rules (the templates included)."""

    mrr: Decimal = Decimal(0)
    active: int = 0
    overdue: int = 0  # invoices


@dataclass(frozen=True)
class Copy:
    """Customer ``i``'s story, the same in SQL (``_sql``) and here: started ``started`` months
    before December (0-11), canceled at the 1st of a later month (every 10th), upgraded to 1.5
    times the price on the 15th of the month after it started (every 7th)."""

    i: int

    @property
    def template(self) -> int:
        return self.i % 3

    @property
    def started(self) -> int:
        return self.i // 3 % 12

    @property
    def canceled(self) -> bool:
        return self.i % 10 == 9 and self.started > 0

    @property
    def upgraded(self) -> bool:
        return self.i % 7 == 6 and self.started >= 2

    @staticmethod
    def invoice_status(j: int) -> str:
        return "paid" if j % 20 else OPEN[j % 60 // 20]


class _Sql:
    """The expressions of ``Copy`` in each dialect's SQL, over the number ``n.i``."""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"

    def pad(self, expr: str) -> str:
        return f"lpad(({expr})::text, 7, '0')" if self.pg else f"printf('%07d', {expr})"

    def months_from_december(self, expr: str) -> str:
        """The 1st of December 2026 plus ``expr`` months, as a DATE."""
        if self.pg:
            return f"(date '2026-12-01' + make_interval(months => ({expr})::int))::date"
        return f"date('2026-12-01', ({expr}) || ' months')"

    def instant(self, day: str, plus_days: int = 0) -> str:
        if self.pg:
            return f"(({day}) + {plus_days})::timestamp AT TIME ZONE 'UTC'"
        return f"date({day}, '+{plus_days} days') || ' 00:00:00.000000'"

    def text(self, expr: str) -> str:
        return f"({expr})::text" if self.pg else f"({expr})"


STARTED = "(n.i / 3 % 12)"
CANCELED = f"(n.i % 10 = 9 AND {STARTED} > 0)"
UPGRADED = f"(n.i % 7 = 6 AND {STARTED} >= 2)"


def _insert_select(conn: Any, table: Any, template_where: str, values: dict[str, str],
                   count: int, extra_from: str = "") -> None:
    """INSERT INTO table SELECT, a row per ``n.i`` < ``count`` copied from the template row
    ``t`` (``template_where``), the ``values`` expressions replacing its columns."""
    columns = [c.name for c in table.columns if c.name != "seq"]
    chosen = ", ".join(values.get(c, f"t.{c}") for c in columns)
    began = time.perf_counter()
    numbers = (f"SELECT generate_series(0, {count - 1}) AS i" if conn.dialect.name == "postgresql"
               else f"SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {count - 1}")
    # The template rows first (a handful), so the numbers join them, not the other way round.
    conn.execute(text(
        f"WITH RECURSIVE n(i) AS ({numbers}), t AS MATERIALIZED (SELECT * FROM {table.name}) "
        f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {chosen} "
        f"FROM n JOIN t ON {template_where} {extra_from}"))
    print(f"  {table.name}: {time.perf_counter() - began:.1f} s")


def _seed(engine: Engine, template_ids: list[str], n: int) -> Expected:
    """Copies of the templates' rows up to ``n`` customers and subscriptions (``Copy``), and
    ``INVOICES_PER_CUSTOMER`` invoices each, written by INSERT ... SELECT."""
    sql = _Sql(engine.dialect.name)
    count = n - len(template_ids)
    pick = " OR ".join(f"(n.i % 3 = {k} AND t.subscription_id = '{sid}')"
                       for k, sid in enumerate(template_ids))
    pick_sub = pick.replace("t.subscription_id", "t.id")
    pad = sql.pad("n.i")
    start = sql.months_from_december(f"-{STARTED}")
    ended = sql.months_from_december(f"-((n.i / 10) % {STARTED})")

    def analyze() -> None:
        """Fresh statistics before the next table's foreign keys are checked: PostgreSQL plans
        those checks once per connection, and a plan made while the referenced table looked
        empty scans it whole for every row."""
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))

    with engine.begin() as conn:
        _insert_select(conn, customers, f"t.id = 'cus_tpl_' || {sql.text('n.i % 3')}", {
            "id": f"'cus_' || {pad}", "name": f"'Customer ' || {pad}",
            "email": f"'billing' || {sql.text('n.i')} || '@customer.example'"}, count)
    analyze()
    with engine.begin() as conn:
        _insert_select(conn, subscriptions, f"({pick_sub})", {
            "id": f"'sub_' || {pad}", "customer_id": f"'cus_' || {pad}",
            "current_version_id": f"'ver_' || {pad} || CASE WHEN {UPGRADED} THEN 'b' ELSE '' END",
            "created_at": sql.instant(start), "updated_at": sql.instant(start),
            "activated_at": sql.instant(start), "term_start": start, "billing_anchor": start,
            "status": f"CASE WHEN {CANCELED} THEN 'canceled' ELSE t.status END",
            "canceled_at": f"CASE WHEN {CANCELED} THEN {sql.instant(ended)} END"}, count)
    analyze()
    with engine.begin() as conn:
        _insert_select(conn, subscription_versions, f"({pick})", {
            "id": f"'ver_' || {pad}", "subscription_id": f"'sub_' || {pad}",
            "effective_at": sql.instant(start), "effective": sql.text(start),
            "published_at": sql.instant(start), "created_at": sql.instant(start),
            "updated_at": sql.instant(start)}, count)
        j = f"(n.i * {INVOICES_PER_CUSTOMER} + m.k)"
        issued = sql.months_from_december(f"m.k - {INVOICES_PER_CUSTOMER - 1}")
        paid = f"{j} % 20 <> 0"
        months = " UNION ALL ".join(f"SELECT {k}" for k in range(INVOICES_PER_CUSTOMER))
        _insert_select(conn, invoices, f"({pick})", {
            "id": f"'inv_' || {pad} || '_' || {sql.text('m.k')}",
            "number": f"'B-' || {pad} || '-' || {sql.text('m.k')}",
            "customer_id": f"'cus_' || {pad}", "subscription_id": f"'sub_' || {pad}",
            "billing_key": "NULL", "issue_date": issued, "due_date": issued,
            "billing_period_start": issued,
            "billing_period_end": sql.months_from_december(f"m.k - {INVOICES_PER_CUSTOMER - 2}"),
            "status": f"CASE WHEN {paid} THEN 'paid' WHEN {j} % 60 = 0 THEN 'issued' "
                      f"WHEN {j} % 60 = 20 THEN 'overdue' ELSE 'payment_failed' END",
            "issued_at": sql.instant(issued),
            "paid_at": f"CASE WHEN {paid} THEN {sql.instant(issued)} END",
            "amount_paid": f"CASE WHEN {paid} THEN t.total ELSE t.amount_paid END",
            "amount_due": f"CASE WHEN {paid} THEN t.amount_paid ELSE t.total END",
            "overdue_at": f"CASE WHEN {j} % 60 = 20 THEN {sql.instant(issued, 1)} END",
            "created_at": sql.instant(issued), "updated_at": sql.instant(issued),
        }, count, extra_from=f"CROSS JOIN ({months}) AS m(k)" if sql.pg else
            f"CROSS JOIN (SELECT column1 AS k FROM (VALUES "
            f"{', '.join(f'({k})' for k in range(INVOICES_PER_CUSTOMER))}))  m")
        versions = {r["subscription_id"]: dict(r) for r in conn.execute(
            select(subscription_versions).where(
                subscription_versions.c.subscription_id.in_(template_ids))).mappings()}
        upgrades = []
        for copy in map(Copy, range(count)):
            if not copy.upgraded:
                continue
            version = versions[template_ids[copy.template]]
            price = PRICES[copy.template] * 3 / 2
            at = _instant(_month(copy.started - 1), 15)
            items = [dict(version["items"][0])]
            items[0]["price"] = {**items[0]["price"], "fixed_pricing_model": {
                "price_per_unit": str(price), "units": 1}}
            upgrades.append({**{k: v for k, v in version.items() if k != "seq"},
                             "id": f"ver_{copy.i:07d}b", "subscription_id": f"sub_{copy.i:07d}",
                             "number": 2, "items": items, "mrr": price, "effective_at": at,
                             "effective": at.date().isoformat(), "published_at": at,
                             "source_version_id": f"ver_{copy.i:07d}", "created_at": at,
                             "updated_at": at})
        if upgrades:
            conn.execute(subscription_versions.insert(), upgrades)
    expected = Expected(mrr=sum(PRICES, Decimal(0)), active=len(PRICES))
    for copy in map(Copy, range(count)):
        if not copy.canceled:
            expected.active += 1
            expected.mrr += PRICES[copy.template] * (Decimal("1.5") if copy.upgraded else 1)
        for k in range(INVOICES_PER_CUSTOMER):
            expected.overdue += Copy.invoice_status(
                copy.i * INVOICES_PER_CUSTOMER + k) == "overdue"
    return expected


@dataclass
class Timing:
    name: str
    times_ms: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        return percentile(sorted(self.times_ms), 0.95)


def _time(name: str, requests: int, fetch: Callable[[int], Any],
          check: Callable[[int, Any], None]) -> Timing:
    for i in range(3):  # warm-up: plans cached, pages compiled
        check(i, fetch(i))
    times = []
    for i in range(requests):
        began = time.perf_counter()
        answer = fetch(i)
        times.append((time.perf_counter() - began) * 1000)
        check(i, answer)
    return Timing(name, times)


def _has(*wanted: str) -> Callable[[int, Any], None]:
    def check(_: int, answer: Any) -> None:
        if answer.status_code != 200:
            raise RuntimeError(f"{answer.request.url}: {answer.status_code} {answer.text[:300]}")
        for text_ in wanted:
            if text_ not in answer.text:
                raise RuntimeError(f"{answer.request.url}: {text_!r} is not on the page")
    return check


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))} USD"


def run(backend: str, pg_url: str, n: int, requests: int) -> list[Timing]:
    with scratch_database(backend, pg_url) as url:
        engine = make_engine(url, pool_size=5)
        upgrade(engine)
        kassa = build(Settings(database_url=url, embedded_worker=False, log_level="warning"),
                      engine=engine)
        app = asgi_app(kassa)
        key = keys.create_key(engine, "sandbox", "bench")[1]
        began = time.perf_counter()
        with TestClient(app, headers={"Authorization": f"Bearer {key}",
                                      "Alguna-Version": "2026-04-01"}) as api:
            templates = _templates(api)
        made = time.perf_counter()
        expected = _seed(engine, templates, n)
        with engine.begin() as conn:  # the copies bypassed the writers that keep the rollups
            invoice_rollups.rebuild(conn)
            mrr_rollup.rebuild(conn)
        copied = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        print(f"{backend}: seeded {n:,} customers and subscriptions, "
              f"{(n - len(templates)) * INVOICES_PER_CUSTOMER:,} invoices in "
              f"{time.perf_counter() - began:.0f} s (templates {made - began:.0f} s, copies "
              f"{copied - made:.0f} s with the report rollups' rebuild, ANALYZE {time.perf_counter() - copied:.0f} s)")
        email = "bench@example.com"
        users.create_user(engine, email, "admin", datetime.now(UTC), PASSWORD)
        _, token = sessions.sign_in(engine, email, PASSWORD, "127.0.0.1", datetime.now(UTC))
        rng = random.Random(3)
        picks = [rng.randrange(n - len(templates)) for _ in range(requests + 3)]
        with TestClient(app, cookies={SESSION_COOKIE: token}) as web:
            timings = [
                _time("baseline: GET /health", requests, lambda i: web.get("/health"),
                      lambda i, a: None if a.status_code == 200 else _has()(i, a)),
                _time("customer list", requests, lambda i: web.get("/dashboard/customers"),
                      _has("Customer 0000000", "Customers")),
                _time("customer page", requests,
                      lambda i: web.get(f"/dashboard/customers/cus_{picks[i]:07d}"),
                      lambda i, a: _has(f"Customer {picks[i]:07d}", "Subscriptions")(i, a)),
                _time("invoices, status=overdue", requests,
                      lambda i: web.get("/dashboard/invoices?status=overdue"),
                      _has(f"of {expected.overdue} invoices", "Overdue")),
                _time("home", requests, lambda i: web.get("/dashboard/"),
                      _has(_money(expected.mrr), _money(expected.mrr * 12),
                           f"<dd>{expected.active}</dd>")),
            ]
        kassa.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql"])
    parser.add_argument("--database-url", default=DEFAULT_PG_URL,
                        help="PostgreSQL server to create the scratch database on")
    args = parser.parse_args()
    print(machine_load())
    results = {backend: run(backend, args.database_url, args.customers, args.requests)
               for backend in args.backends}
    print(f"\n{args.customers:,} customers, {args.requests} requests each (ms)")
    print(f"{'page':<28}" + "".join(f"{b + ' median':>20}{b + ' p95':>18}" for b in results))
    for row in range(len(next(iter(results.values())))):
        name = next(iter(results.values()))[row].name
        print(f"{name:<28}" + "".join(
            f"{timings[row].median:>20.1f}{timings[row].p95:>18.1f}"
            for timings in results.values()))
    print(machine_load())


if __name__ == "__main__":
    main()
