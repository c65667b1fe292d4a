"""Slack, SMS (Twilio's Messages API) and signed webhooks, each against a real server on
loopback, through kassa.services.notify as the automation steps call them."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from decimal import Decimal

import pytest

from kassa.bootstrap import Kassa
from kassa.channels import ChannelError
from kassa.channels.slack import SlackOutcome
from kassa.channels.wiring import build_channels
from kassa.config import Settings
from kassa.services import notify
from kassa.webhooks.signing import generate_secret
from tests.channels.http_server import HttpServer

SID, TOKEN = "AC0123456789abcdef", "tw1l10-t0ken"


@pytest.fixture
def http() -> Iterator[HttpServer]:
    server = HttpServer()
    yield server
    server.close()


def _configure(kassa: Kassa, **settings: object) -> None:
    kassa.channels = build_channels(
        Settings(database_url=kassa.settings.database_url, **settings), outbound=kassa.outbound)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_slack_posts_the_text_to_the_step_url_or_the_configured_one(
    kassa: Kassa, http: HttpServer
) -> None:
    _configure(kassa, slack_webhook_url=f"{http.base}/services/T1/B1/default")
    ctx = kassa.ctx("sandbox")
    assert notify.slack(ctx, None, "Invoice INV-1 failed") == SlackOutcome(200)
    assert notify.slack(ctx, f"{http.base}/services/T1/B1/step", "Escalated") == SlackOutcome(200)
    assert [(r.path, r.json()) for r in http.requests] == [
        ("/services/T1/B1/default", {"text": "Invoice INV-1 failed"}),
        ("/services/T1/B1/step", {"text": "Escalated"}),
    ]
    assert http.requests[0].headers["content-type"] == "application/json"


def test_slack_failures_are_channel_errors_that_never_show_the_webhook_path(
    kassa: Kassa, http: HttpServer
) -> None:
    ctx = kassa.ctx("sandbox")
    with pytest.raises(ChannelError, match="Slack is not configured .*KASSA_SLACK_WEBHOOK_URL"):
        notify.slack(ctx, None, "hello")
    http.status, http.reply = 404, b"no_service"
    with pytest.raises(ChannelError) as raised:
        notify.slack(ctx, f"{http.base}/services/T1/B1/s3cr3t", "hello")
    assert raised.value.reason == f"Slack ({http.base}) answered 404: no_service"
    port = _free_port()
    with pytest.raises(ChannelError) as unreachable:
        notify.slack(ctx, f"http://127.0.0.1:{port}/services/s3cr3t", "hello")
    assert "cannot be reached" in unreachable.value.reason
    assert "s3cr3t" not in unreachable.value.reason
    with pytest.raises(ChannelError, match="webhook_url must use https in production"):
        notify.slack(kassa.ctx("production"), f"{http.base}/x", "hello")


def test_sms_posts_to_the_twilio_messages_api_with_basic_auth(
    kassa: Kassa, http: HttpServer
) -> None:
    _configure(kassa, twilio_account_sid=SID, twilio_auth_token=TOKEN,
               twilio_from="+15005550006", twilio_api_base=http.base)
    http.answer(201, {"sid": "SM1", "status": "queued", "to": "+15551234567"})
    outcome = notify.sms(kassa.ctx("sandbox"), "+15551234567", "Your invoice INV-1 is due")
    assert (outcome.sid, outcome.status) == ("SM1", "queued")
    [request] = http.requests
    assert request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request.form() == {"To": "+15551234567", "From": "+15005550006",
                              "Body": "Your invoice INV-1 is due"}
    assert request.headers["authorization"] == "Basic " + base64.b64encode(
        f"{SID}:{TOKEN}".encode()).decode()


def test_sms_errors_quote_twilio_and_never_the_token(kassa: Kassa, http: HttpServer) -> None:
    with pytest.raises(ChannelError, match="SMS is not configured .*KASSA_TWILIO_ACCOUNT_SID"):
        notify.sms(kassa.ctx("sandbox"), "+15551234567", "hi")
    _configure(kassa, twilio_account_sid=SID, twilio_auth_token=TOKEN,
               twilio_from="+15005550006", twilio_api_base=http.base)
    http.answer(400, {"code": 21211, "message": f"The 'To' number is not valid ({TOKEN})",
                      "status": 400})
    with pytest.raises(ChannelError) as raised:
        notify.sms(kassa.ctx("sandbox"), "+1555", "hi")
    assert raised.value.reason == "Twilio answered 400: The 'To' number is not valid (***) " \
                                  "(code 21211)"
    with pytest.raises(ChannelError, match="no recipient"):
        notify.sms(kassa.ctx("sandbox"), "  ", "hi")


def test_a_webhook_is_signed_like_every_kassa_webhook(kassa: Kassa, receiver) -> None:
    secret = generate_secret()
    receiver.secrets.append(secret)
    payload = {"invoice": {"id": "INV-1", "total": Decimal("100.00")}, "event": "payment.failed"}
    ctx = kassa.ctx("sandbox")
    outcome = notify.webhook(ctx, receiver.url, payload, secret, message_id="msg_step1")
    again = notify.webhook(ctx, receiver.url, payload, secret, message_id="msg_step1")
    assert (outcome.message_id, outcome.status_code, again.message_id) == (
        "msg_step1", 200, "msg_step1")
    first, second = receiver.requests
    assert first.verified and first.svix_verified and second.verified
    assert first.payload == {"invoice": {"id": "INV-1", "total": "100.00"},
                             "event": "payment.failed"}
    assert (first.message_id, second.nth) == ("msg_step1", 2)  # receivers can drop the repeat


def test_webhook_without_a_secret_is_unsigned_and_failures_are_channel_errors(
    kassa: Kassa, receiver
) -> None:
    ctx = kassa.ctx("sandbox")
    outcome = notify.webhook(ctx, receiver.url, None, None)
    [request] = receiver.requests
    assert outcome.message_id.startswith("msg_") and request.message_id == outcome.message_id
    assert "webhook-signature" not in request.headers and request.payload == {}
    with pytest.raises(ChannelError, match="secret: a webhook secret starts with 'whsec_'"):
        notify.webhook(ctx, receiver.url, {}, "not-a-secret")
    receiver.respond = lambda _r: 500
    with pytest.raises(ChannelError, match="answered 500"):
        notify.webhook(ctx, receiver.url, {}, None)
    with pytest.raises(ChannelError, match="url must be an http:// or https:// URL"):
        notify.webhook(ctx, "ftp://example.com/x", {}, None)
    with pytest.raises(ChannelError, match="url must use https in production"):
        notify.webhook(kassa.ctx("production"), receiver.url, {}, None)
