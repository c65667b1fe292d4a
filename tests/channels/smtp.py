"""A real SMTP server in-process (aiosmtpd on loopback) that keeps every message it receives,
parsed with the standard library's ``email`` package. Optionally it asks for AUTH, speaks
STARTTLS or TLS from the first byte (SMTPS) with a certificate the test made."""

from __future__ import annotations

import ssl
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


class _Controller(Controller):
    def factory(self) -> Any:
        with warnings.catch_warnings():  # AUTH without TLS is what the plain AUTH test wants
            warnings.simplefilter("ignore", UserWarning)
            return super().factory()

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]  # port 0 asked for: which one
        super()._trigger_server()


@dataclass
class SmtpServer:
    """``host``, ``port``, ``url`` and ``messages`` (what arrived, in order)."""

    credentials: tuple[str, str] | None = None  # AUTH required with these when set
    starttls: ssl.SSLContext | None = None  # server context: offer STARTTLS (required)
    smtps: ssl.SSLContext | None = None  # server context: TLS from the first byte
    messages: list[Received] = field(default_factory=list)
    host: str = "127.0.0.1"

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        options: dict[str, Any] = {"auth_require_tls": self.starttls is not None}
        if self.credentials is not None:
            options.update(auth_required=True, authenticator=self._authenticate)
        if self.starttls is not None:
            options.update(tls_context=self.starttls, require_starttls=True)
        self._controller = _Controller(self, hostname=self.host, port=0,
                                       ssl_context=self.smtps, **options)
        self._controller.start()

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def url(self, scheme: str = "smtp") -> str:
        user = ""
        if self.credentials is not None:
            from urllib.parse import quote

            user = f"{quote(self.credentials[0], safe='')}:{quote(self.credentials[1], safe='')}@"
        return f"{scheme}://{user}{self.host}:{self.port}"

    def _authenticate(self, _server: Any, _session: Any, _envelope: Any, _mechanism: str,
                      auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and self.credentials is not None
              and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials)
        return AuthResult(success=ok, handled=False)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        raw = bytes(envelope.original_content or envelope.content)
        received = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            # parsed with line ends as Python writes them (the wire has CRLF)
            message=message_from_bytes(  # type: ignore[arg-type]
                raw.replace(b"\r\n", b"\n"), policy=default),
            raw=raw,
        )
        with self._lock:
            self.messages.append(received)
        return "250 Message accepted for delivery"

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not predicate():
            time.sleep(0.02)
        return predicate()

    def close(self) -> None:
        self._controller.stop()
