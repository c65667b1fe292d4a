"""The revenue reports read rollups (``kassa.store.invoice_rollups``, ``kassa.store.mrr_rollup``)
kept in step by the writers of invoices, subscriptions and versions. Random stories through the
API (subscriptions started, repriced now or later, new versions, cancellations now, at the end
of the term or on a date, activations, one-time invoices issued, paid in part or in full,
voided, wallet top-ups, the clock moved on so billing runs and invoices fall overdue) must give
exactly the figures the report computed from the base tables before the rollups
(``report_reference``), and rollups equal to the ones rebuilt from scratch (migration 0015's
backfill). On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext
from typing import Any

from alembic import command
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, select

from kassa.clock import FixedClock
from kassa.services import keys, reports
from kassa.store import invoice_rollups, mrr_rollup, rollups
from kassa.store.migrate import alembic_config, upgrade
from kassa.store.rollups import Deltas, names
from kassa.store.tables import mrr_days, mrr_segments, receivable_days, revenue_days
from kassa.store.uow import UnitOfWork
from tests.conftest import API_VERSION_HEADERS, wipe
from tests.integration import report_reference as reference
from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import card
from tests.scenarios.mrr_story import quarterly, story
from tests.scenarios.seed_catalog import ok

CUSTOMERS = [("wcqYrqfE", "USD"), ("AcBigCo12", "USD"), ("EuroCo001", "EUR")]
AMOUNTS = ["100.00", "150.00", "99.99", "240.00", "0.00", "1000.01"]
START = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def _price(amount: str, interval: str) -> dict:
    return quarterly(amount) if interval == "quarterly" else sc.fixed(amount, "advance")


def _day(now: datetime, offset: int) -> str:
    return (now + timedelta(days=offset)).date().isoformat()


def _timing(now: datetime, when: int | None) -> str:
    return "immediate" if when is None else _day(now, when)


amounts = st.sampled_from(AMOUNTS)
intervals = st.sampled_from(["monthly", "quarterly"])
pick = st.integers(0, 50)
when = st.none() | st.integers(-5, 60)
steps = st.one_of(
    st.tuples(st.just("subscribe"), st.integers(0, 2), amounts, intervals, st.integers(-40, 20),
              st.booleans()),
    st.tuples(st.just("reprice"), pick, amounts, intervals, when),
    st.tuples(st.just("version"), pick, amounts, intervals, when),
    st.tuples(st.just("cancel"), pick, st.sampled_from(["immediate", "end_of_term", "date"]),
              st.integers(1, 60)),
    st.tuples(st.just("activate"), pick),
    st.tuples(st.just("uncancel"), pick),
    st.tuples(st.just("invoice"), st.integers(0, 2), amounts, st.booleans(),
              st.sampled_from(["due_on_receipt", "net_30"])),
    st.tuples(st.just("issue"), pick),
    st.tuples(st.just("pay"), pick, st.booleans()),
    st.tuples(st.just("void"), pick),
    st.tuples(st.just("top_up"), st.sampled_from(["10.00", "25.50"])),
    st.tuples(st.just("advance"), st.integers(1, 45)),
)


class Story:
    def __init__(self, api: TestClient) -> None:
        self.api = api
        self.subs: list[str] = []
        self.now = START

    def call(self, method: str, path: str, body: dict | None = None) -> dict | None:
        """A request whose refusal (a 4xx: not possible in this state) is part of the story."""
        r = self.api.request(method, path, json=body)
        assert r.status_code < 500, r.text
        return r.json() if r.status_code < 300 else None

    def sub(self, n: int) -> str | None:
        return self.subs[n % len(self.subs)] if self.subs else None

    def invoice(self, n: int) -> dict | None:
        found = ok(self.api.get("/invoices", params={"limit": 100}))["data"]
        return found[n % len(found)] if found else None

    def run(self, step: tuple) -> None:
        kind, *args = step
        getattr(self, f"_{kind}")(*args)

    def _subscribe(self, customer: int, amount: str, interval: str, offset: int,
                   auto: bool) -> None:
        cid, currency = CUSTOMERS[customer]
        made = self.call("POST", "/subscriptions", {
            "customer_id": cid, "currency": currency, "auto_activate": auto,
            "contract": {"period_type": "monthly_rolling", "start_date": _day(self.now, offset)},
            "items": [{"product_id": sc.PLATFORM, "price": _price(amount, interval)}]})
        if made:
            self.subs.append(made["id"])

    def _reprice(self, n: int, amount: str, interval: str, at: int | None) -> None:
        if sid := self.sub(n):
            self.call("POST", f"/subscriptions/{sid}/changes", {
                "update": [{"product_id": sc.PLATFORM, "new_price": _price(amount, interval)}],
                "effective": _timing(self.now, at)})

    def _version(self, n: int, amount: str, interval: str, at: int | None) -> None:
        if sid := self.sub(n):
            made = self.call("POST", f"/subscriptions/{sid}/versions", {
                "effective_at": _timing(self.now, at),
                "items": [{"product_id": sc.SUPPORT, "price": _price(amount, interval)}]})
            if made:
                self.call("POST", f"/subscriptions/{sid}/versions/{made['id']}/publish")

    def _cancel(self, n: int, timing: str, days: int) -> None:
        if sid := self.sub(n):
            self.call("POST", f"/subscriptions/{sid}/cancel", {
                "timing": _day(self.now, days) if timing == "date" else timing})

    def _activate(self, n: int) -> None:
        if sid := self.sub(n):
            self.call("POST", f"/subscriptions/{sid}/activate")

    def _uncancel(self, n: int) -> None:
        if sid := self.sub(n):
            self.call("POST", f"/subscriptions/{sid}/uncancel")

    def _invoice(self, customer: int, amount: str, auto_issue: bool, terms: str) -> None:
        self.call("POST", "/invoices", {
            "customer_id": CUSTOMERS[customer][0], "auto_issue": auto_issue,
            "payment_terms": terms, "lines": [{"description": "Work", "amount": amount}]})

    def _issue(self, n: int) -> None:
        if found := self.invoice(n):
            self.call("POST", f"/invoices/{found['id']}/issue")

    def _pay(self, n: int, whole: bool) -> None:
        found = self.invoice(n)
        if found and Decimal(found["amount_due"]) > 0:
            due = Decimal(found["amount_due"])
            amount = due if whole else max(Decimal("0.01"), (due / 2).quantize(Decimal("0.01")))
            self.call("POST", f"/invoices/{found['id']}/payments", {"amount": str(amount)})

    def _void(self, n: int) -> None:
        if found := self.invoice(n):
            self.call("POST", f"/invoices/{found['id']}/void")

    def _top_up(self, amount: str) -> None:
        wallets = ok(self.api.get("/wallets", params={"customer_id": "wcqYrqfE"}))["data"]
        wallet = wallets[0] if wallets else ok(
            self.api.post("/wallets", json={"customer_id": "wcqYrqfE"}), 201)
        self.call("POST", f"/wallets/{wallet['id']}/top-up", {"amount": amount})

    def _advance(self, days: int) -> None:
        self.now += timedelta(days=days)
        ok(self.api.post("/clock/advance", json={"to": self.now.isoformat().replace("+00:00", "Z")}))


def _rollup(conn: Any, table: Any) -> dict[tuple, tuple[Decimal, int]]:
    """A rollup's rows, by key, without the ones that sum nothing (left behind at zero)."""
    keys, amount = names(table)
    rows = conn.execute(select(table)).mappings()
    return {tuple(r[k] for k in keys): (Decimal(r[amount]), r["count"]) for r in rows
            if r["count"] or r[amount]}


