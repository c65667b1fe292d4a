"""Delivery outcomes through an injected httpx transport, and the in-process worker."""

from __future__ import annotations


import socket

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from standardwebhooks import Webhook

from kassa.services import customers, webhook_endpoints
from kassa.services.clock import clock_lock
from kassa.store.queries import ListQuery
from kassa.store.tables import jobs, webhook_attempts
from kassa.webhooks.outbound import Outbound
from kassa.worker import Worker


def _dns(host: str, port: int) -> list[str]:
    return {"hooks.example.com": ["93.184.216.34"], "rebound.example.com": ["10.0.0.9"]}[host]


def _production_message(kassa, prod_api: TestClient, handler, url: str = "https://hooks.example.com/k",
                        **outbound) -> dict:
    """Deliver one customer.created to ``url`` in production (real time) through ``handler``."""
    kassa.outbound = Outbound(transport=httpx.MockTransport(handler), resolve=_dns, **outbound)
    r = prod_api.post("/webhook-endpoints", json={"url": url})
    assert r.status_code == 201, r.text
    endpoint = r.json()
    prod_api.post("/customers", json={"name": "Acme"})
    ctx = kassa.ctx("production")
    for _ in range(3):  # dispatch, then attempt
        ctx.registry.run_due(ctx)
    (message,) = prod_api.get(f"/webhook-endpoints/{endpoint['id']}/messages").json()["data"]
    detail = prod_api.get(f"/webhook-messages/{message['id']}").json()
    return {**detail, "secret": endpoint["secret"]}


def test_production_delivery_is_signed_and_recorded(kassa, prod_api: TestClient) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="x" * 5000)

    message = _production_message(kassa, prod_api, handler)
    assert message["status"] == "succeeded"
    (request,) = seen
    assert str(request.url) == "https://hooks.example.com/k"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("Kassa-Webhooks/")
    Webhook(message["secret"]).verify(request.content, dict(request.headers))
    (attempt,) = message["delivery_attempts"]
    assert attempt["status_code"] == 200 and attempt["succeeded"] is True
    assert attempt["response"] == "x" * 1024  # only the first 1 KB is kept


def test_failures_are_recorded_with_their_reason(kassa, prod_api: TestClient) -> None:
    def timeout(request):
        raise httpx.ReadTimeout("read timed out", request=request)

    message = _production_message(kassa, prod_api, timeout)
    (attempt,) = message["delivery_attempts"]
    assert message["status"] == "pending" and message["next_attempt_at"] is not None
    assert attempt["status_code"] is None and attempt["error"] == "timed out (no answer within 15 s)"


def test_a_redirect_or_refused_connection_is_a_failure(kassa, prod_api: TestClient) -> None:
    message = _production_message(
        kassa, prod_api, lambda r: httpx.Response(301, headers={"Location": "https://x.io"})
    )
    (attempt,) = message["delivery_attempts"]
    assert attempt["status_code"] == 301 and attempt["succeeded"] is False


def test_a_slow_2xx_is_a_failure(kassa, prod_api: TestClient) -> None:
    now = [100.0]  # the attempt's timer, moved by the receiver: no sleeping

    def slow(request):
        now[0] += 16.0  # past the 15 s limit
        return httpx.Response(200)

    message = _production_message(kassa, prod_api, slow, timer=lambda: now[0])
    (attempt,) = message["delivery_attempts"]
    assert attempt["status_code"] == 200 and attempt["succeeded"] is False
    assert attempt["error"] == "answered after 16.0 s (limit 15 s)"
    assert attempt["duration_ms"] == 16000


def test_a_2xx_just_within_the_limit_is_delivered(kassa, prod_api: TestClient) -> None:
    now = [100.0]

    def handler(request):
        now[0] += 15.0
        return httpx.Response(204)

    message = _production_message(kassa, prod_api, handler, timer=lambda: now[0])
    (attempt,) = message["delivery_attempts"]
    assert message["status"] == "succeeded"
    assert attempt["status_code"] == 204 and attempt["succeeded"] is True
    assert attempt["error"] is None and attempt["duration_ms"] == 15000


def test_a_host_that_now_resolves_privately_is_refused_at_delivery(
    kassa, prod_api: TestClient
) -> None:
    calls: list[httpx.Request] = []
    resolved = {"rebound.example.com": ["93.184.216.34"]}
    kassa.outbound = Outbound(resolve=lambda h, p: resolved[h])
    r = prod_api.post("/webhook-endpoints", json={"url": "https://rebound.example.com/k"})
    assert r.status_code == 201
    resolved["rebound.example.com"] = ["10.0.0.9"]  # DNS changed after the URL was accepted
    kassa.outbound.transport = httpx.MockTransport(lambda req: calls.append(req) or httpx.Response(200))
    prod_api.post("/customers", json={"name": "Acme"})
    ctx = kassa.ctx("production")
    ctx.registry.run_due(ctx)
    ctx.registry.run_due(ctx)
    (message,) = prod_api.get(f"/webhook-endpoints/{r.json()['id']}/messages").json()["data"]
    (attempt,) = prod_api.get(f"/webhook-messages/{message['id']}").json()["delivery_attempts"]
    assert calls == []
    assert attempt["error"].startswith("refused: host 'rebound.example.com' is a private")


