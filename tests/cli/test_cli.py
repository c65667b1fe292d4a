"""The kassa command: keys and serve, as a user runs them."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.cli.serving import wait_until_healthy

KASSA = [sys.executable, "-m", "kassa.cli"]


def run(args: list[str], database_url: str, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "KASSA_DATABASE_URL": database_url}
    return subprocess.run(KASSA + args, env=env, capture_output=True, text=True, timeout=60, **kw)


def test_keys_create_prints_only_the_key(kassa, database_url: str) -> None:
    done = run(["keys", "create", "--environment", "production", "--name", "billing"], database_url)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"sk_live_[A-Za-z0-9]{40}\n", done.stdout)
    listed = run(["keys", "list"], database_url)
    assert "billing" in listed.stdout and done.stdout.strip() not in listed.stdout
    assert done.stdout[:12] in listed.stdout  # the prefix, not the secret


def test_keys_revoke(kassa, database_url: str) -> None:
    from kassa.services import keys

    view, _ = keys.create_key(kassa.engine, "sandbox", "temp")
    done = run(["keys", "revoke", view["id"]], database_url)
    assert done.returncode == 0 and f"Revoked {view['id']}" in done.stderr
    assert keys.list_keys(kassa.engine)[0]["revoked_at"] is not None
    missing = run(["keys", "revoke", "key_nope"], database_url)
    assert missing.returncode == 1 and "API key 'key_nope' was not found." in missing.stderr


def test_bad_settings_fail_clearly(tmp_path: Path) -> None:
    done = run(["keys", "list"], "mysql://nope")
    assert done.returncode == 2
    assert "KASSA_DATABASE_URL" in done.stderr and "Traceback" not in done.stderr
    bad_env = subprocess.run(
        KASSA + ["keys", "list"],
        env={**os.environ, "KASSA_DATABASE_URL": f"sqlite:///{tmp_path}/k.db", "KASSA_PORT": "99999"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad_env.returncode == 2 and "KASSA_PORT" in bad_env.stderr
    bad_env = run(["keys", "create", "--environment", "staging", "--name", "x"], f"sqlite:///{tmp_path}/k.db")
    assert bad_env.returncode == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_on_a_fresh_database_prints_a_working_key(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "KASSA_DATABASE_URL": "sqlite:///./kassa.db"}
    proc = subprocess.Popen(
        KASSA + ["serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            lines.append(line)
            if "Kassa is serving" in line:
                break
        output = "".join(lines)
        key = re.search(r"sk_test_[A-Za-z0-9]{40}", output)
        assert key, output
        assert f"curl -s http://127.0.0.1:{port}/customers -H \"Authorization: Bearer {key.group(0)}\"" in output
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base)
        r = httpx.get(f"{base}/customers", headers={"Authorization": f"Bearer {key.group(0)}"})
        assert r.status_code == 200 and r.json()["data"] == []
        assert (tmp_path / "kassa.db").exists()
    finally:
        proc.terminate()
        proc.wait(10)
    # A second start finds the key: no new one, but the command that makes one, runnable as shown.
    proc = subprocess.Popen(
        KASSA + ["serve", "--port", str(port)], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(3)]  # type: ignore[union-attr]
    finally:
        proc.terminate()
        proc.wait(10)
    output = "".join(lines)
    assert "sk_test_" not in output and "Kassa is serving" in lines[2], output
    assert lines[0] == (
        "This database has API keys already (each was shown once). Make a new one with:\n"
    )
    command = re.fullmatch(r"  (\S+) keys create --environment sandbox --name NAME\n", lines[1])
    assert command, output
    assert command.group(1).endswith("bin/kassa") and (tmp_path / command.group(1)).exists()
