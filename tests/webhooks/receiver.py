"""A real webhook receiver on loopback that verifies every request as a customer would.

Each request is checked with the ``standardwebhooks`` package twice: once with its ``webhook-*``
headers and once with its ``svix-*`` headers renamed, against every secret the test gave it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Received:
    message_id: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    svix_verified: bool
    at: float  # time.monotonic()
    nth: int  # 1 for the first request with this message id

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


def _verify(secrets: list[str], body: bytes, headers: dict[str, str], family: str) -> bool:
    renamed = {
        "webhook-id": headers.get(f"{family}-id", ""),
        "webhook-timestamp": headers.get(f"{family}-timestamp", ""),
        "webhook-signature": headers.get(f"{family}-signature", ""),
    }
    for secret in secrets:
        try:
            Webhook(secret).verify(body, renamed)
            return True
        except WebhookVerificationError:
            continue
    return False


# respond(received) -> status code (may block to simulate a slow endpoint)
Responder = Callable[[Received], int]


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)
    respond: Responder = lambda _r: 200
    reply_body: bytes = b'{"ok": true}'
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                received = receiver._record(headers, body)
                status = receiver.respond(received)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(receiver.reply_body)))
                self.end_headers()
                self.wfile.write(receiver.reply_body)

            def log_message(self, *_args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client closing a kept-alive connection is not the test's business

        self.server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def _record(self, headers: dict[str, str], body: bytes) -> Received:
        with self._lock:
            secrets = list(self.secrets)
            message_id = headers.get("webhook-id", "")
            self._counts[message_id] += 1
            received = Received(
                message_id=message_id,
                headers=headers,
                body=body,
                verified=_verify(secrets, body, headers, "webhook"),
                svix_verified=_verify(secrets, body, headers, "svix"),
                at=time.monotonic(),
                nth=self._counts[message_id],
            )
            self.requests.append(received)
        return received

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def distinct(self) -> set[str]:
        with self._lock:
            return {r.message_id for r in self.requests}

    def duplicates(self) -> int:
        """Requests beyond the first for each message id."""
        with self._lock:
            return sum(n - 1 for n in self._counts.values())

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return predicate()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
