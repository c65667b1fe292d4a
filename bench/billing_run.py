"""Billing run benchmark: N active subscriptions, one billing date, one ``kassa billing run``.

Builds, in a scratch database per backend and size, four template subscriptions through the API
(sandbox, clock frozen at 2026-01-01, billed once for January), each with its own customer:

- A: platform fee 100.00 in advance + API calls at 0.10 each (unit, metered, arrears)
- B: platform fee 49.00 in arrears + API calls on graduated tiers (first 2 free, then 0.50),
     customer taxed at 20%
- C: compute on volume tiers (sum of ``calls``: 0.10 up to 10 units, 0.05 above), metered only
- D: two licences at 250.00 in advance (fixed only)

and clones them (rows copied with new ids: customers, subscriptions, versions) up to N, with
10 usage events per customer in January (5 ``api_call``, 5 ``compute`` with calls 2+4+6+8+10),
written through the ingestion insert. Then the sandbox clock is set to 2026-02-01 and
``kassa billing run --environment sandbox`` runs in its own process: the figure is invoices/s
over that process's wall time (start-up included) and its peak RSS. A second run right after
must bill nothing (the idempotency check) and is the baseline: the process start-up, the
migration check and the due-work query with nothing due. Both start from Kassa's modules compiled
to bytecode beforehand, as installed (a checkout with PYTHONDONTWRITEBYTECODE would otherwise
compile every module in every run).

Checked afterwards: exactly N invoices, each subscription's total equal to its template's, and
the templates' totals exactly 100.50, 60.60, 1.50 and 500.00 (worked out in ``_check``).

    python bench/billing_run.py                                  # 10,000 and 100,000, both backends
    python bench/billing_run.py --subscriptions 10000 --backends sqlite
"""

from __future__ import annotations

import argparse
import atexit
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, select, text  # noqa: E402

from bench._support import DEFAULT_PG_URL, RssSampler, machine_load, scratch_database  # noqa: E402
import kassa  # noqa: E402
from kassa.api.app import create_app  # noqa: E402
from kassa.bootstrap import build  # noqa: E402
from kassa.config import Settings  # noqa: E402
from kassa.domain.usage_events import timestamp_us  # noqa: E402
from kassa.services import keys  # noqa: E402
from kassa.store.engine import make_engine  # noqa: E402
from kassa.store.migrate import upgrade  # noqa: E402
from kassa.store.tables import customers, invoices, subscription_versions, subscriptions  # noqa: E402
from kassa.store.usage_insert import EventRow, insert_events  # noqa: E402

ENV = "sandbox"
START = "2026-01-01"
JANUARY = datetime(2026, 1, 1, tzinfo=UTC)
BILLING_DATE = "2026-02-01T00:00:00Z"
EVENTS_PER_CUSTOMER = 10
CHUNK = 5000
TEMPLATE_TOTALS = [Decimal("100.50"), Decimal("60.60"), Decimal("1.50"), Decimal("500.00")]


def _ok(response: Any, status: int = 200) -> dict:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.request.url}: "
                           f"{response.status_code} {response.text}")
    return response.json()


def _price(kind: str, fee_type: str, direction: str, model: dict, metric: str | None = None
           ) -> dict:
    price = {"type": kind, "billing_interval": "monthly", "fee_type": fee_type,
             "billing_direction": direction, f"{kind}_pricing_model": model}
    if fee_type == "fixed":
        price["billing_frequency"] = "recurring"
    if metric:
        price["metric_ids"] = [metric]
    return price