def _segments(conn: Any) -> set[tuple]:
    return {tuple(r) for r in conn.execute(select(mrr_segments)).all()}


def assert_matches_the_base_tables(engine: Engine, now: datetime) -> None:
    first = date(2025, 12, 1)
    months = reports._months(first, now.date().replace(day=1))
    with engine.connect() as conn, localcontext(prec=60):
        assert reports.monthly_figures(conn, "sandbox", months, now) == \
            reference.monthly_figures(conn, "sandbox", months, now)
        for day in (now.date(), now.date() - timedelta(days=20), date(2026, 1, 31)):
            assert reports.open_balances(conn, "sandbox", day, now.date()) == \
                reference.open_balances(conn, "sandbox", day, now.date())
        tables = (revenue_days, receivable_days, mrr_days)
        kept = {t.name: _rollup(conn, t) for t in tables}
        kept_segments = _segments(conn)
        conn.rollback()
        invoice_rollups.rebuild(conn)  # in a transaction rolled back: the test's alone
        mrr_rollup.rebuild(conn)
        for table in tables:
            assert (table.name, kept[table.name]) == (table.name, _rollup(conn, table))
        assert kept_segments == _segments(conn)
        conn.rollback()


def _fresh_api(app: Any, engine: Engine) -> TestClient:
    wipe(engine)
    key = keys.create_key(engine, "sandbox", "tests")[1]
    return TestClient(app, headers={**API_VERSION_HEADERS, "Authorization": f"Bearer {key}"},
                      raise_server_exceptions=False)


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(story_steps=st.lists(steps, min_size=8, max_size=24))
def test_random_stories_report_what_the_base_tables_say(kassa, app, story_steps) -> None:
    with _fresh_api(app, kassa.engine) as api:
        sc.build(api)
        ok(api.post("/customers", json={"id": "EuroCo001", "name": "Euro Co", "currency": "EUR"}),
           201)
        card(api, "wcqYrqfE")
        ok(api.post("/clock/freeze", json={"at": START.isoformat().replace("+00:00", "Z")}))
        told = Story(api)
        for n, step in enumerate(story_steps):
            told.run(step)
            if n % 5 == 4:
                assert_matches_the_base_tables(kassa.engine, told.now)
        assert_matches_the_base_tables(kassa.engine, told.now)


