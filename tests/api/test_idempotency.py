"""Idempotency-Key: replay, mismatch, in flight, release on 5xx, expiry."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from kassa.api.deps import EnvCtx
from kassa.clock import utcnow
from kassa.resources.fields import SHOWN_ONCE
from kassa.services import customers
from kassa.store.tables import customers as customers_table
from kassa.store.tables import idempotency_keys, outbox_events


def _count(kassa, table) -> int:
    with kassa.engine.connect() as conn:
        return len(conn.execute(select(table.c.seq)).all())


def test_same_key_same_body_replays_the_first_response(kassa, api: TestClient) -> None:
    headers = {"Idempotency-Key": "create-acme-1"}
    first = api.post("/customers", json={"name": "Acme", "email": "a@acme.io"}, headers=headers)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    # Same content, different key order and whitespace: still the same request.
    again = api.post(
        "/customers",
        content=b'{ "email": "a@acme.io",  "name": "Acme" }',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert _count(kassa, customers_table) == 1
    assert _count(kassa, outbox_events) == 1


def test_same_key_different_body_is_422(api: TestClient) -> None:
    headers = {"Idempotency-Key": "k-1"}
    assert api.post("/customers", json={"name": "A"}, headers=headers).status_code == 201
    r = api.post("/customers", json={"name": "B"}, headers=headers)
    assert r.status_code == 422
    assert r.json() == {
        "status": 422,
        "detail": "This Idempotency-Key was already used with a different request.",
        "errors": [
            {
                "field": "Idempotency-Key",
                "message": "This Idempotency-Key was already used with a different request.",
            }
        ],
    }
    # A different path with the same key is a different request too.
    assert api.post("/products", json={"name": "A"}, headers=headers).status_code == 422


def test_keys_are_scoped_to_the_environment(api: TestClient, prod_api: TestClient) -> None:
    headers = {"Idempotency-Key": "shared"}
    a = api.post("/customers", json={"name": "A"}, headers=headers)
    b = prod_api.post("/customers", json={"name": "A"}, headers=headers)
    assert a.status_code == b.status_code == 201
    assert "Idempotent-Replayed" not in b.headers and a.json()["id"] != b.json()["id"]


def test_validation_errors_are_stored_and_replayed(api: TestClient) -> None:
    headers = {"Idempotency-Key": "bad-1"}
    first = api.post("/customers", json={"name": ""}, headers=headers)
    second = api.post("/customers", json={"name": ""}, headers=headers)
    assert first.status_code == second.status_code == 422
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()


def test_key_too_long_is_400(api: TestClient) -> None:
    r = api.post("/customers", json={"name": "A"}, headers={"Idempotency-Key": "k" * 256})
    assert r.status_code == 400
    assert r.json()["errors"] == [
        {"field": "Idempotency-Key", "message": "must be 1-255 characters"}
    ]


def test_in_flight_request_gets_409(app: Any, api: TestClient) -> None:
    started, release = threading.Event(), threading.Event()

    @app.post("/_test/slow", status_code=201)
    def slow(body: dict, ctx: EnvCtx) -> dict:
        started.set()
        assert release.wait(10)
        return customers.create_customer(ctx, {"name": body["name"]})

    headers = {"Idempotency-Key": "slow-1"}
    result: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: result.setdefault("r", api.post("/_test/slow", json={"name": "S"}, headers=headers))
    )
    worker.start()
    assert started.wait(10)
    blocked = api.post("/_test/slow", json={"name": "S"}, headers=headers)
    release.set()
    worker.join(10)
    assert blocked.status_code == 409
    assert blocked.json()["detail"] == (
        "A request with this Idempotency-Key is still in progress; retry later."
    )
    assert result["r"].status_code == 201
    replay = api.post("/_test/slow", json={"name": "S"}, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == result["r"].json()


def test_concurrent_requests_with_one_key_execute_once(kassa, api: TestClient) -> None:
    barrier = threading.Barrier(6)
    responses: list[Any] = []
    lock = threading.Lock()

    def send() -> None:
        barrier.wait()
        r = api.post("/customers", json={"name": "Race"}, headers={"Idempotency-Key": "race"})
        with lock:
            responses.append(r)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    statuses = sorted(r.status_code for r in responses)
    assert len(responses) == 6
    assert set(statuses) <= {201, 409}
    created = [r for r in responses if r.status_code == 201]
    assert len({r.json()["id"] for r in created}) == 1
    assert _count(kassa, customers_table) == 1


def test_server_error_releases_the_key(kassa, app: Any, api: TestClient) -> None:
    calls = {"n": 0}

    @app.post("/_test/flaky", status_code=201)
    def flaky(body: dict, ctx: EnvCtx) -> dict:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return customers.create_customer(ctx, {"name": body["name"]})

    headers = {"Idempotency-Key": "flaky-1"}
    failed = api.post("/_test/flaky", json={"name": "F"}, headers=headers)
    assert failed.status_code == 500
    assert failed.headers["Transient-Error"] == "true"
    assert failed.json() == {
        "status": 500,
        "detail": "Internal server error. The request was not completed.",
    }
    assert "Traceback" not in failed.text and "database went away" not in failed.text
    retried = api.post("/_test/flaky", json={"name": "F"}, headers=headers)
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert calls["n"] == 2
    assert _count(kassa, customers_table) == 1


def test_keys_expire_after_24_hours(kassa, api: TestClient) -> None:
    headers = {"Idempotency-Key": "old"}
    assert api.post("/customers", json={"name": "A"}, headers=headers).status_code == 201
    with kassa.engine.begin() as conn:
        conn.execute(
            update(idempotency_keys).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    r = api.post("/customers", json={"name": "B"}, headers=headers)
    assert r.status_code == 201 and r.json()["name"] == "B"


def test_get_requests_ignore_the_header(api: TestClient) -> None:
    r = api.get("/customers", headers={"Idempotency-Key": "whatever"})
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers


def test_query_parameter_order_does_not_make_a_different_request(api: TestClient) -> None:
    headers = {"Idempotency-Key": "q-order"}
    first = api.post("/customers?a=1&b=2", json={"name": "Q"}, headers=headers)
    again = api.post("/customers?b=2&a=1", json={"name": "Q"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_413_is_never_stored_for_the_key(kassa, api: TestClient) -> None:
    """An oversized body (declared, or counted while read) gets its 413 each time, and the key
    then serves the smaller request normally."""

    def chunks():  # no Content-Length: the limit is found while the body is read
        yield b'{"name": "'
        for _ in range(3):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    declared = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    for n, body in enumerate((declared, chunks)):
        headers = {"Idempotency-Key": f"big-{n}", "Content-Type": "application/json"}
        for _ in range(2):
            r = api.post("/customers", content=body() if callable(body) else body, headers=headers)
            assert r.status_code == 413 and "Idempotent-Replayed" not in r.headers
        r = api.post("/customers", json={"name": f"Acme {n}"}, headers=headers)
        assert r.status_code == 201, r.text
        assert "Idempotent-Replayed" not in r.headers and r.json()["name"] == f"Acme {n}"
        replay = api.post("/customers", json={"name": f"Acme {n}"}, headers=headers)
        assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == r.json()
    assert _count(kassa, customers_table) == 2


def _stored(kassa, key: str) -> bytes:
    with kassa.engine.connect() as conn:
        return bytes(conn.execute(
            select(idempotency_keys.c.response_body).where(idempotency_keys.c.key == key)
        ).scalar_one())


def test_a_replay_never_shows_a_webhook_secret_again(kassa, api: TestClient) -> None:
    """The whsec_ secret is shown once: the replay answers the same endpoint with the note in its
    place, and the stored answer never held it."""
    headers = {"Idempotency-Key": "hook-1"}
    body = {"url": "https://hooks.example.com/kassa"}
    first = api.post("/webhook-endpoints", json=body, headers=headers)
    assert first.status_code == 201 and first.json()["secret"].startswith("whsec_")
    again = api.post("/webhook-endpoints", json=body, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == {**first.json(), "secret": SHOWN_ONCE}
    stored = _stored(kassa, "hook-1")
    assert b"whsec_" not in stored and first.json()["secret"].encode() not in stored

    rotate = f"/webhook-endpoints/{first.json()['id']}/rotate-secret"
    rotated = api.post(rotate, headers={"Idempotency-Key": "rotate-1"})
    assert rotated.status_code == 200 and rotated.json()["secret"].startswith("whsec_")
    replayed = api.post(rotate, headers={"Idempotency-Key": "rotate-1"})
    assert replayed.json() == {**rotated.json(), "secret": SHOWN_ONCE}
    assert b"whsec_" not in _stored(kassa, "rotate-1")


def test_a_replay_never_shows_a_portal_link_again(kassa, api: TestClient) -> None:
    """The portal link carries a single-use token (stored hashed): shown once, like a secret."""
    customer = api.post("/customers", json={"name": "Acme"}).json()
    headers = {"Idempotency-Key": "portal-1"}
    first = api.post("/customer-portal-sessions", json={"customer_id": customer["id"]},
                     headers=headers)
    assert first.status_code == 201, first.text
    again = api.post("/customer-portal-sessions", json={"customer_id": customer["id"]},
                     headers=headers)
    assert again.json() == {**first.json(), "url": SHOWN_ONCE}
    assert first.json()["url"].encode() not in _stored(kassa, "portal-1")