def _templates(api: TestClient) -> list[str]:
    """The catalog and the four template subscriptions, billed for January; their ids."""
    _ok(api.post("/clock/freeze", json={"at": "2026-01-01T00:00:00Z"}))
    _ok(api.post("/metrics", json={"id": "mtr_calls", "name": "API calls",
                                   "event_name": "api_call", "aggregation": {"method": "count"}}),
        201)
    _ok(api.post("/metrics", json={"id": "mtr_compute", "name": "Compute",
                                   "event_name": "compute",
                                   "aggregation": {"method": "sum", "field": "calls"}}), 201)
    for pid, name, fee_type, metric in [("prod_platform", "Platform", "fixed", None),
                                        ("prod_api", "API calls", "metered", "mtr_calls"),
                                        ("prod_compute", "Compute", "metered", "mtr_compute"),
                                        ("prod_licence", "Licence", "fixed", None)]:
        body: dict[str, Any] = {"id": pid, "name": name, "fee_type": fee_type}
        if metric:
            body["metric_ids"] = [metric]
        else:
            body["billing_frequency"] = "recurring"
        _ok(api.post("/products", json=body), 201)
    tiers_api = {"tiers": [
        {"min_units": 0, "max_units": 2, "price_per_unit": "0.00", "fixed_fee": None},
        {"min_units": 3, "max_units": None, "price_per_unit": "0.50", "fixed_fee": None}]}
    tiers_compute = {"tiers": [
        {"min_units": 0, "max_units": 10, "price_per_unit": "0.10", "fixed_fee": None},
        {"min_units": 11, "max_units": None, "price_per_unit": "0.05", "fixed_fee": None}]}
    mixes = {
        "A": [("prod_platform", _price("fixed", "fixed", "advance",
                                       {"price_per_unit": "100.00", "units": 1})),
              ("prod_api", _price("unit", "metered", "arrears", {"price_per_unit": "0.10"},
                                  "mtr_calls"))],
        "B": [("prod_platform", _price("fixed", "fixed", "arrears",
                                       {"price_per_unit": "49.00", "units": 1})),
              ("prod_api", _price("graduated_tiered", "metered", "arrears", tiers_api,
                                  "mtr_calls"))],
        "C": [("prod_compute", _price("tiered", "metered", "arrears", tiers_compute,
                                      "mtr_compute"))],
        "D": [("prod_licence", _price("fixed", "fixed", "advance",
                                      {"price_per_unit": "250.00", "units": 2}))],
    }
    ids = []
    for name, items in mixes.items():
        customer = {"id": f"cus_tpl_{name}", "name": f"Template {name}", "currency": "USD"}
        if name == "B":
            customer["tax_rate"] = "20"
        _ok(api.post("/customers", json=customer), 201)
        sub = _ok(api.post("/subscriptions", json={
            "customer_id": customer["id"], "currency": "USD", "auto_activate": True,
            "contract": {"period_type": "monthly_rolling", "start_date": START},
            "items": [{"product_id": pid, "price": price} for pid, price in items],
        }), 201)
        ids.append(sub["id"])
    _ok(api.post("/clock/advance", json={"to": "2026-01-01T00:00:01Z"}))
    return ids


def _clone(engine: Engine, template_ids: list[str], n: int) -> dict[str, int]:
    """Copies of the templates up to ``n`` subscriptions in all; {subscription id: template}."""
    with engine.connect() as conn:
        subs = {r["id"]: dict(r) for r in conn.execute(
            select(subscriptions).where(subscriptions.c.id.in_(template_ids))).mappings()}
        custs = {r["id"]: dict(r) for r in conn.execute(
            select(customers).where(customers.c.id.in_(
                [s["customer_id"] for s in subs.values()]))).mappings()}
        versions: dict[str, list[dict]] = defaultdict(list)
        for r in conn.execute(select(subscription_versions).where(
                subscription_versions.c.subscription_id.in_(template_ids))).mappings():
            versions[r["subscription_id"]].append(dict(r))
    owner = {sid: i for i, sid in enumerate(template_ids)}
    strip = ("seq",)
    rows_c: list[dict] = []
    rows_s: list[dict] = []
    rows_v: list[dict] = []

    def flush() -> None:
        with engine.begin() as conn:
            for table, rows in ((customers, rows_c), (subscriptions, rows_s),
                                (subscription_versions, rows_v)):
                if rows:
                    conn.execute(table.insert(), rows)
                rows.clear()

    for i in range(n - len(template_ids)):
        t = i % len(template_ids)
        sub = subs[template_ids[t]]
        sid, cid = f"sub_bench{i:07d}", f"cus_bench{i:07d}"
        customer = {k: v for k, v in custs[sub["customer_id"]].items() if k not in strip}
        customer.update(id=cid, name=f"Customer {i}")
        rows_c.append(customer)
        renamed = {v["id"]: f"{v['id']}_{i}" for v in versions[sub["id"]]}
        copy = {k: v for k, v in sub.items() if k not in strip}
        copy.update(id=sid, customer_id=cid, current_version_id=renamed.get(
            sub["current_version_id"]))
        rows_s.append(copy)
        for v in versions[sub["id"]]:
            vc = {k: val for k, val in v.items() if k not in strip}
            vc.update(id=renamed[v["id"]], subscription_id=sid,
                      source_version_id=renamed.get(v["source_version_id"]))
            rows_v.append(vc)
        owner[sid] = t
        if len(rows_s) >= CHUNK:
            flush()
    flush()
    return owner