PUBLIC = "93.184.216.34"


@pytest.fixture
def rebinding_dns(monkeypatch) -> list[tuple[str, int]]:
    """rebind.example.com answers PUBLIC once, then 127.0.0.1; connections made are listed, and
    one to PUBLIC is refused (a test sends nothing off the machine)."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection
    answers = iter([PUBLIC])
    connected: list[tuple[str, int]] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.example.com":
            return real_getaddrinfo(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers, "127.0.0.1"), port))]

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        if address[0] == PUBLIC:
            raise ConnectionRefusedError(111, "Connection refused")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return connected


def test_a_production_attempt_connects_to_the_address_it_checked(receiver, rebinding_dns) -> None:
    """DNS that answers a public address to the check and loopback to the connection (rebinding)
    does not reach the loopback receiver: the attempt connects to the checked address."""
    port = receiver.server.server_address[1]
    outbound = Outbound()
    try:
        result = outbound.post(f"http://rebind.example.com:{port}/hooks", b"{}", {},
                               require_public=True)
    finally:
        outbound.close()
    assert receiver.requests == []
    assert rebinding_dns == [(PUBLIC, port)]
    assert result.delivered is False and result.status_code is None
    assert result.error.startswith("ConnectError: ")


def test_a_pinned_attempt_keeps_the_host_header(receiver, monkeypatch) -> None:
    """The checked address is connected to, and the request still names the URL's host."""
    real_connect = socket.create_connection
    port = receiver.server.server_address[1]
    connected: list[tuple[str, int]] = []

    def create_connection(address, *args, **kwargs):
        connected.append(address)  # PUBLIC stands for the receiver here
        return real_connect(("127.0.0.1", port) if address[0] == PUBLIC else address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    outbound = Outbound(resolve=lambda host, p: [PUBLIC] if host == "hooks.example.com" else [])
    try:
        results = [outbound.post(f"http://hooks.example.com:{port}/hooks", b"{}", {},
                                 require_public=True) for _ in range(2)]
    finally:
        outbound.close()
    assert [r.status_code for r in results] == [200, 200]
    assert connected == [(PUBLIC, port)]  # the second attempt reuses the kept-alive connection
    assert [r.headers["host"] for r in receiver.requests] == [f"hooks.example.com:{port}"] * 2


def test_the_worker_delivers_production_in_real_time(kassa, receiver) -> None:
    kassa.settings = kassa.settings.model_copy(update={"webhook_allow_private": True})
    ctx = kassa.ctx("production")
    endpoint = webhook_endpoints.create_endpoint(ctx, {"url": receiver.url})
    receiver.secrets.append(endpoint["secret"])
    worker = Worker(kassa, concurrency=2, poll_seconds=5)
    worker.start()
    try:
        customers.create_customer(ctx, {"name": "Live"})  # the commit wakes the worker
        assert receiver.wait_for(lambda: len(receiver.requests) == 1, timeout=4)
    finally:
        worker.stop()
        assert worker.join(10)
    assert receiver.requests[0].verified
    assert worker.counts["webhook.deliver"] == 1 and worker.counts["event.dispatched"] == 1


def test_workers_leave_the_sandbox_alone_during_a_clock_change(kassa, receiver) -> None:
    ctx = kassa.ctx("sandbox")
    endpoint = webhook_endpoints.create_endpoint(ctx, {"url": receiver.url})
    receiver.secrets.append(endpoint["secret"])
    customers.create_customer(ctx, {"name": "Acme"})
    worker = Worker(kassa, environments=["sandbox"])
    with clock_lock(kassa.engine, "sandbox"):  # an advance is running
        assert worker.tick() == 0
    assert worker.tick() == 2  # dispatched, then delivered
    assert len(receiver.requests) == 1


def test_an_endpoint_deleted_during_its_delivery_leaves_nothing_behind(
    kassa, prod_api: TestClient
) -> None:
    """The attempt of a message deleted meanwhile is not recorded (its row broke the foreign
    key and failed the batch, which then left a retry job for a message that is gone)."""
    deleted: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        (endpoint,) = webhook_endpoints.list_endpoints(kassa.ctx("production"), ListQuery()).rows
        deleted.append(webhook_endpoints.delete_endpoint(kassa.ctx("production"), endpoint["id"]))
        return httpx.Response(200)

    kassa.outbound = Outbound(transport=httpx.MockTransport(handler), resolve=_dns)
    assert prod_api.post("/webhook-endpoints", json={"url": "https://hooks.example.com/k"}
                         ).status_code == 201
    prod_api.post("/customers", json={"name": "Acme"})
    ctx = kassa.ctx("production")
    for _ in range(3):
        ctx.registry.run_due(ctx)
    assert len(deleted) == 1 and deleted[0]["deleted"] is True
    with kassa.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(webhook_attempts)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(jobs)).scalar_one() == 0
