"""Shared by the benchmarks: scratch databases, a real ``kassa serve``, RSS sampling, events."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def scratch_database(backend: str, pg_url: str) -> Iterator[str]:
    """A fresh empty database URL, removed afterwards (PostgreSQL: created and dropped)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="kassa-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    name = f"kassa_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def kassa_server(database_url: str, workers: int) -> Iterator[tuple[str, int]]:
    """``kassa serve`` on a free loopback port; yields (base URL, server pid)."""
    port = free_port()
    env = {
        **os.environ,
        "KASSA_DATABASE_URL": database_url,
        "KASSA_LOG_LEVEL": "warning",
        "KASSA_WORKERS": str(workers),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "kassa.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"kassa serve exited: {proc.stderr.read()}")  # type: ignore
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("kassa serve did not become healthy in 60 s")
            time.sleep(0.1)
        if workers > 1:  # every worker answers before the clock starts
            time.sleep(1.5)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's worker processes)."""
    found = [pid]
    for child_pid in found:
        try:
            with open(f"/proc/{child_pid}/task/{child_pid}/children") as f:
                found += [int(p) for p in f.read().split()]
        except OSError:
            continue
    return found


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples the summed RSS of a process tree every 50 ms; ``peak_mb`` is the highest sum."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = sum(_rss_kb(p) for p in _tree(self.pid))
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(0.05)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


@dataclass(frozen=True)
class Stream:
    """``n`` events in sending order, ``duplicates`` of them repeats of earlier unique_ids."""

    n: int
    duplicates: int
    run: str
    accounts: list[str]
    seed: int
    now: datetime

    @property
    def distinct(self) -> int:
        return self.n - self.duplicates

    def source_index(self) -> list[int]:
        """For each position, the index of the distinct event sent there."""
        rng = random.Random(self.seed)
        dup_positions = set(rng.sample(range(1, self.n), self.duplicates)) if self.duplicates \
            else set()
        order: list[int] = []
        next_new = 0
        for position in range(self.n):
            if position in dup_positions and next_new > 0:
                # mostly recent events (same or previous batches), sometimes much older ones
                back = rng.randint(1, 2000) if rng.random() < 0.8 else rng.randint(1, next_new)
                order.append(max(0, next_new - back))
            else:
                order.append(next_new)
                next_new += 1
        return order

    def event(self, i: int) -> dict[str, Any]:
        """Distinct event ``i`` (deterministic)."""
        rng = random.Random(self.seed * 1_000_003 + i)
        at = self.now - timedelta(seconds=rng.randint(60, 25 * 86400), microseconds=rng.randint(
            0, 999_999))
        return {
            "account": self.accounts[i % len(self.accounts)],
            "event_name": ("api_call", "storage", "compute")[i % 3],
            "unique_id": f"evt_{self.run}_{i:08d}",
            "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "properties": {
                "region": ("eu-west", "us-east", "ap-south")[rng.randint(0, 2)],
                "bytes": rng.randint(0, 10_000_000),
                "duration_ms": round(rng.uniform(0.5, 900.0), 2),
                "cached": rng.random() < 0.3,
                "path": f"/v1/items/{rng.randint(1, 5000)}",
            },
        }


def make_stream(n: int, duplicate_rate: float, accounts: list[str], seed: int = 7) -> Stream:
    return Stream(
        n=n,
        duplicates=int(round(n * duplicate_rate)),
        run=uuid.uuid4().hex[:6],
        accounts=accounts,
        seed=seed,
        now=datetime.now(UTC),
    )


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[index]


def machine_load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def cpu_of_tree(pid: int) -> float:
    """User + system CPU seconds used so far by ``pid`` and its live descendants."""
    return sum(_cpu_seconds(p) for p in _tree(pid))


def cpu_of_postgres() -> float:
    """CPU seconds used so far by every PostgreSQL server process on this machine."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() in {"postgres", "postmaster"}:
                        total += _cpu_seconds(int(entry))
            except OSError:
                continue
    return total
