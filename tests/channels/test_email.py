"""Email over SMTP against a real server in-process: plain, AUTH, STARTTLS and SMTPS (with a
certificate made by the test), the KASSA_SMTP_URL forms, and secrets kept out of every error."""

from __future__ import annotations

import shutil
import smtplib
import socket
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kassa.channels import ChannelError
from kassa.channels.email import (
    NOT_CONFIGURED,
    Attachment,
    EmailMessage,
    SmtpConfig,
    SmtpMailer,
    UnconfiguredMailer,
    mailer_for,
    parse_smtp_url,
)
from kassa.config import Settings, SettingsError, load_settings
from tests.channels.smtp import SmtpServer

SECRET = "s3cr3t p@ss"
SENDER = "Billing <billing@example.com>"


def _message(**changes: object) -> EmailMessage:
    fields: dict[str, object] = {
        "to": ("Ada Lovelace <ada@example.com>",), "cc": ("books@example.com",),
        "subject": "Invoice INV-1 is unpaid", "text": "Please pay.\n",
        "html": "<p>Please <b>pay</b>.</p>", "message_id": "<em_1@example.com>",
    }
    fields.update(changes)
    return EmailMessage(**fields)  # type: ignore[arg-type]


def test_smtp_urls_parse_with_defaults_and_decoded_credentials() -> None:
    assert parse_smtp_url("smtp://mail.local") == SmtpConfig("plain", "mail.local", 25)
    assert parse_smtp_url("smtp://127.0.0.1:2525") == SmtpConfig("plain", "127.0.0.1", 2525)
    config = parse_smtp_url("smtp+starttls://ada%40x.io:p%40ss%20w@smtp.example.com")
    assert (config.security, config.port, config.username, config.password) == (
        "starttls", 587, "ada@x.io", "p@ss w")
    assert parse_smtp_url("smtps://u:p@smtp.example.com").port == 465
    assert "p@ss" not in repr(config) and str(config) == (
        "smtp+starttls://ada@x.io:***@smtp.example.com:587")


