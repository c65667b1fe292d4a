"""A real Kassa server for browser tests: uvicorn on a free loopback port, in a thread of the
test process, on a scratch database of its own; and a wall clock the tests can move."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn

from kassa.bootstrap import Kassa, asgi_app, build
from kassa.clock import utcnow
from kassa.config import Settings
from kassa.services import keys, users
from kassa.store.engine import make_engine
from kassa.store.migrate import upgrade

PASSWORD = "correct horse battery staple"


@dataclass
class MovableClock:
    """Real time plus an offset the test moves forward (session expiry, throttling); with
    ``start``, time stands still at ``start`` plus the offset."""

    start: datetime | None = None
    offset: timedelta = timedelta(0)
    frozen = False

    def now(self) -> datetime:
        return (self.start or datetime.now(UTC)) + self.offset

    def move(self, by: timedelta) -> None:
        self.offset += by


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    kassa: Kassa
    url: str
    clock: MovableClock
    _server: uvicorn.Server
    _thread: threading.Thread
    created: list[str] = field(default_factory=list)

    def user(self, role: str, password: str = PASSWORD) -> str:
        """A new user of ``role`` (with ``password``); returns its email."""
        email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
        users.create_user(self.kassa.engine, email, role, utcnow(), password)
        return email

    def key(self, environment: str) -> str:
        return keys.create_key(self.kassa.engine, environment, f"test {uuid.uuid4().hex[:6]}")[1]

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self.kassa.close()


def start(database_url: str) -> Server:
    settings = Settings(database_url=database_url, embedded_worker=False, log_level="warning")
    kassa = build(settings, engine=make_engine(database_url, pool_size=5))
    upgrade(kassa.engine)
    clock = MovableClock()
    kassa.wall_clock = clock
    port = free_port()
    config = uvicorn.Config(asgi_app(kassa), host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"kassa-web-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the Kassa server did not start")
        time.sleep(0.02)
    return Server(kassa, f"http://127.0.0.1:{port}", clock, server, thread)


def form_token(html: str) -> Any:
    """The CSRF token of a page (its first hidden csrf_token field)."""
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field on the page"
    return found.group(1)
