"""A ``kassa worker`` killed with SIGKILL in the middle of an automation (a real process, while
the SMTP server has not answered yet) and started again: every execution resumes at its step,
before and after a delay, and each email arrives exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from kassa.store.engine import reader
from kassa.store.tables import automation_executions
from tests.automations.helpers import activate, advance, execution, executions
from tests.channels.smtp import SmtpServer
from tests.scenarios.seed_catalog import ok

CUSTOMERS = 12
KASSA = [sys.executable, "-m", "kassa.cli"]
WELCOME = {
    "name": "Welcome, then check in", "trigger": {"type": "event", "event": "customer.created"},
    "steps": [
        {"type": "action", "action": "send_email", "template": "welcome",
         "to": "{{trigger.customer.email}}"},
        {"type": "delay", "duration": "1d"},
        {"type": "action", "action": "send_email", "template": "welcome_check_in",
         "to": "{{trigger.customer.email}}"},
    ],
}


class HoldingSmtpServer(SmtpServer):
    """Never answers the ``hold_at``-th message: it waits until its sender goes away (like a
    real mail server, it then has accepted nothing), or answers 451 once ``release`` is set."""

    def __post_init__(self) -> None:
        self.hold_at: int | None = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self.dropped = 0
        self._seen = 0
        super().__post_init__()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self._seen += 1
        if self._seen != self.hold_at:
            return await super().handle_DATA(server, session, envelope)
        self.holding.set()
        try:
            while not self.release.is_set():
                await asyncio.sleep(0.01)
        except asyncio.CancelledError:  # the connection was lost
            self.dropped += 1
            raise
        return "451 Not accepted"


@pytest.fixture
def smtp_server():
    server = HoldingSmtpServer()
    yield server
    server.release.set()
    server.close()


def _worker(database_url: str, smtp_server: SmtpServer) -> subprocess.Popen:
    env = {
        **os.environ,
        "KASSA_DATABASE_URL": database_url,
        "KASSA_SMTP_URL": smtp_server.url(),
        "KASSA_EMAIL_FROM": "Kassa <billing@kassa.test>",
        "KASSA_WORKER_LEASE_SECONDS": "2",
        "KASSA_WORKER_POLL_SECONDS": "0.1",
        "KASSA_LOG_LEVEL": "warning",
    }
    return subprocess.Popen(KASSA + ["worker", "--concurrency", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _kill_while_held(smtp_server: HoldingSmtpServer, worker: subprocess.Popen,
                     at: int) -> None:
    """SIGKILL ``worker`` while the server holds its answer to the ``at``-th message."""
    smtp_server.holding.clear()
    smtp_server.hold_at = at
    dropped = smtp_server.dropped
    try:
        assert smtp_server.holding.wait(60), worker.stderr
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    assert smtp_server.wait_for(lambda: smtp_server.dropped == dropped + 1)


def _restart_until(kassa, database_url: str, smtp_server: SmtpServer, status: str) -> None:
    """A new worker, until every execution is ``status``; then stopped (SIGTERM)."""
    worker = _worker(database_url, smtp_server)
    try:
        assert smtp_server.wait_for(lambda: _statuses(kassa)[status] == CUSTOMERS, 60), \
            _statuses(kassa)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stderr


def _statuses(kassa) -> Counter[str]:
    with reader(kassa.engine) as conn:
        rows = conn.execute(select(automation_executions.c.status,
                                   func.count()).group_by(automation_executions.c.status)).all()
    return Counter({status: count for status, count in rows})


def _sent(smtp_server: SmtpServer, subject: str) -> Counter[str]:
    """How many times each recipient got ``subject``."""
    return Counter(address for m in smtp_server.messages if m.message["Subject"] == subject
                   for address in m.rcpt_tos)


def test_a_killed_worker_resumes_each_execution_and_mails_once(
        kassa, api, database_url: str, smtp_server: HoldingSmtpServer) -> None:
    automation = ok(api.post("/automations", json=WELCOME), 201)
    activate(api, automation["id"])
    ok(api.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))
    advance(api, "2026-12-01T00:00:01Z")  # the automations consumer starts
    everyone = {f"person{n:02d}@crash.test" for n in range(CUSTOMERS)}
    for address in sorted(everyone):
        ok(api.post("/customers", json={"name": address.split("@")[0], "email": address}), 201)

    # The worker dispatches the events, starts the executions and sends the welcome emails;
    # it is killed while the server holds its answer to the fifth.
    worker = _worker(database_url, smtp_server)
    _kill_while_held(smtp_server, worker, at=5)
    assert len(smtp_server.messages) == 4 and smtp_server.dropped == 1
    # The four sent are recorded sent. The killed batch's steps are recorded as started, their
    # emails queued (a batch of step jobs starts its actions in one transaction, then sends):
    # the held one and those after it; the restart sends those.
    sent = ok(api.get("/emails", params={"status": "sent"}))["data"]
    assert len(sent) == 4
    queued = ok(api.get("/emails", params={"status": "queued", "limit": 100}))["data"]
    assert 1 <= len(queued) <= CUSTOMERS - 4
    # Their executions show as running: the step started, its outcome not recorded.
    assert {execution(api, automation["id"], e["source"]["execution_id"])["status"]
            for e in queued} == {"running"}
    _restart_until(kassa, database_url, smtp_server, "waiting")
    welcomed = Counter(a for m in smtp_server.messages for a in m.rcpt_tos)
    assert welcomed == Counter({address: 1 for address in everyone})
    message_ids = [m.message["Message-ID"] for m in smtp_server.messages]
    for email in queued + sent:
        assert ok(api.get(f"/emails/{email['id']}"))["status"] == "sent"
        assert message_ids.count(f"<{email['id']}@kassa.test>") == 1

    # A day later (the clock moved without running due work): the workers resume the delayed
    # executions; one is killed mid-send again.
    ok(api.post("/clock/freeze", json={"at": "2026-12-02T00:00:01Z"}))
    worker = _worker(database_url, smtp_server)
    _kill_while_held(smtp_server, worker, at=CUSTOMERS + 1 + 3)  # the fourth check-in
    _restart_until(kassa, database_url, smtp_server, "completed")
    assert smtp_server.dropped == 2
    assert _sent(smtp_server, "How is it going?") == Counter({a: 1 for a in everyone})
    assert len(smtp_server.messages) == 2 * CUSTOMERS
    ids = Counter(m.message["Message-ID"] for m in smtp_server.messages)
    assert len(ids) == 2 * CUSTOMERS and set(ids.values()) == {1}
    runs = executions(api, automation["id"])
    assert len(runs) == CUSTOMERS
    assert {(r["status"], r["stepsExecuted"]) for r in runs} == {("completed", 3)}
    emails = ok(api.get("/emails", params={"limit": 100}))["data"]
    assert len(emails) == 2 * CUSTOMERS and {e["status"] for e in emails} == {"sent"}