def _events(engine: Engine, customer_ids: list[str]) -> int:
    """Ten January events per customer through the ingestion insert; the count stored."""
    stored = 0
    batch: list[EventRow] = []
    now = datetime(2026, 1, 31, tzinfo=UTC)

    def flush() -> int:
        with engine.begin() as conn:
            got = len(insert_events(conn, ENV, sorted(batch), now))
        batch.clear()
        return got

    for n, cid in enumerate(customer_ids):
        for k in range(EVENTS_PER_CUSTOMER):
            at = JANUARY + timedelta(days=1 + (n + k) % 29, seconds=k * 61 + n % 3600)
            name = "api_call" if k % 2 == 0 else "compute"
            batch.append(EventRow(f"ev_{cid}_{k}", name, cid, timestamp_us(at),
                                  f'{{"calls": {k + 1}}}'))
        if len(batch) >= 10_000:
            stored += flush()
    if batch:
        stored += flush()
    return stored


def _analyze(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def _bytecode_env() -> dict[str, str]:
    """Kassa's modules compiled once, as an installed Kassa has them: the timed runs start from
    bytecode even where PYTHONDONTWRITEBYTECODE is set (a source checkout, this machine), so
    start-up is not the compiling of every module again."""
    global _BYTECODE
    if _BYTECODE is None:
        _BYTECODE = tempfile.mkdtemp(prefix="kassa-bench-pyc-")
        atexit.register(shutil.rmtree, _BYTECODE, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = _BYTECODE
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(kassa.__file__).parent)],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    # With a cache prefix Python reads no __pycache__ beside the sources, so the installed
    # packages (SQLAlchemy, pydantic...) are compiled into it too: otherwise the first timed run
    # would compile every one of them and the re-run (the baseline) none.
    packages = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", *packages], env=env,
                   check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return env


_BYTECODE: str | None = None


def _billing_run(url: str) -> tuple[float, float, float, str]:
    """``kassa billing run`` in its own process: (wall seconds, CPU seconds, peak RSS MB, its
    message). CPU time (user + system) moves less than wall time on a busy machine."""
    env = {**_bytecode_env(), "KASSA_DATABASE_URL": url, "KASSA_LOG_LEVEL": "warning"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kassa.cli", "billing", "run", "--environment", ENV],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    with RssSampler(proc.pid) as rss:
        out, err = proc.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"kassa billing run failed ({proc.returncode}): {err[-3000:]}")
    return wall, cpu, rss.peak_mb, (out + err).strip().splitlines()[-1]


