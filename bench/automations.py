"""Automations benchmark: N ``payment.failed`` triggers with the Quick Start automation.

In a scratch database per backend: the Quick Start YAML (automation docs) created and activated
through the API, and one customer with a declining card whose auto-pay invoice fails (sandbox,
clock frozen at 2026-12-01). Its customer, card, subscription, invoice, lines and payment are
cloned (rows copied with new ids) up to N, and one ``payment.failed`` per clone is written to the
outbox as the real one is. Emails go over SMTP to a local aiosmtpd server in a thread. Then, in
this process, one phase after another:

- baseline: N no-op jobs through the same job runner (``bench.noop``), jobs/s;
- started: the outbox dispatcher until it is empty: one execution per trigger, executions/s;
- emails: the step jobs until none is due: the failureCount condition, the email (rendered,
  stored, sent over SMTP, recorded) and the 3-day delay, emails/s;
- resumed: the clock set 3 days on (without running due work), then the step jobs again: the
  ``invoice.status == 'unpaid'`` condition and ``retry_payment`` (declined again), executions/s.

On PostgreSQL the statistics are refreshed (ANALYZE) after each bulk write, the seed and the
no-op jobs, as autovacuum would; no invoice PDF is rendered (``render_pdfs_on_issue`` off).

Checked afterwards: N executions, all completed after 5 steps and a retried payment each; N
emails recorded sent and N messages received by the SMTP server, one per customer. The ratios
compare each phase's rate to the no-op rate; RSS is this process's peak.

    python bench/automations.py                                 # 10,000 triggers, both backends
    python bench/automations.py --triggers 2000 --backends sqlite
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiosmtpd.controller import Controller  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, func, select, text  # noqa: E402

from bench._support import (  # noqa: E402
    DEFAULT_PG_URL,
    RssSampler,
    free_port,
    machine_load,
    scratch_database,
)
from kassa.api.app import create_app  # noqa: E402
from kassa.bootstrap import Kassa, build, build_outbox  # noqa: E402
from kassa.config import Settings  # noqa: E402
from kassa.services import keys  # noqa: E402
from kassa.store.engine import make_engine  # noqa: E402
from kassa.store.migrate import upgrade  # noqa: E402
from kassa.store.tables import (  # noqa: E402
    automation_executions,
    customers,
    emails,
    invoice_lines,
    invoices,
    outbox_events,
    payment_methods,
    payments,
    subscription_versions,
    subscriptions,
)
from tests.documents import QUICK_START  # noqa: E402  (the document's, verbatim)

ENV = "sandbox"
CHUNK = 2000
NOOP = "bench.noop"


class _Counting:
    """An SMTP handler that counts what it accepts, by recipient."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.recipients: dict[str, int] = {}

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            for address in envelope.rcpt_tos:
                self.recipients[address] = self.recipients.get(address, 0) + 1
        return "250 OK"


def _ok(response: Any, status: int = 200) -> dict:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.request.url}: "
                           f"{response.status_code} {response.text}")
    return response.json()


def _template(api: TestClient) -> str:
    """The Quick Start, active, and one customer whose payment failed; the customer's id."""
    _ok(api.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))
    automation = _ok(api.post("/automations", content=QUICK_START.encode(),
                              headers={"Content-Type": "application/yaml"}), 201)
    _ok(api.post(f"/automations/{automation['id']}/activate"))
    _ok(api.post("/clock/advance", json={"to": "2026-12-01T00:00:01Z"}))  # consumer starts
    _ok(api.post("/products", json={"id": "prod_platform", "name": "Platform",
                                    "fee_type": "fixed", "billing_frequency": "recurring"}), 201)
    customer = _ok(api.post("/customers", json={"id": "cus_tpl", "name": "Template",
                                                "email": "tpl@bench.test"}), 201)["id"]
    _ok(api.post(f"/customers/{customer}/payment-methods", json={
        "type": "card", "details": {"brand": "visa", "last4": "0002"},
        "test_behavior": "decline"}), 201)
    _ok(api.post("/subscriptions", json={
        "customer_id": customer, "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-12-01"},
        "billing": {"payment_terms": "net_30", "auto_pay_invoices": True},
        "items": [{"product_id": "prod_platform", "price": {
            "type": "fixed", "billing_interval": "monthly", "fee_type": "fixed",
            "billing_direction": "advance", "billing_frequency": "recurring",
            "fixed_pricing_model": {"price_per_unit": "100.00", "units": 1}}}]}), 201)
    return customer


