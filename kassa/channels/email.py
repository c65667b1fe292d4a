"""Email over SMTP with the standard library's smtplib.

``KASSA_SMTP_URL`` says where and how (user and password are percent-decoded)::

    smtp://host[:25]                        plain, no TLS (a local relay)
    smtp+starttls://user:pass@host[:587]    STARTTLS, then AUTH
    smtps://user:pass@host[:465]            TLS from the first byte, then AUTH

``KASSA_EMAIL_FROM`` is the sender (``Billing <billing@example.com>``). Without a URL every send
fails with ``SMTP is not configured (set KASSA_SMTP_URL)``. TLS verifies the server's certificate
against the system's trust store (tests hand in their own ``ssl_context``). One connection per
message, except inside ``SmtpMailer.session()``: a worker's batch of automation steps sends
over one connection, and holds none between batches.
"""

from __future__ import annotations

import base64
import secrets
import smtplib
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.utils import encode_rfc2231, format_datetime, formataddr, getaddresses, parseaddr
from typing import Protocol
from urllib.parse import unquote, urlsplit

from kassa.channels.errors import ChannelError, redact

NOT_CONFIGURED = "SMTP is not configured (set KASSA_SMTP_URL)"
# scheme -> (security, default port)
SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}
TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf"
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class EmailMessage:
    """One rendered email, ready for any Mailer."""

    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    text: str
    html: str | None
    message_id: str  # "<em_...@example.com>", the same on every attempt
    attachments: tuple[Attachment, ...] = ()
    date: datetime | None = None  # the Date header (the environment's clock); None: left out

    @property
    def recipients(self) -> list[str]:
        return [address for _name, address in getaddresses([*self.to, *self.cc]) if address]


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` to the mail system, or raise ChannelError(reason)."""


@dataclass(frozen=True)
class SmtpConfig:
    """A parsed KASSA_SMTP_URL. ``str()`` and ``repr()`` never show the password."""

    security: str  # plain | starttls | tls
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        scheme = next(name for name, (security, _) in SCHEMES.items() if security == self.security)
        user = f"{self.username}:***@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpConfig:
    """The configuration ``url`` names; ValueError (never quoting the URL) when malformed."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise ValueError("is not a valid URL (smtp://host:port)") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError("must start with smtp://, smtp+starttls:// or smtps://")
    if not host:
        raise ValueError("must name a host (smtp://host:port)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("must be scheme://[user:password@]host[:port], with nothing after it")
    if parts.password is not None and not parts.username:
        raise ValueError("has a password but no user name")
    security, default_port = SCHEMES[scheme]
    return SmtpConfig(
        security=security,
        host=host,
        port=port or default_port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def sender_address(sender: str) -> str:
    """The bare address of ``Name <address>``; ValueError when there is none."""
    address = parseaddr(sender)[1]
    if "@" not in address:
        raise ValueError("must be an email address, e.g. Billing <billing@example.com>")
    return address


def mime_bytes(message: EmailMessage, sender: str) -> bytes:
    """``message`` as MIME, built directly (the email package's generator is slow): text/plain,
    with an HTML alternative and attachments when present. Lines end CRLF, as SMTP sends them."""
    headers = [("From", _addresses([sender])), ("To", _addresses(message.to))]
    if message.cc:
        headers.append(("Cc", _addresses(message.cc)))
    headers += [("Subject", _encoded(message.subject)), ("Message-ID", _line(message.message_id))]
    if message.date is not None:
        headers.append(("Date", format_datetime(message.date)))
    headers.append(("MIME-Version", "1.0"))
    body = _text_part(message.text, "plain")
    if message.html is not None:
        body = _multipart("alternative", [body, _text_part(message.html, "html")])
    if message.attachments:
        body = _multipart("mixed", [body, *(_attachment(a) for a in message.attachments)])
    return ("".join(f"{name}: {value}\r\n" for name, value in headers)).encode("ascii") + body


def _line(value: str) -> str:
    """A header value on one line (a line break in it would start a header of its own)."""
    return " ".join(value.splitlines())


def _encoded(value: str) -> str:
    """An unstructured header value: as is when ASCII, else RFC 2047 encoded words."""
    value = _line(value)
    return value if value.isascii() else Header(value, "utf-8").encode(linesep="\r\n")


def _addresses(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(formataddr((_line(name), _line(address)), charset="utf-8")
                     for name, address in getaddresses(list(values)) if name or address)


def _text_part(text: str, subtype: str) -> bytes:
    data = text.replace("\r\n", "\n").replace("\r", "\n")
    if data.isascii() and all(len(line) <= 998 for line in data.split("\n")):
        encoding, payload = "7bit", data.replace("\n", "\r\n")
    else:
        encoding = "base64"
        payload = base64.encodebytes(data.encode("utf-8")).decode("ascii").replace("\n", "\r\n")
    if not payload.endswith("\r\n"):
        payload += "\r\n"
    return (f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            f"Content-Transfer-Encoding: {encoding}\r\n\r\n{payload}").encode("ascii")


def _attachment(item: Attachment) -> bytes:
    maintype, _, subtype = item.content_type.partition("/")
    name = _line(item.filename)
    disposition = (f'filename="{name}"' if name.isascii() and '"' not in name and "\\" not in name
                   else f"filename*={encode_rfc2231(name, 'utf-8')}")
    payload = base64.encodebytes(item.data).decode("ascii").replace("\n", "\r\n")
    return (f"Content-Type: {maintype}/{subtype or 'octet-stream'}\r\n"
            f"Content-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: attachment; {disposition}\r\n\r\n{payload}").encode("ascii")


def _multipart(subtype: str, parts: list[bytes]) -> bytes:
    boundary = f"=_kassa_{secrets.token_hex(12)}"
    # The line break before a boundary belongs to the boundary, not to the part's content.
    inner = b"".join(f"--{boundary}\r\n".encode() + part + b"\r\n" for part in parts)
    return (f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n').encode() + \
        inner + f"--{boundary}--\r\n".encode()


class UnconfiguredMailer:
    """What an installation without KASSA_SMTP_URL has: every send fails, saying so."""

    def send(self, message: EmailMessage) -> None:
        raise ChannelError(NOT_CONFIGURED)


@dataclass
class SmtpMailer:
    """Sends each message over its own connection; inside ``session()`` the sends of this
    thread share one (a worker's batch), opened again when the server has dropped it."""

    config: SmtpConfig
    sender: str
    timeout_seconds: float = TIMEOUT_SECONDS
    ssl_context: ssl.SSLContext | None = None  # None: the system's trust store
    _local: threading.local = field(default_factory=threading.local, init=False, repr=False,
                                    compare=False)

    @contextmanager
    def session(self) -> Iterator[None]:
        """Keep one connection open for the sends of this thread until the block ends."""
        if getattr(self._local, "active", False):
            yield
            return
        self._local.active, self._local.smtp = True, None
        try:
            yield
        finally:
            self._local.active = False
            self._drop(quit=True)

    def send(self, message: EmailMessage) -> None:
        if not message.recipients:
            raise ChannelError("the email has no recipient")
        data = mime_bytes(message, self.sender)
        try:
            refused = self._send(data, message.recipients)
        except smtplib.SMTPAuthenticationError as exc:
            raise self._error(f"the SMTP server {self.config} refused the login: "
                              f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise self._error(f"the SMTP server refused every recipient: {_refusals(exc.recipients)}"
                              ) from None
        except smtplib.SMTPResponseException as exc:
            raise self._error(f"the SMTP server {self.config} answered "
                              f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            raise self._error(f"cannot send through {self.config}: {type(exc).__name__}: {exc}"
                              ) from None
        if refused:
            raise self._error(f"the SMTP server refused some recipients: {_refusals(refused)}")

    def _send(self, data: bytes, recipients: list[str]) -> dict:
        sender = sender_address(self.sender)
        if not getattr(self._local, "active", False):
            with self._open() as smtp:
                return smtp.sendmail(sender, recipients, data)
        held = self._local.smtp
        if held is not None:
            try:
                return held.sendmail(sender, recipients, data)
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                self._drop(quit=False)  # closed while idle (or after its limit): a new one
            except smtplib.SMTPResponseException as exc:
                self._drop(quit=False)
                if exc.smtp_code != 421:  # 421: closing this connection, try a new one
                    raise
            except BaseException:
                self._drop(quit=False)  # in an unknown state: not used again
                raise
        self._local.smtp = self._open()
        try:
            return self._local.smtp.sendmail(sender, recipients, data)
        except BaseException:
            self._drop(quit=False)
            raise

    def _drop(self, *, quit: bool) -> None:
        smtp, self._local.smtp = getattr(self._local, "smtp", None), None
        if smtp is None:
            return
        try:
            if quit:
                smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            smtp.close()

    def _open(self) -> smtplib.SMTP:
        smtp = self._connect()
        try:
            if self.config.security == "starttls":
                smtp.starttls(context=self._context())
            if self.config.username:
                smtp.login(self.config.username, self.config.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _connect(self) -> smtplib.SMTP:
        if self.config.security == "tls":
            return smtplib.SMTP_SSL(self.config.host, self.config.port,
                                    timeout=self.timeout_seconds, context=self._context())
        return smtplib.SMTP(self.config.host, self.config.port, timeout=self.timeout_seconds)

    def _context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()

    def _error(self, reason: str) -> ChannelError:
        return ChannelError(redact(reason, [self.config.password]))


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _refusals(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address} ({code} {_text(why)})" for address, (code, why) in recipients.items())


def mailer_for(smtp_url: str | None, sender: str) -> Mailer:
    """The mailer the settings describe."""
    if not smtp_url:
        return UnconfiguredMailer()
    return SmtpMailer(parse_smtp_url(smtp_url), sender)