def _check(engine: Engine, owner: dict[str, int], n: int, templates: list[str]) -> str:
    totals: dict[str, Decimal] = {}
    with engine.connect() as conn:
        for sid, total in conn.execute(
            select(invoices.c.subscription_id, invoices.c.total)
            .where(invoices.c.environment == ENV,
                   invoices.c.billing_key.like("%2026-02-01%"))
        ):
            if sid in totals:
                raise AssertionError(f"{sid} billed twice for 2026-02-01")
            totals[sid] = total
        line_count = conn.execute(text(
            "SELECT count(*) FROM invoice_lines l JOIN invoices i ON i.environment = "
            "l.environment AND i.id = l.invoice_id WHERE i.billing_key LIKE '%2026-02-01%'"
        )).scalar_one()
        issued = conn.execute(text(
            "SELECT count(*) FROM invoices WHERE billing_key LIKE '%2026-02-01%' "
            "AND status = 'issued'")).scalar_one()
    if len(totals) != n:
        raise AssertionError(f"{len(totals)} invoices for {n} subscriptions")
    expected = [totals[t] for t in templates]
    # A: 100.00 for February in advance + 5 calls x 0.10; B: (49.00 + 3 calls x 0.50) + 20% tax;
    # C: 30 units on the 0.05 volume tier; D: 2 x 250.00 in advance.
    if expected != TEMPLATE_TOTALS:
        raise AssertionError(f"templates billed {expected}, expected {TEMPLATE_TOTALS}")
    wrong = [sid for sid, t in owner.items() if totals[sid] != expected[t]]
    if wrong:
        raise AssertionError(f"{len(wrong)} totals differ from their template's, e.g. {wrong[0]}")
    return (f"{n:,} invoices, {line_count:,} lines, {issued:,} issued; totals per template "
            f"{', '.join(format(e, 'f') for e in expected)} (every copy equal)")


def bench(backend: str, n: int, pg_url: str) -> dict[str, Any]:
    with scratch_database(backend, pg_url) as url:
        engine = make_engine(url)
        upgrade(engine)
        kassa = build(Settings(database_url=url, embedded_worker=False))
        key = keys.create_key(engine, ENV, "bench")[1]
        t0 = time.perf_counter()
        with TestClient(create_app(kassa), headers={"Authorization": f"Bearer {key}"}) as api:
            templates = _templates(api)
            owner = _clone(engine, templates, n)
            with engine.connect() as conn:
                customer_ids = list(conn.execute(
                    select(subscriptions.c.customer_id).where(
                        subscriptions.c.environment == ENV)).scalars())
            stored = _events(engine, customer_ids)
            _analyze(engine)
            _ok(api.post("/clock/freeze", json={"at": BILLING_DATE}))
        kassa.close()
        engine.dispose()
        seeded = time.perf_counter() - t0
        wall, cpu, rss, said = _billing_run(url)
        rerun_wall, rerun_cpu, rerun_rss, rerun_said = _billing_run(url)
        if not rerun_said.startswith("Billed 0 invoices"):
            raise AssertionError(f"the re-run billed again: {rerun_said}")
        engine = make_engine(url)
        checked = _check(engine, owner, n, templates)
        engine.dispose()
    return {"backend": backend, "n": n, "events": stored, "seeded": seeded, "wall": wall,
            "cpu": cpu, "rerun_cpu": rerun_cpu, "rss": rss, "said": said, "rerun_wall": rerun_wall, "rerun_rss": rerun_rss,
            "checked": checked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql"])
    parser.add_argument("--database-url", default=DEFAULT_PG_URL,
                        help="PostgreSQL server to create the scratch databases on")
    args = parser.parse_args()
    print(f"billing run benchmark; {machine_load()}", flush=True)
    for backend in args.backends:
        for n in args.subscriptions:
            r = bench(backend, n, args.database_url)
            net = r["wall"] - r["rerun_wall"]
            print(
                f"{backend:10} {n:>7,} subscriptions ({r['events']:,} events, seeded in "
                f"{r['seeded']:.0f} s): {r['said']}\n"
                f"           run {r['wall']:.2f} s → {n / r['wall']:,.0f} invoices/s "
                f"(net of the {r['rerun_wall']:.2f} s baseline: {n / max(net, 1e-9):,.0f}/s), "
                f"peak RSS {r['rss']:.0f} MB (baseline {r['rerun_rss']:.0f} MB)\n"
                f"           CPU {r['cpu']:.2f} s (baseline {r['rerun_cpu']:.2f} s): "
                f"{n / max(r['cpu'] - r['rerun_cpu'], 1e-9):,.0f} invoices per CPU second\n"
                f"           re-run billed nothing; {r['checked']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