def _rows(conn: Any, table: Any, column: Any, values: list[str]) -> list[dict]:
    return [dict(r) for r in conn.execute(select(table).where(
        table.c.environment == ENV, column.in_(values))).mappings()]


def _renamed(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, dict):
        return {k: _renamed(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, ids) for v in value]
    return value


def _clone(kassa: Kassa, customer_id: str, n: int) -> None:
    """N - 1 copies of the template's records and of its payment.failed event."""
    engine = kassa.engine
    with engine.connect() as conn:
        found = {"customers": _rows(conn, customers, customers.c.id, [customer_id])}
        found["payment_methods"] = _rows(conn, payment_methods, payment_methods.c.customer_id,
                                         [customer_id])
        found["subscriptions"] = _rows(conn, subscriptions, subscriptions.c.customer_id,
                                       [customer_id])
        found["subscription_versions"] = _rows(
            conn, subscription_versions, subscription_versions.c.subscription_id,
            [s["id"] for s in found["subscriptions"]])
        found["invoices"] = _rows(conn, invoices, invoices.c.customer_id, [customer_id])
        found["invoice_lines"] = _rows(conn, invoice_lines, invoice_lines.c.invoice_id,
                                       [i["id"] for i in found["invoices"]])
        found["payments"] = _rows(conn, payments, payments.c.customer_id, [customer_id])
        [event] = conn.execute(select(outbox_events.c.data).where(
            outbox_events.c.type == "payment.failed")).scalars()
    tables = {"customers": customers, "payment_methods": payment_methods,
              "subscriptions": subscriptions, "subscription_versions": subscription_versions,
              "invoices": invoices, "invoice_lines": invoice_lines, "payments": payments}
    template_ids = [r["id"] for rows in found.values() for r in rows]
    copies: dict[str, list[dict]] = {name: [] for name in tables}
    events: list[dict] = []

    def flush() -> None:
        with kassa.ctx(ENV).uow() as uow:
            for name, table in tables.items():
                if copies[name]:
                    uow.conn.execute(table.insert(), copies[name])
                copies[name].clear()
            uow.emit_many("payment.failed", events)
            uow.commit()
        events.clear()

    for i in range(1, n):
        ids = {old: f"{old}_b{i}" for old in template_ids}
        for name, rows in found.items():
            for row in rows:
                copy = {k: _renamed(v, ids) for k, v in row.items() if k != "seq"}
                if name == "customers":
                    copy["email"] = f"person{i}@bench.test"
                if name == "invoices":
                    copy["number"] = f"{row['number']}-B{i}"
                    copy["billing_key"] = f"{row['billing_key']}:b{i}"
                copies[name].append(copy)
        events.append(_renamed(event, ids))
        if len(events) >= CHUNK:
            flush()
    flush()


def _until_idle(run: Callable[[], list]) -> float:
    """Call ``run`` until it does nothing; the seconds it took."""
    started = time.perf_counter()
    while run():
        pass
    return time.perf_counter() - started


def _noop_rate(kassa: Kassa, n: int) -> float:
    kassa.jobs.register(NOOP, lambda _ctx, _job: None)
    ctx = kassa.ctx(ENV)
    for start in range(0, n, CHUNK):
        with ctx.uow() as uow:
            uow.enqueue_many(NOOP, [({"n": k}, uow.now) for k in range(start,
                                                                     min(n, start + CHUNK))])
            uow.commit()
    _analyze(kassa.engine)  # the jobs just written, as autovacuum would see them
    return n / _until_idle(lambda: kassa.jobs.run(ctx))