def test_the_mrr_story_matches_and_survives_a_rebuild(api: TestClient, kassa) -> None:
    story(api)
    assert_matches_the_base_tables(kassa.engine, datetime(2026, 4, 15, tzinfo=UTC))


def _downgrade(engine: Engine, revision: str) -> None:
    with engine.connect() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
        conn.commit()


def test_migration_0015_builds_the_rollups_from_the_rows_stored(api: TestClient, kassa) -> None:
    """The story's rows written, the rollups dropped (down to 0014) and made again by 0015's
    backfill: the same rows as the writers kept, the same report."""
    story(api)
    now = datetime(2026, 4, 15, tzinfo=UTC)
    with kassa.engine.connect() as conn:
        kept = {t.name: _rollup(conn, t) for t in (revenue_days, receivable_days, mrr_days)}
        kept_segments = _segments(conn)
    before = ok(api.get("/reports/mrr", params={"from": "2026-01-01", "to": "2026-04-30"}))
    try:
        _downgrade(kassa.engine, "0014")
        with kassa.engine.connect() as conn:
            assert not inspect(conn).has_table("mrr_segments")
    finally:
        upgrade(kassa.engine)
    with kassa.engine.connect() as conn:
        assert kept == {t.name: _rollup(conn, t) for t in (revenue_days, receivable_days,
                                                           mrr_days)}
        assert kept_segments == _segments(conn)
        assert kept["mrr_days"] and kept["revenue_days"] and kept["receivable_days"]
    assert ok(api.get("/reports/mrr", params={"from": "2026-01-01", "to": "2026-04-30"})) == before
    assert_matches_the_base_tables(kassa.engine, now)


