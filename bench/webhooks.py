"""Webhook delivery benchmark: deliveries/s to a local receiver and event → delivery lag.

    .venv/bin/python bench/webhooks.py                      # SQLite file in a temp dir
    .venv/bin/python bench/webhooks.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Three measurements in one run, against the same receiver (bench/receiver.py, its own process,
checking every signature):

1. baseline: a plain httpx loop POSTing signed bodies from the same number of threads: the most
   the HTTP stack alone can do here;
2. throughput: N events committed at once, then the worker (the same ``Worker`` that
   ``kassa worker`` runs, in this process) dispatches and delivers them: deliveries/s from start
   to last delivery; with ``--processes P``, also P ``kassa worker`` processes sharing the work;
3. lag: events committed one per transaction at a steady rate while the worker runs; lag is the
   receiver's arrival time minus the event's timestamp (p50/p99).

The database is a fresh one (the PostgreSQL URL names a server: a scratch database is created
there and dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kassa.bootstrap import build
from kassa.config import Settings
from kassa.services import webhook_endpoints
from kassa.store.migrate import upgrade
from kassa.webhooks.signing import signature_headers
from kassa.worker import Worker

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_receiver(secret: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(HERE / "receiver.py"), str(port), secret])
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            _probe.get(url + "/stats")
            return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("the receiver did not start")


_probe = httpx.Client(timeout=30)  # one client: building one per poll costs the worker CPU


def stats(url: str, path: str = "/stats") -> dict:
    return _probe.get(url + path).json()


def reset(url: str) -> None:
    _probe.delete(url + "/stats")


def wait_for(url: str, count: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stats(url)["distinct"] >= count:
            return time.monotonic()
        time.sleep(0.05)
    raise SystemExit(f"timed out: {stats(url)['distinct']} of {count} delivered")


def baseline(url: str, secret: str, n: int, threads: int) -> float:
    """Requests/s of a plain httpx loop: same client settings, same bodies, same signing."""
    client = httpx.Client(timeout=15)
    body = b'{"type":"customer.created","timestamp":"2026-07-01T00:00:00Z","data":{"id":"x"}}'
    counter = iter(range(n))
    lock = threading.Lock()

    def loop() -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            headers = signature_headers(f"msg_base{i}", int(time.time()), body, [secret])
            client.post(url + "/hooks", content=body, headers=headers).raise_for_status()

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    started = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - started
    client.close()
    return n / elapsed


def worker_processes(database_url: str, n: int, threads: int) -> list[subprocess.Popen]:
    env = {**os.environ, "KASSA_DATABASE_URL": database_url, "KASSA_WORKER_POLL_SECONDS": "0.05",
           "KASSA_LOG_LEVEL": "warning"}
    return [
        subprocess.Popen([sys.executable, "-m", "kassa.cli", "worker", "--concurrency",
                          str(threads)], env=env, stderr=subprocess.DEVNULL)
        for _ in range(n)
    ]


def emit(kassa, n: int) -> None:
    with kassa.ctx("sandbox").uow() as uow:
        for i in range(n):
            uow.emit("customer.created", {"id": f"c{i}", "name": f"Customer {i}"})
        uow.commit()


def throughput_in_process(kassa, url: str, events: int, threads: int) -> float:
    """Deliveries/s of one in-process worker working off ``events`` committed at once."""
    emit(kassa, events)
    worker = Worker(kassa, concurrency=threads, environments=["sandbox"])
    started = time.monotonic()
    worker.start()
    try:
        finished = wait_for(url, events, timeout=600)
    finally:
        worker.stop()
        worker.join(30)
    reset(url)
    return events / (finished - started)


def throughput_processes(kassa, url: str, database_url: str, args: argparse.Namespace) -> float:
    """The same with ``kassa worker`` processes, timed from their first delivery (so their
    start-up does not count)."""
    emit(kassa, args.events)
    procs = worker_processes(database_url, args.processes, args.concurrency)
    try:
        started = wait_for(url, 1, timeout=60)
        already = stats(url)["distinct"]
        finished = wait_for(url, args.events, timeout=600)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
    reset(url)
    return (args.events - already) / (finished - started)


def lag(kassa, url: str, rate: int, seconds: float, threads: int) -> dict:
    """Events committed one per transaction at ``rate``/s while a worker runs in this process
    (as in `kassa serve`: a commit wakes it); the receiver's lags."""
    worker = Worker(kassa, concurrency=threads, environments=["sandbox"])
    worker.start()
    total = int(rate * seconds)
    paced_from = time.monotonic()
    try:
        for i in range(total):
            with kassa.ctx("sandbox").uow() as uow:
                uow.emit("customer.updated", {"id": f"c{i}"})
                uow.commit()
            time.sleep(max(0.0, paced_from + (i + 1) / rate - time.monotonic()))
        wait_for(url, total, timeout=120)
    finally:
        worker.stop()
        worker.join(30)
    return stats(url, "/lags")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def scratch_database(url: str | None, tmp: Path) -> tuple[str, callable]:
    if url is None:
        return f"sqlite:///{tmp / 'bench.db'}", lambda: None
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"kassa_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rate", type=int, default=200, help="events/s in the lag phase")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the lag phase")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--processes", type=int, default=0,
                        help="also measure P `kassa worker` processes (throughput only)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        database_url, drop = scratch_database(args.database_url, Path(tmp))
        settings = Settings(database_url=database_url, embedded_worker=False,
                            worker_poll_seconds=0.2)
        kassa = build(settings)
        upgrade(kassa.engine)
        receiver = None
        try:
            # The receiver needs the secret, so the endpoint comes first (any port: it is
            # re-pointed once the receiver runs).
            endpoint = webhook_endpoints.create_endpoint(
                kassa.ctx("sandbox"), {"url": "http://127.0.0.1:9/hooks"}
            )
            receiver, url = start_receiver(endpoint["secret"])
            webhook_endpoints.update_endpoint(kassa.ctx("sandbox"), endpoint["id"],
                                              {"url": url + "/hooks"})
            print(f"database: {kassa.engine.dialect.name}; worker threads: {args.concurrency}; "
                  f"cpus: {os.cpu_count()}")

            base = baseline(url, endpoint["secret"], args.events, args.concurrency)
            reset(url)
            print(f"baseline  plain httpx loop, {args.concurrency} threads: {base:8.0f} requests/s")

            rate = throughput_in_process(kassa, url, args.events, args.concurrency)
            print(f"kassa     {args.events} events, 1 worker × {args.concurrency} threads: "
                  f"{rate:6.0f} deliveries/s ({rate / base:.0%} of baseline)")
            if args.processes:
                rate = throughput_processes(kassa, url, database_url, args)
                print(f"kassa     {args.events} events, {args.processes} `kassa worker` "
                      f"processes × {args.concurrency} threads: {rate:6.0f} deliveries/s "
                      f"({rate / base:.0%} of baseline)")
            got = lag(kassa, url, args.rate, args.seconds, args.concurrency)
            lags = [x * 1000 for x in got["lags"]]
            print(f"lag       {len(lags)} events at {args.rate}/s, event → delivery: "
                  f"p50 {pct(lags, 0.50):.1f} ms, p99 {pct(lags, 0.99):.1f} ms, "
                  f"max {max(lags):.1f} ms (mean {statistics.fmean(lags):.1f} ms)")
            print(f"receiver  bad signatures: {got['bad_signatures']}, "
                  f"duplicates: {got['duplicates']}")
        finally:
            if receiver is not None:
                receiver.terminate()
                receiver.wait(10)
            kassa.close()
            drop()


if __name__ == "__main__":
    main()
