"""Email over SMTP with the standard library's smtplib.

``KASSA_SMTP_URL`` says where and how (user and password are percent-decoded)::

    smtp://host[:25]                        plain, no TLS (a local relay)
    smtp+starttls://user:pass@host[:587]    STARTTLS, then AUTH
    smtps://user:pass@host[:465]            TLS from the first byte, then AUTH

``KASSA_EMAIL_FROM`` is the sender (``Billing <billing@example.com>``). Without a URL every send
fails with ``SMTP is not configured (set KASSA_SMTP_URL)``. TLS verifies the server's certificate
against the system's trust store (tests hand in their own ``ssl_context``). One connection per
message: a send is one job, and a job holds no connection between runs.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, getaddresses, parseaddr
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


def mime_message(message: EmailMessage, sender: str) -> MimeMessage:
    """``message`` as MIME: text/plain, with an HTML alternative and attachments when present."""
    mime = MimeMessage()
    mime["From"] = sender
    mime["To"] = ", ".join(message.to)
    if message.cc:
        mime["Cc"] = ", ".join(message.cc)
    mime["Subject"] = message.subject
    mime["Message-ID"] = message.message_id
    if message.date is not None:
        mime["Date"] = format_datetime(message.date)
    mime.set_content(message.text)
    if message.html is not None:
        mime.add_alternative(message.html, subtype="html")
    for item in message.attachments:
        maintype, _, subtype = item.content_type.partition("/")
        mime.add_attachment(item.data, maintype=maintype, subtype=subtype or "octet-stream",
                            filename=item.filename)
    return mime


class UnconfiguredMailer:
    """What an installation without KASSA_SMTP_URL has: every send fails, saying so."""

    def send(self, message: EmailMessage) -> None:
        raise ChannelError(NOT_CONFIGURED)


@dataclass
class SmtpMailer:
    config: SmtpConfig
    sender: str
    timeout_seconds: float = TIMEOUT_SECONDS
    ssl_context: ssl.SSLContext | None = None  # None: the system's trust store

    def send(self, message: EmailMessage) -> None:
        if not message.recipients:
            raise ChannelError("the email has no recipient")
        mime = mime_message(message, self.sender)
        try:
            with self._connect() as smtp:
                if self.config.security == "starttls":
                    smtp.starttls(context=self._context())
                if self.config.username:
                    smtp.login(self.config.username, self.config.password or "")
                refused = smtp.send_message(mime, sender_address(self.sender), message.recipients)
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