@pytest.mark.parametrize(("url", "message"), [
    ("http://u:s3cr3t@host", "must start with smtp://, smtp+starttls:// or smtps://"),
    ("smtp://u:s3cr3t@host:port", "is not a valid URL"),
    ("smtp://u:s3cr3t@:25", "must name a host"),
    ("smtp://u:s3cr3t@host:25/path", "with nothing after it"),
    ("smtp://:s3cr3t@host:25", "has a password but no user name"),
])
def test_a_malformed_smtp_url_is_a_settings_error_that_hides_the_password(
    url: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KASSA_SMTP_URL", url)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "KASSA_SMTP_URL" in str(raised.value) and message in str(raised.value)
    assert "s3cr3t" not in str(raised.value)
    with pytest.raises(Exception) as direct:  # Settings() itself never quotes the input either
        Settings(smtp_url=url)
    assert "s3cr3t" not in str(direct.value)


def test_channel_settings_are_validated_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(smtp_url=f"smtps://ada:{SECRET}@mail:465", twilio_account_sid="AC1",
                        twilio_auth_token="tok3n", twilio_from="+15005550006",
                        slack_webhook_url="https://hooks.slack.com/services/T/B/xyz")
    assert SECRET not in repr(settings) and "tok3n" not in repr(settings)
    assert "xyz" not in repr(settings)
    assert Settings(smtp_url="  ").smtp_url is None  # set but empty: not configured
    monkeypatch.setenv("KASSA_TWILIO_ACCOUNT_SID", "AC1")
    with pytest.raises(SettingsError, match="KASSA_TWILIO_AUTH_TOKEN, KASSA_TWILIO_FROM"):
        load_settings()
    monkeypatch.delenv("KASSA_TWILIO_ACCOUNT_SID")
    monkeypatch.setenv("KASSA_EMAIL_FROM", "nobody")
    with pytest.raises(SettingsError, match="KASSA_EMAIL_FROM: .*must be an email address"):
        load_settings()


def test_without_a_url_every_send_fails_saying_what_to_set() -> None:
    mailer = mailer_for(None, SENDER)
    assert isinstance(mailer, UnconfiguredMailer)
    with pytest.raises(ChannelError) as raised:
        mailer.send(_message())
    assert raised.value.reason == NOT_CONFIGURED == "SMTP is not configured (set KASSA_SMTP_URL)"


def test_a_message_arrives_with_both_parts_cc_and_attachment(smtp_server: SmtpServer) -> None:
    mailer = mailer_for(smtp_server.url(), SENDER)
    sent_at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    mailer.send(_message(date=sent_at, attachments=(
        Attachment("INV-1.pdf", "application/pdf", b"%PDF-1.4 test"),)))
    [received] = smtp_server.messages
    assert received.mail_from == "billing@example.com"
    assert received.rcpt_tos == ["ada@example.com", "books@example.com"]
    message = received.message
    assert (message["From"], message["To"], message["Cc"]) == (
        SENDER, "Ada Lovelace <ada@example.com>", "books@example.com")
    assert message["Subject"] == "Invoice INV-1 is unpaid"
    assert message["Message-ID"] == "<em_1@example.com>"
    assert message["Date"].datetime == sent_at
    assert message.get_body(("plain",)).get_content() == "Please pay.\n"
    assert message.get_body(("html",)).get_content().strip() == "<p>Please <b>pay</b>.</p>"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "INV-1.pdf"
    assert attachment.get_content() == b"%PDF-1.4 test"


def test_auth_logs_in_and_a_refused_login_never_shows_the_password() -> None:
    server = SmtpServer(credentials=("ada", SECRET))
    try:
        mailer_for(server.url(), SENDER).send(_message())
        assert len(server.messages) == 1
        wrong = server.url().replace("s3cr3t", "wrong")
        with pytest.raises(ChannelError) as raised:
            mailer_for(wrong, SENDER).send(_message())
        assert "refused the login: 535" in raised.value.reason
        assert "wrong" not in raised.value.reason and "***" in raised.value.reason
        with pytest.raises(ChannelError, match="530"):  # no credentials at all
            mailer_for(f"smtp://127.0.0.1:{server.port}", SENDER).send(_message())
        assert len(server.messages) == 1
    finally:
        server.close()


def test_an_unreachable_server_is_a_channel_error_without_the_password() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailer = mailer_for(f"smtp://ada:{SECRET}@127.0.0.1:{port}", SENDER)
    with pytest.raises(ChannelError) as raised:
        mailer.send(_message())
    assert f"cannot send through smtp://ada:***@127.0.0.1:{port}" in raised.value.reason
    assert SECRET not in raised.value.reason


def test_a_message_without_recipients_is_refused_before_connecting() -> None:
    mailer = SmtpMailer(parse_smtp_url("smtp://127.0.0.1:1"), SENDER)
    with pytest.raises(ChannelError, match="no recipient"):
        mailer.send(_message(to=(), cc=()))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A self-signed certificate for 127.0.0.1, made now (openssl: cryptography is not in the
    lock)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed; TLS is smtplib's own (tested by CPython)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )
    yield cert, key


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_tls_verifies_the_server_and_then_authenticates(
    scheme: str, certificate: tuple[Path, Path]
) -> None:
    tls = _server_context(certificate)
    server = SmtpServer(credentials=("ada", SECRET),
                        **({"starttls": tls} if scheme == "smtp+starttls" else {"smtps": tls}))
    try:
        trusted = ssl.create_default_context(cafile=str(certificate[0]))
        config = parse_smtp_url(server.url(scheme))
        SmtpMailer(config, SENDER, ssl_context=trusted).send(_message())
        assert [r.message["Subject"] for r in server.messages] == ["Invoice INV-1 is unpaid"]
        # The system's trust store does not know the test's certificate: refused, not sent.
        with pytest.raises(ChannelError, match="CERTIFICATE_VERIFY_FAILED|certificate verify"):
            SmtpMailer(config, SENDER).send(_message())
        assert len(server.messages) == 1
    finally:
        server.close()


def test_plain_smtp_to_a_server_that_requires_starttls_is_refused(
    certificate: tuple[Path, Path]
) -> None:
    server = SmtpServer(starttls=_server_context(certificate))
    try:
        with pytest.raises(ChannelError, match="530"):
            mailer_for(server.url(), SENDER).send(_message())
        assert server.messages == []
    finally:
        server.close()


def test_smtplib_is_what_sends() -> None:
    assert SmtpMailer._connect.__module__ == "kassa.channels.email"
    assert smtplib.SMTP_SSL_PORT == 465  # the smtps default matches the standard port


class _PeerServer(SmtpServer):
    """Remembers which client connection (its address) each message came over."""

    def __post_init__(self) -> None:
        self.peers: list[object] = []
        super().__post_init__()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        self.peers.append(session.peer)
        return await super().handle_DATA(server, session, envelope)


def test_a_session_shares_one_connection_and_opens_another_once_it_is_dropped() -> None:
    server = _PeerServer()
    try:
        mailer = SmtpMailer(parse_smtp_url(server.url()), SENDER)
        with mailer.session():
            mailer.send(_message(message_id="<em_1@example.com>"))
            mailer.send(_message(message_id="<em_2@example.com>"))
            mailer._local.smtp.close()  # as if the server had hung up while it was idle
            mailer.send(_message(message_id="<em_3@example.com>"))
        mailer.send(_message(message_id="<em_4@example.com>"))  # no session: its own
        assert [m.message["Message-ID"] for m in server.messages] == [
            f"<em_{n}@example.com>" for n in (1, 2, 3, 4)]
        first, second, third, fourth = server.peers
        assert first == second and len({first, third, fourth}) == 3
        assert mailer._local.smtp is None  # the session's connection closed with it
    finally:
        server.close()