def _analyze(engine: Engine) -> None:
    """PostgreSQL's statistics after a bulk write, as autovacuum keeps them: without them the
    planner takes the tables written for empty (a join per outbox claim scanned every event)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()


def _count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(
            table.c.environment == ENV, *where)).scalar_one())


def _check(kassa: Kassa, smtp: _Counting, n: int) -> str:
    engine = kassa.engine
    executions = _count(engine, automation_executions)
    done = _count(engine, automation_executions, automation_executions.c.status == "completed",
                  automation_executions.c.steps_executed == 5)
    sent = _count(engine, emails, emails.c.status == "sent")
    retried = _count(engine, payments, payments.c.status == "failed")
    received = sum(smtp.recipients.values())
    if not (executions == done == sent == received == n):
        raise AssertionError(f"{n} triggers: {executions} executions, {done} completed in 5 steps"
                             f", {sent} emails sent, {received} received")
    if len(smtp.recipients) != n or set(smtp.recipients.values()) != {1}:
        raise AssertionError("a customer got no email or more than one")
    if retried != 2 * n:
        raise AssertionError(f"{retried} failed payments, expected {2 * n} (one retry each)")
    return (f"{n:,} executions completed in 5 steps, {sent:,} emails sent and received once "
            f"each, {n:,} payments retried")


def bench(backend: str, n: int, pg_url: str) -> dict[str, Any]:
    smtp = _Counting()
    port = free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with scratch_database(backend, pg_url) as url:
            engine = make_engine(url)
            upgrade(engine)
            kassa = build(Settings(database_url=url, embedded_worker=False,
                                   render_pdfs_on_issue=False,  # no PDF job in the baseline
                                   smtp_url=f"smtp://127.0.0.1:{port}",
                                   email_from="Billing <billing@bench.test>"), engine=engine)
            key = keys.create_key(engine, ENV, "bench")[1]
            t0 = time.perf_counter()
            with TestClient(create_app(kassa),
                            headers={"Authorization": f"Bearer {key}"}) as api:
                _clone(kassa, _template(api), n)
                _analyze(engine)
                seeded = time.perf_counter() - t0
                ctx = kassa.ctx(ENV)
                with RssSampler(os.getpid()) as rss:
                    noop = _noop_rate(kassa, n)
                    outbox = build_outbox().work()
                    started = n / _until_idle(lambda: outbox.run(ctx))
                    mailed = n / _until_idle(lambda: kassa.jobs.run(ctx))
                    _ok(api.post("/clock/freeze", json={"at": "2026-12-04T00:00:01Z"}))
                    resumed = n / _until_idle(lambda: kassa.jobs.run(kassa.ctx(ENV)))
                checked = _check(kassa, smtp, n)
            kassa.close()
            engine.dispose()
    finally:
        controller.stop()
    return {"backend": backend, "n": n, "seeded": seeded, "noop": noop, "started": started,
            "mailed": mailed, "resumed": resumed, "rss": rss.peak_mb, "checked": checked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triggers", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql")
    parser.add_argument("--database-url", default=DEFAULT_PG_URL,
                        help="PostgreSQL server to create the scratch databases on")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    print(f"automations benchmark; {machine_load()}", flush=True)
    for backend in backends:
        r = bench(backend, args.triggers, args.database_url)
        print(
            f"{backend:10} {r['n']:>7,} payment.failed triggers (seeded in {r['seeded']:.0f} s), "
            f"no-op jobs {r['noop']:,.0f}/s\n"
            f"           executions started {r['started']:,.0f}/s "
            f"({r['started'] / r['noop']:.2f} of no-op), "
            f"emails {r['mailed']:,.0f}/s ({r['mailed'] / r['noop']:.2f}), "
            f"resumed after 3 days {r['resumed']:,.0f}/s ({r['resumed'] / r['noop']:.2f}); "
            f"peak RSS {r['rss']:.0f} MB\n"
            f"           {r['checked']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
