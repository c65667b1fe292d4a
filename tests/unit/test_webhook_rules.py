"""Pure webhook rules: schedule, success, signatures (checked with standardwebhooks), retries."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from kassa.domain.webhooks import (
    EVENT_TYPES,
    MAX_ATTEMPTS,
    is_delivered,
    next_attempt_delay,
    unknown_event_types,
)
from kassa.queue.retry import RetryPolicy
from kassa.webhooks.signing import generate_secret, secret_key, sign, signature_headers


def test_the_retry_schedule() -> None:
    assert MAX_ATTEMPTS == 6
    delays = [next_attempt_delay(n) for n in range(8)]
    assert delays == [
        timedelta(0),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=8),
        timedelta(hours=24),
        None,
        None,
    ]
    with pytest.raises(ValueError):
        next_attempt_delay(-1)


def test_success_is_2xx_within_15_seconds() -> None:
    assert is_delivered(200, 0.1) and is_delivered(204, 15.0) and is_delivered(299, 1)
    assert not is_delivered(200, 15.01)
    assert not any(is_delivered(code, 0.1) for code in (None, 199, 301, 404, 500))


def test_event_type_catalogue() -> None:
    assert {"invoice.paid", "subscription.canceled", "customer.created"} <= EVENT_TYPES
    assert "webhook.test" not in EVENT_TYPES
    assert unknown_event_types(["invoice.paid", "nope", "customer.created", "x"]) == [1, 3]


def test_secrets_are_whsec_base64_of_32_random_bytes() -> None:
    secrets = {generate_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith("whsec_") and len(secret_key(secret)) == 32
    with pytest.raises(ValueError):
        secret_key("sk_live_nope")
    with pytest.raises(ValueError):
        secret_key("whsec_not*base64")


def test_signatures_verify_with_standardwebhooks_under_both_header_names() -> None:
    secret = generate_secret()
    body = '{"type":"invoice.paid","timestamp":"2026-07-01T00:00:00Z","data":{"amount":"500.00","n":"é"}}'
    now = int(datetime.now(UTC).timestamp())
    headers = signature_headers("msg_abc", now, body.encode(), [secret])
    assert set(headers) == {
        "webhook-id", "webhook-timestamp", "webhook-signature",
        "svix-id", "svix-timestamp", "svix-signature",
    }
    assert Webhook(secret).verify(body, headers)["data"]["amount"] == "500.00"
    svix = {k.replace("svix-", "webhook-"): v for k, v in headers.items() if k.startswith("svix")}
    assert Webhook(secret).verify(body, svix)["type"] == "invoice.paid"
    # The library's own signer agrees byte for byte.
    expected = Webhook(secret).sign("msg_abc", datetime.fromtimestamp(now, UTC), body)
    assert headers["webhook-signature"] == expected == sign(secret, "msg_abc", now, body.encode())
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("500.00", "5000.00"), headers)


def test_two_secrets_sign_side_by_side() -> None:
    old, new = generate_secret(), generate_secret()
    body = b'{"type":"webhook.test"}'
    now = int(datetime.now(UTC).timestamp())
    headers = signature_headers("msg_x", now, body, [new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(body, headers)
    raw = base64.b64decode(new.removeprefix("whsec_"))
    Webhook(raw).verify(body, headers)
    with pytest.raises(ValueError):
        signature_headers("msg_x", now, body, [])


def test_job_retry_policy_backs_off_then_gives_up() -> None:
    policy = RetryPolicy(max_attempts=5, initial=timedelta(seconds=10), multiplier=3,
                         cap=timedelta(minutes=2))
    assert [policy.delay(n) for n in range(1, 7)] == [
        timedelta(seconds=10),
        timedelta(seconds=30),
        timedelta(seconds=90),
        timedelta(minutes=2),  # capped
        None,
        None,
    ]
    with pytest.raises(ValueError):
        policy.delay(0)
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
