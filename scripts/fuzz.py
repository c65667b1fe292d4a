"""The bounded fuzz run (`make fuzz`): schemathesis against a real `kassa serve`, per backend.

For each backend (SQLite always; PostgreSQL when KASSA_TEST_POSTGRES_URL is set, in a database
of its own that is dropped afterwards) it migrates an empty database, makes a sandbox API key,
starts the server with its embedded worker on a free loopback port, and runs
`schemathesis run` with `schemathesis.toml` (fixed seed and budget, every phase: examples,
coverage, fuzzing, stateful). The run fails when schemathesis reports a failure, or when the
server logged a traceback (an error the responses might not show).

    .venv/bin/python scripts/fuzz.py                      # every backend configured
    .venv/bin/python scripts/fuzz.py --backend sqlite --max-examples 20
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CONFIG = ROOT / "schemathesis.toml"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _database(backend: str, workdir: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'kassa.db'}"
        return
    admin_url = os.environ["KASSA_TEST_POSTGRES_URL"]
    name = f"kassa_fuzz_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _wait_until_up(base: str, server: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"kassa serve exited with {server.returncode} before answering")
        try:
            if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"kassa serve did not answer on {base} within {timeout:.0f} s")


def _kassa(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """Run a kassa command; its output, or exit saying what it printed."""
    done = subprocess.run([BIN / "kassa", *args], env=env, capture_output=True, text=True,
                          cwd=cwd)
    if done.returncode != 0:
        raise SystemExit(f"kassa {' '.join(args)} failed ({done.returncode}):\n"
                         f"{done.stdout}{done.stderr}")
    return done.stdout


def run_backend(backend: str, extra: list[str]) -> bool:
    with tempfile.TemporaryDirectory(prefix=f"kassa-fuzz-{backend}-") as tmp:
        workdir = Path(tmp)
        with _database(backend, workdir) as url:
            env = {**os.environ, "KASSA_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
            _kassa(["db", "upgrade"], env, workdir)
            key = _kassa(["keys", "create", "--environment", "sandbox", "--name", "fuzz"],
                         env, workdir).strip()
            port = _free_port()
            base = f"http://127.0.0.1:{port}"
            log_path = workdir / "serve.log"
            with log_path.open("wb") as log:
                server = subprocess.Popen(
                    [BIN / "kassa", "serve", "--port", str(port)], env=env, cwd=workdir,
                    stdout=log, stderr=subprocess.STDOUT,
                )
                try:
                    _wait_until_up(base, server)
                    started = time.monotonic()
                    print(f"== schemathesis on {backend} ({base})", flush=True)
                    result = subprocess.run(
                        [BIN / "schemathesis", "--config-file", str(CONFIG), "--no-color",
                         "run", f"{base}/openapi.json",
                         "--header", f"Authorization: Bearer {key}", *extra],
                        cwd=workdir,
                    )
                    took = time.monotonic() - started
                finally:
                    server.terminate()
                    try:
                        server.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        server.kill()
            served = log_path.read_text(errors="replace")
            tracebacks = served.count("Traceback (most recent call last)")
            print(f"== {backend}: schemathesis exit {result.returncode} in {took:.0f} s; "
                  f"server tracebacks: {tracebacks}", flush=True)
            if tracebacks:
                start = served.index("Traceback (most recent call last)")
                print(served[start:start + 4000])
            return result.returncode == 0 and tracebacks == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], action="append",
                        help="default: sqlite, and postgres when KASSA_TEST_POSTGRES_URL is set")
    parser.add_argument("--max-examples", type=int, help="override schemathesis.toml's budget")
    parser.add_argument("--phases", help="e.g. examples,coverage,fuzzing,stateful")
    args = parser.parse_args()
    backends = args.backend or (
        ["sqlite", "postgres"] if os.environ.get("KASSA_TEST_POSTGRES_URL") else ["sqlite"]
    )
    extra: list[str] = []
    if args.max_examples:
        extra += ["--max-examples", str(args.max_examples)]
    if args.phases:
        extra += ["--phases", args.phases]
    verdicts = {backend: run_backend(backend, extra) for backend in backends}
    for backend, ok in verdicts.items():
        print(f"fuzz {backend}: {'passed' if ok else 'FAILED'}")
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
