"""A billing run killed mid-way (a real process, SIGKILL) and run again bills every
subscription-period exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kassa.store.engine import reader
from kassa.store.tables import invoices
from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok

SUBSCRIPTIONS = 120
_SLOW_RUN = (
    "import time\n"
    "from kassa.services.billing import run\n"
    "bill = run.bill\n"
    "def slow_bill(*args):\n"
    "    done = bill(*args)\n"
    "    time.sleep(0.02)\n"
    "    return done\n"
    "run.bill = slow_bill\n"
    "from kassa.cli import app\n"
    "app()\n"
)


def _count(engine) -> int:
    # A reader (plain BEGIN): on SQLite it never waits for the run's write lock.
    with reader(engine) as conn:
        return conn.execute(select(func.count()).select_from(invoices)).scalar_one()


def test_killed_billing_run_bills_each_period_once(kassa, api: TestClient, database_url: str) -> None:
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    ok(api.post("/products", json={"id": sc.PLATFORM, "name": "Platform", "fee_type": "fixed",
                                   "billing_frequency": "recurring"}), 201)
    for n in range(SUBSCRIPTIONS):
        ok(api.post("/customers", json={"id": f"crash{n:04d}", "name": f"C{n}"}), 201)
        ok(api.post("/subscriptions", json={
            "customer_id": f"crash{n:04d}", "currency": "USD", "auto_activate": True,
            "contract": {"period_type": "monthly_rolling", "start_date": "2026-07-01"},
            "items": [{"product_id": sc.PLATFORM, "price": sc.fixed(f"{n + 1}.00", "advance")}],
        }), 201)
    assert _count(kassa.engine) == SUBSCRIPTIONS  # July, billed at activation
    # Move the clock without running due work: August is due for everyone.
    ok(api.post("/clock/freeze", json={"at": "2026-08-01T00:00:00Z"}))
    env = {**os.environ, "KASSA_DATABASE_URL": database_url, "KASSA_BILLING_CHUNK_SIZE": "2"}
    command = [sys.executable, "-m", "kassa.cli", "billing", "run", "--environment", "sandbox"]
    # The first run is the real command, slowed down inside each chunk's transaction (after
    # its invoices are written, before the commit) so that the kill lands mid-run however fast
    # the run is on this machine.
    slowed = [sys.executable, "-c", _SLOW_RUN, "billing", "run", "--environment", "sandbox"]
    proc = subprocess.Popen(slowed, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _count(kassa.engine) == SUBSCRIPTIONS and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    billed_before_restart = _count(kassa.engine) - SUBSCRIPTIONS
    assert 0 < billed_before_restart < SUBSCRIPTIONS, billed_before_restart
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"Billed {SUBSCRIPTIONS - billed_before_restart} invoices" in done.stderr
    with kassa.engine.connect() as conn:
        rows = conn.execute(select(invoices.c.subscription_id, invoices.c.billing_period_start,
                                   invoices.c.total)).all()
    assert len(rows) == 2 * SUBSCRIPTIONS
    per_period = {(r.subscription_id, r.billing_period_start) for r in rows}
    assert len(per_period) == 2 * SUBSCRIPTIONS  # no subscription-period twice
    # Running again finds nothing to bill.
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert "Billed 0 invoices" in again.stderr