def _together(*calls: Any) -> list[Any]:
    """The calls run at once, each in its own thread; their results."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(n: int) -> None:
        barrier.wait()
        results[n] = calls[n]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_parallel_writers_add_up(pg_only, api: TestClient, kassa) -> None:
    """Requests in parallel (PostgreSQL) that write the same rollup rows (one day, one
    currency): invoices issued, the same invoice voided twice at once, payments, subscriptions
    started and canceled. Every delta lands once: the figures equal the base tables'."""
    sc.build(api)
    ok(api.post("/customers", json={"id": "EuroCo001", "name": "Euro Co", "currency": "EUR"}), 201)
    ok(api.post("/clock/freeze", json={"at": START.isoformat().replace("+00:00", "Z")}))

    def invoice(n: int) -> Any:
        return lambda: api.post("/invoices", json={
            "customer_id": CUSTOMERS[n % 3][0], "payment_terms": "net_30",
            "lines": [{"description": "Work", "amount": AMOUNTS[n % len(AMOUNTS)]}]})

    made = [r.json() for r in _together(*(invoice(n) for n in range(12)))]
    assert all(m.get("status") in ("issued", "paid") for m in made), made  # 0.00: paid
    voids = _together(*(lambda i=m["id"]: api.post(f"/invoices/{i}/void") for m in made[:4]
                        for _ in range(2)))
    assert sorted(r.status_code for r in voids) == [200] * 4 + [422] * 4
    payable = [m for m in made[4:] if Decimal(m["amount_due"]) > 0]
    _together(*(lambda i=m["id"]: api.post(f"/invoices/{i}/payments", json={"amount": "0.01"})
                for m in payable))

    def subscribe(n: int) -> Any:
        # A customer each: two subscriptions of one customer activated at once deadlock on the
        # customer row (billing's FOR UPDATE after the inserts' FOR KEY SHARE), rollups or not.
        currency = ("USD", "EUR")[n % 2]
        ok(api.post("/customers", json={"id": f"Par{n:05d}", "name": f"P{n}",
                                        "currency": currency}), 201)
        return lambda: api.post("/subscriptions", json={
            "customer_id": f"Par{n:05d}", "currency": currency, "auto_activate": True,
            "contract": {"period_type": "monthly_rolling", "start_date": "2026-01-10"},
            "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}]})

    started = _together(*(subscribe(n) for n in range(8)))
    assert all(r.status_code == 201 for r in started), [
        (r.status_code, r.text[:300]) for r in started if r.status_code != 201]
    subs = [r.json()["id"] for r in started]
    cancels = _together(*(lambda s=s: api.post(f"/subscriptions/{s}/cancel",
                                               json={"timing": "immediate"}) for s in subs[:4]))
    assert all(r.status_code == 200 for r in cancels), [r.text for r in cancels]
    assert_matches_the_base_tables(kassa.engine, START)


def test_deltas_wait_for_the_commit_and_go_with_a_rolled_back_savepoint(kassa) -> None:
    """In a unit of work a rollup's deltas are written at its commit, those of a savepoint
    rolled back never, those of a released one with the rest; without a commit, none."""
    day = date(2026, 3, 1)

    def delta(amount: str) -> Deltas:
        found = Deltas()
        found.add(("sandbox", day, "USD"), Decimal(amount), 1)
        return found

    def stored() -> tuple | None:
        with kassa.engine.connect() as conn:
            row = conn.execute(select(revenue_days.c.total, revenue_days.c["count"])).first()
        return None if row is None else (Decimal(row[0]), row[1])

    with UnitOfWork(kassa.engine, "sandbox", FixedClock(START)) as uow:
        rollups.add(uow.conn, revenue_days, delta("1.00"))
        with uow.conn.begin_nested() as kept:
            rollups.add(uow.conn, revenue_days, delta("10.00"))
            kept.commit()
        with uow.conn.begin_nested() as dropped:
            rollups.add(uow.conn, revenue_days, delta("100.00"))
            dropped.rollback()
        assert uow.conn.execute(select(revenue_days)).first() is None  # not yet
        uow.commit()
    assert stored() == (Decimal("11.00"), 2)
    with UnitOfWork(kassa.engine, "sandbox", FixedClock(START)) as uow:
        rollups.add(uow.conn, revenue_days, delta("1000.00"))
    assert stored() == (Decimal("11.00"), 2)
    with kassa.engine.begin() as conn:  # no unit of work: at once
        rollups.add(conn, revenue_days, delta("0.01"))
        assert conn.execute(select(revenue_days.c["count"])).scalar_one() == 3
    assert stored() == (Decimal("11.01"), 3)
