"""Where a webhook may go: link-local and cloud-metadata addresses never (checked on the URL
and again after DNS at delivery); loopback and private addresses in the sandbox by the operator's
leave (KASSA_SANDBOX_WEBHOOK_ALLOW_PRIVATE, default on), and their replies are not kept."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from kassa.webhooks.outbound import Outbound

FORBIDDEN = [
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.10.1:8080/x",
    "http://[fe80::1]/x",
    "http://[fd00:ec2::254]/latest",
    "http://[::ffff:169.254.169.254]/x",
    "http://metadata.google.internal/computeMetadata/v1/",
]


def _url_refused(r, reason: str = "link-local") -> None:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["status"] == 422 and body["errors"][0]["field"] == "url"
    assert reason in body["errors"][0]["message"], body


@pytest.mark.parametrize("url", FORBIDDEN)
def test_link_local_and_metadata_urls_are_refused_in_the_sandbox(api: TestClient, url) -> None:
    _url_refused(api.post("/webhook-endpoints", json={"url": url}))
    endpoint = api.post("/webhook-endpoints", json={"url": "http://127.0.0.1:9/x"}).json()
    _url_refused(api.patch(f"/webhook-endpoints/{endpoint['id']}", json={"url": url}))


@pytest.mark.parametrize("url", [u.replace("http://", "https://") for u in FORBIDDEN])
def test_link_local_urls_are_refused_even_where_private_ones_are_allowed(
    kassa, prod_api: TestClient, url
) -> None:
    kassa.settings = kassa.settings.model_copy(update={"webhook_allow_private": True})
    _url_refused(prod_api.post("/webhook-endpoints", json={"url": url}))


def _test_message(api: TestClient, kassa, endpoint_id: str) -> dict:
    r = api.post(f"/webhook-endpoints/{endpoint_id}/test")
    assert r.status_code == 202, r.text
    ctx = kassa.ctx("sandbox")
    for _ in range(2):
        ctx.registry.run_due(ctx)
    return api.get(f"/webhook-messages/{r.json()['id']}").json()


def test_a_loopback_reply_is_recorded_without_its_body(kassa, api: TestClient, receiver) -> None:
    receiver.reply_body = b'{"internal": "secret service data"}'
    endpoint = api.post("/webhook-endpoints", json={"url": receiver.url}).json()
    message = _test_message(api, kassa, endpoint["id"])
    assert len(receiver.requests) == 1
    (attempt,) = message["delivery_attempts"]
    assert attempt["status_code"] == 200 and attempt["succeeded"] is True
    assert attempt["response"] is None
    assert "secret service data" not in str(message)


def test_a_public_reply_keeps_its_excerpt(kassa, api: TestClient) -> None:
    kassa.outbound = Outbound(
        transport=httpx.MockTransport(lambda request: httpx.Response(200, text="thanks")),
        resolve=lambda host, port: ["93.184.216.34"],
    )
    endpoint = api.post("/webhook-endpoints", json={"url": "http://hooks.example.com/k"}).json()
    (attempt,) = _test_message(api, kassa, endpoint["id"])["delivery_attempts"]
    assert (attempt["status_code"], attempt["response"]) == (200, "thanks")


@pytest.mark.parametrize("address", ["169.254.169.254", "fe80::1", "fd00:ec2::254"])
def test_a_name_resolving_to_link_local_is_refused_at_delivery(
    kassa, api: TestClient, address
) -> None:
    calls: list[httpx.Request] = []
    kassa.outbound = Outbound(
        transport=httpx.MockTransport(lambda request: calls.append(request) or httpx.Response(200)),
        resolve=lambda host, port: [address],
    )
    endpoint = api.post("/webhook-endpoints", json={"url": "http://meta.example.com/x"})
    assert endpoint.status_code == 201, endpoint.text  # a name is checked when it is resolved
    (attempt,) = _test_message(api, kassa, endpoint.json()["id"])["delivery_attempts"]
    assert calls == []
    assert attempt["status_code"] is None and attempt["succeeded"] is False
    assert attempt["error"].startswith("refused: ") and "link-local" in attempt["error"]


def test_the_operator_can_keep_the_sandbox_off_private_addresses(
    kassa, api: TestClient, receiver
) -> None:
    kassa.settings = kassa.settings.model_copy(update={"sandbox_webhook_allow_private": False})
    _url_refused(api.post("/webhook-endpoints", json={"url": receiver.url}),
                 "KASSA_SANDBOX_WEBHOOK_ALLOW_PRIVATE")
    kassa.outbound = Outbound(resolve=lambda host, port: ["127.0.0.1"])
    # A name that resolved publicly when it was saved and privately at delivery is refused then.
    kassa.outbound.resolve = lambda host, port: ["93.184.216.34"]
    endpoint = api.post("/webhook-endpoints", json={"url": "http://rebound.example.com/x"}).json()
    kassa.outbound.resolve = lambda host, port: ["127.0.0.1"]
    (attempt,) = _test_message(api, kassa, endpoint["id"])["delivery_attempts"]
    assert receiver.requests == [] and attempt["error"].startswith("refused: ")


def test_the_setting_is_read_from_the_environment(monkeypatch) -> None:
    from kassa.config import load_settings

    assert load_settings().sandbox_webhook_allow_private is True
    monkeypatch.setenv("KASSA_SANDBOX_WEBHOOK_ALLOW_PRIVATE", "false")
    assert load_settings().sandbox_webhook_allow_private is False
