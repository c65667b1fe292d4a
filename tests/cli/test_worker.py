"""Real worker processes: SIGKILL mid-delivery loses nothing, SIGTERM finishes what it holds,
two workers share 1,000 events on PostgreSQL, and `kassa serve` delivers on its own."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from kassa.services import customers, webhook_endpoints
from kassa.store.engine import reader
from kassa.store.tables import outbox_deliveries, webhook_attempts, webhook_messages
from tests.cli.serving import wait_until_healthy

KASSA = [sys.executable, "-m", "kassa.cli"]


def _worker(database_url: str, *args: str, lease: float = 2.0, batch: int = 20) -> subprocess.Popen:
    env = {
        **os.environ,
        "KASSA_DATABASE_URL": database_url,
        "KASSA_WORKER_LEASE_SECONDS": str(lease),
        "KASSA_WORKER_POLL_SECONDS": "0.1",
        "KASSA_WORKER_BATCH_SIZE": str(batch),
        "KASSA_LOG_LEVEL": "warning",
    }
    return subprocess.Popen(KASSA + ["worker", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _terminate(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    return stderr


def _setup(kassa, receiver, events: int) -> dict:
    ctx = kassa.ctx("sandbox")
    endpoint = webhook_endpoints.create_endpoint(ctx, {"url": receiver.url})
    receiver.secrets.append(endpoint["secret"])
    for i in range(events):
        customers.create_customer(ctx, {"name": f"Customer {i}"})
    return endpoint


def _count(kassa, table, *where) -> int:
    with reader(kassa.engine) as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_a_worker_killed_mid_delivery_loses_nothing(kassa, receiver, database_url: str) -> None:
    release = threading.Event()

    def respond(request) -> int:
        if len(receiver.requests) == 1:
            release.wait(10)  # the first delivery hangs until the worker is dead
        return 200

    receiver.respond = respond
    _setup(kassa, receiver, events=5)
    worker = _worker(database_url, "--concurrency", "1")
    try:
        assert receiver.wait_for(lambda: len(receiver.requests) >= 1, timeout=30), worker.stderr
        worker.kill()  # SIGKILL in the middle of a delivery
        worker.wait(10)
    finally:
        release.set()
    first = receiver.requests[0].message_id
    assert _count(kassa, webhook_attempts) == 0  # the killed attempt was never recorded
    assert _count(kassa, webhook_messages, webhook_messages.c.status == "pending") == 5

    restarted = _worker(database_url, "--concurrency", "1")
    try:
        # The dead worker's jobs come back once their 2 s lease has run out.
        assert receiver.wait_for(lambda: len(receiver.distinct()) == 5, timeout=30)
        assert receiver.wait_for(
            lambda: _count(kassa, webhook_messages, webhook_messages.c.status == "succeeded") == 5
        )
    finally:
        _terminate(restarted)
    assert all(r.verified and r.svix_verified for r in receiver.requests)
    assert receiver.duplicates() == 1  # at-least-once: the interrupted one went out again
    assert [r.message_id for r in receiver.requests].count(first) == 2
    assert _count(kassa, webhook_attempts) == 5
    assert _count(kassa, webhook_attempts, webhook_attempts.c.succeeded.is_(True)) == 5
    assert _count(kassa, outbox_deliveries) == 0  # every event dispatched


def test_sigterm_finishes_the_delivery_in_hand(kassa, receiver, database_url: str) -> None:
    started = threading.Event()

    def respond(request) -> int:
        started.set()
        time.sleep(1.0)
        return 200

    receiver.respond = respond
    _setup(kassa, receiver, events=3)
    worker = _worker(database_url, "--concurrency", "1", lease=60)
    assert started.wait(30)
    stderr = _terminate(worker)
    assert "SIGTERM, finishing the work in hand" in stderr
    # The attempt in flight was completed and recorded; the rest were handed back, not held.
    assert _count(kassa, webhook_messages, webhook_messages.c.status == "succeeded") == 1
    from kassa.store.tables import jobs

    assert _count(kassa, jobs, jobs.c.status == "running") == 0
    assert _count(kassa, jobs, jobs.c.status == "queued") == 2


def test_two_workers_share_a_thousand_events_on_postgresql(
    kassa, receiver, database_url: str, pg_only, record_property
) -> None:
    endpoint = _setup(kassa, receiver, events=0)
    ctx = kassa.ctx("sandbox")
    with ctx.uow() as uow:
        for i in range(1000):
            uow.emit("customer.created", {"id": f"c{i:04d}", "name": f"Customer {i}"})
        uow.commit()
    workers = [_worker(database_url, "--concurrency", "2", batch=10) for _ in range(2)]
    t0 = time.monotonic()
    try:
        assert receiver.wait_for(lambda: len(receiver.requests) > 0, timeout=30)
        t1 = time.monotonic()
        assert receiver.wait_for(lambda: len(receiver.distinct()) == 1000, timeout=90)
        print(f"first delivery after {t1 - t0:.1f}s, all after {time.monotonic() - t0:.1f}s")
        assert receiver.wait_for(
            lambda: _count(kassa, webhook_messages, webhook_messages.c.status == "succeeded")
            == 1000
        )
    finally:
        logs = [_terminate(w) for w in workers]
    delivered = [int(re.search(r"webhook\.deliver=(\d+)", log).group(1)) for log in logs]
    assert all(n > 0 for n in delivered), logs  # both did part of the work
    assert sum(delivered) >= 1000
    assert _count(kassa, webhook_messages) == 1000  # one message per event, none twice
    assert _count(kassa, outbox_deliveries) == 0  # every event dispatched
    assert all(r.verified for r in receiver.requests)
    bodies = {r.payload["data"]["id"] for r in receiver.requests}
    assert bodies == {f"c{i:04d}" for i in range(1000)}
    duplicates = receiver.duplicates()
    record_property("webhook_duplicates", duplicates)
    print(f"\n2 workers delivered 1000 messages ({delivered[0]} + {delivered[1]} attempts); "
          f"duplicate deliveries: {duplicates}")
    assert sum(delivered) == 1000 + duplicates
    assert api_messages_ok(kassa, endpoint["id"])


def api_messages_ok(kassa, endpoint_id: str) -> bool:
    """Every message has exactly one (successful) attempt recorded."""
    with reader(kassa.engine) as conn:
        rows = conn.execute(
            select(webhook_messages.c.attempts).where(webhook_messages.c.endpoint_id == endpoint_id)
        ).scalars().all()
    return len(rows) == 1000 and set(rows) == {1}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_alone_delivers_webhooks(tmp_path: Path, receiver) -> None:
    port = _free_port()
    env = {**os.environ, "KASSA_DATABASE_URL": "sqlite:///./kassa.db",
           "KASSA_WORKER_POLL_SECONDS": "0.1"}
    proc = subprocess.Popen(KASSA + ["serve", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watchdog = threading.Timer(60, proc.kill)  # a serve that never starts ends the read
    watchdog.daemon = True
    watchdog.start()
    try:
        output = ""
        while "Kassa is serving" not in output:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            assert line, output
            output += line
        watchdog.cancel()
        key = re.search(r"sk_test_[A-Za-z0-9]{40}", output).group(0)  # type: ignore[union-attr]
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}",
                              headers={"Authorization": f"Bearer {key}"})
        wait_until_healthy(f"http://127.0.0.1:{port}")
        endpoint = client.post("/webhook-endpoints", json={"url": receiver.url}).json()
        receiver.secrets.append(endpoint["secret"])
        customer = client.post("/customers", json={"name": "Acme"}).json()
        assert receiver.wait_for(lambda: len(receiver.requests) == 1, timeout=15)
        assert receiver.requests[0].verified
        assert receiver.requests[0].payload["data"] == customer
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.parametrize("flag, embedded", [([], True), (["--no-worker"], False)])
def test_serve_runs_an_embedded_worker_unless_told_not_to(
    tmp_path: Path, monkeypatch, flag, embedded
) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from kassa.cli import app

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda asgi, **kw: served.update(app=asgi))
    monkeypatch.setenv("KASSA_DATABASE_URL", f"sqlite:///{tmp_path}/k.db")
    monkeypatch.delenv("KASSA_EMBEDDED_WORKER", raising=False)
    result = CliRunner().invoke(app, ["serve", *flag])
    assert result.exit_code == 0, result.output
    assert served["app"].state.kassa.settings.embedded_worker is embedded
