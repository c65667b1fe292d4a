"""Webhook delivery to a real receiver on loopback, driven by the sandbox clock.

Every request the receiver gets is verified with the standardwebhooks package, under both the
webhook-* and the svix-* header names.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from kassa.clock import FixedClock
from kassa.store.uow import UnitOfWork

T0 = "2026-07-01T00:00:00Z"


def _endpoint(api: TestClient, receiver, **extra) -> dict:
    r = api.post("/webhook-endpoints", json={"url": receiver.url, **extra})
    assert r.status_code == 201, r.text
    receiver.secrets.append(r.json()["secret"])
    return r.json()


def _deliveries(ran: list[dict]) -> list[tuple]:
    return [
        (i["at"], i["attempt"], i["status_code"], i["delivered"])
        for i in ran
        if i["type"] == "webhook.deliver" and "skipped" not in i
    ]


def _only_message(api: TestClient, endpoint_id: str) -> dict:
    listed = api.get(f"/webhook-endpoints/{endpoint_id}/messages").json()["data"]
    assert len(listed) == 1
    return api.get(f"/webhook-messages/{listed[0]['id']}").json()


def test_a_receiver_failing_three_times_gets_the_message_on_the_fourth_attempt(
    api: TestClient, receiver
) -> None:
    api.post("/clock/freeze", json={"at": T0})
    endpoint = _endpoint(api, receiver)
    receiver.respond = lambda r: 500 if r.nth <= 3 else 200
    customer = api.post("/customers", json={"name": "Acme"}).json()

    ran = api.post("/clock/advance", json={"to": "2026-07-02T00:00:00Z"}).json()["ran"]

    assert ran[0]["type"] == "event.dispatched" and ran[0]["event_type"] == "customer.created"
    assert _deliveries(ran) == [
        ("2026-07-01T00:00:00Z", 1, 500, False),
        ("2026-07-01T00:05:00Z", 2, 500, False),
        ("2026-07-01T00:35:00Z", 3, 500, False),
        ("2026-07-01T02:35:00Z", 4, 200, True),
    ]
    assert len(receiver.requests) == 4
    assert all(r.verified and r.svix_verified for r in receiver.requests)
    ids = {r.message_id for r in receiver.requests}
    assert len(ids) == 1 and ids.pop().startswith("msg_")
    assert len({r.body for r in receiver.requests}) == 1  # the same bytes every time
    assert receiver.requests[0].payload == {
        "type": "customer.created",
        "timestamp": T0,
        "data": customer,
    }
    message = _only_message(api, endpoint["id"])
    assert message["status"] == "succeeded" and message["attempts"] == 4
    assert message["delivered_at"] == "2026-07-01T02:35:00Z"
    assert message["next_attempt_at"] is None
    assert message["id"] == receiver.requests[0].message_id
    attempts = message["delivery_attempts"]
    assert [(a["attempt"], a["attempted_at"], a["status_code"], a["succeeded"]) for a in attempts] == [
        (1, "2026-07-01T00:00:00Z", 500, False),
        (2, "2026-07-01T00:05:00Z", 500, False),
        (3, "2026-07-01T00:35:00Z", 500, False),
        (4, "2026-07-01T02:35:00Z", 200, True),
    ]
    assert {a["response"] for a in attempts} == {None}  # a loopback reply keeps no body
    assert all(a["trigger"] == "scheduled" and a["error"] is None for a in attempts)
    # Nothing more is due.
    assert api.post("/clock/advance", json={"to": "2026-07-09T00:00:00Z"}).json()["ran"] == []


def test_six_failures_mark_the_message_failed_and_a_manual_retry_delivers_it(
    api: TestClient, receiver
) -> None:
    api.post("/clock/freeze", json={"at": T0})
    endpoint = _endpoint(api, receiver)
    receiver.respond = lambda r: 503
    api.post("/customers", json={"name": "Acme"})

    ran = api.post("/clock/advance", json={"to": "2026-07-05T00:00:00Z"}).json()["ran"]

    assert [at for at, *_ in _deliveries(ran)] == [
        "2026-07-01T00:00:00Z",
        "2026-07-01T00:05:00Z",
        "2026-07-01T00:35:00Z",
        "2026-07-01T02:35:00Z",
        "2026-07-01T10:35:00Z",
        "2026-07-02T10:35:00Z",
    ]
    failed = api.get(f"/webhook-endpoints/{endpoint['id']}/messages?status=failed").json()
    assert failed["pagination"]["total"] == 1
    message = failed["data"][0]
    assert message["status"] == "failed" and message["attempts"] == 6
    assert message["next_attempt_at"] is None
    assert api.get(f"/webhook-endpoints/{endpoint['id']}/messages?status=pending").json()[
        "data"
    ] == []

    receiver.respond = lambda r: 204
    r = api.post(f"/webhook-messages/{message['id']}/retry")
    assert r.status_code == 202 and r.json()["status"] == "pending"
    again = api.post(f"/webhook-messages/{message['id']}/retry")
    assert again.status_code == 409
    assert "already pending" in again.json()["detail"]
    ran = api.post("/clock/advance", json={"to": "2026-07-05T00:00:00Z"}).json()["ran"]
    assert _deliveries(ran) == [("2026-07-05T00:00:00Z", 7, 204, True)]
    detail = api.get(f"/webhook-messages/{message['id']}").json()
    assert detail["status"] == "succeeded" and detail["attempts"] == 7
    assert detail["delivery_attempts"][-1]["trigger"] == "manual"
    assert len(receiver.requests) == 7 and all(r.verified for r in receiver.requests)
    assert receiver.distinct() == {message["id"]}


def test_a_failed_manual_retry_does_not_restart_the_schedule(api: TestClient, receiver) -> None:
    api.post("/clock/freeze", json={"at": T0})
    endpoint = _endpoint(api, receiver)
    receiver.respond = lambda r: 500
    api.post("/customers", json={"name": "Acme"})
    api.post("/clock/advance", json={"to": "2026-07-05T00:00:00Z"})
    message = api.get(f"/webhook-endpoints/{endpoint['id']}/messages").json()["data"][0]
    api.post(f"/webhook-messages/{message['id']}/retry")
    ran = api.post("/clock/advance", json={"to": "2026-07-09T00:00:00Z"}).json()["ran"]
    assert _deliveries(ran) == [("2026-07-05T00:00:00Z", 7, 500, False)]
    assert api.get(f"/webhook-messages/{message['id']}").json()["status"] == "failed"


def test_a_rolled_back_change_emits_nothing(kassa, api: TestClient, receiver) -> None:
    api.post("/clock/freeze", json={"at": T0})
    _endpoint(api, receiver)
    at = datetime(2026, 7, 1, tzinfo=UTC)
    with pytest.raises(RuntimeError):
        with UnitOfWork(kassa.engine, "sandbox", FixedClock(at)) as uow:
            uow.emit("customer.created", {"id": "lost0001"})
            uow.enqueue("webhook.deliver", {"message_id": "msg_x", "attempt": 1})
            raise RuntimeError("the change failed")
    # An API request that fails after validation leaves nothing either.
    assert api.post("/customers", json={"name": "A", "aliases": ["a"]}).status_code == 201
    assert api.post("/customers", json={"name": "B", "aliases": ["a"]}).status_code == 409
    ran = api.post("/clock/advance", json={"to": "2026-07-03T00:00:00Z"}).json()["ran"]
    assert [i["type"] for i in ran] == ["event.dispatched", "webhook.deliver"]
    assert [r.payload["data"]["name"] for r in receiver.requests] == ["A"]
    assert api.get("/webhook-events").json()["pagination"]["total"] == 1


def test_fan_out_follows_filters_and_skips_disabled_endpoints_and_internal_events(
    kassa, api: TestClient, receiver
) -> None:
    api.post("/clock/freeze", json={"at": T0})
    every = _endpoint(api, receiver, description="all")
    products_only = _endpoint(api, receiver, event_types=["product.created"])
    disabled = _endpoint(api, receiver, enabled=False)
    api.post("/customers", json={"name": "Acme"})
    r = api.post("/products", json={"name": "Seats", "fee_type": "fixed", "billing_frequency": "recurring"})
    assert r.status_code == 201, r.text
    with UnitOfWork(kassa.engine, "sandbox", FixedClock(datetime(2026, 7, 1, tzinfo=UTC))) as uow:
        uow.emit("internal.bookkeeping", {"secret": "not for webhooks"})
        uow.commit()
    api.post("/clock/advance", json={"to": "2026-07-01T01:00:00Z"})

    def types(endpoint: dict) -> list[str]:
        data = api.get(f"/webhook-endpoints/{endpoint['id']}/messages?sort=created_at:asc").json()
        return sorted(m["event_type"] for m in data["data"])

    assert types(every) == ["customer.created", "product.created"]
    assert types(products_only) == ["product.created"]
    assert types(disabled) == []
    assert len(receiver.requests) == 3 and all(r.verified for r in receiver.requests)
    assert not any(b"internal" in r.body for r in receiver.requests)


def test_the_test_event_goes_to_that_endpoint_only(api: TestClient, receiver) -> None:
    api.post("/clock/freeze", json={"at": T0})
    first = _endpoint(api, receiver)
    _endpoint(api, receiver)
    r = api.post(f"/webhook-endpoints/{first['id']}/test")
    assert r.status_code == 202
    message = r.json()
    assert message["status"] == "pending" and message["event_type"] == "webhook.test"
    assert message["payload"] == {
        "type": "webhook.test",
        "timestamp": T0,
        "data": {"endpoint_id": first["id"], "message": "A test event from Kassa."},
    }
    api.post("/clock/advance", json={"to": T0})
    assert [r.message_id for r in receiver.requests] == [message["id"]]
    assert receiver.requests[0].verified
    assert api.get(f"/webhook-messages/{message['id']}").json()["status"] == "succeeded"


def test_after_rotation_both_secrets_sign_for_a_while(api: TestClient, receiver) -> None:
    api.post("/clock/freeze", json={"at": T0})
    endpoint = _endpoint(api, receiver)
    old = receiver.secrets.pop()
    rotated = api.post(f"/webhook-endpoints/{endpoint['id']}/rotate-secret")
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != old
    assert "secret" not in api.get(f"/webhook-endpoints/{endpoint['id']}").json()
    api.post("/customers", json={"name": "Acme"})
    api.post("/clock/advance", json={"to": T0})
    (request,) = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    from tests.webhooks.receiver import _verify

    assert _verify([new], request.body, request.headers, "webhook")
    assert _verify([old], request.body, request.headers, "svix")
    assert not _verify(["whsec_" + "A" * 44], request.body, request.headers, "webhook")


def test_disabling_fails_pending_messages_and_recover_sends_them(
    api: TestClient, receiver
) -> None:
    api.post("/clock/freeze", json={"at": T0})
    endpoint = _endpoint(api, receiver)
    receiver.respond = lambda r: 500 if r.nth == 1 else 200
    api.post("/customers", json={"name": "Acme"})
    api.post("/clock/advance", json={"to": "2026-07-01T00:01:00Z"})  # attempt 1 failed
    r = api.patch(f"/webhook-endpoints/{endpoint['id']}", json={"enabled": False})
    assert r.status_code == 200 and r.json()["enabled"] is False
    # Events while disabled make no message; the scheduled retry does not go out.
    api.post("/customers", json={"name": "Missed"})
    ran = api.post("/clock/advance", json={"to": "2026-07-01T01:00:00Z"}).json()["ran"]
    assert _deliveries(ran) == []
    assert [(i["at"], i["attempt"], i["skipped"]) for i in ran if i["type"] == "webhook.deliver"] == [
        ("2026-07-01T00:05:00Z", 2, "this attempt was already made")
    ]
    assert len(receiver.requests) == 1
    messages = api.get(f"/webhook-endpoints/{endpoint['id']}/messages").json()["data"]
    assert [m["status"] for m in messages] == ["failed"]
    blocked = api.post(f"/webhook-endpoints/{endpoint['id']}/recover", json={"since": T0})
    assert blocked.status_code == 409 and "disabled" in blocked.json()["detail"]

    api.patch(f"/webhook-endpoints/{endpoint['id']}", json={"enabled": True})
    r = api.post(f"/webhook-endpoints/{endpoint['id']}/recover", json={"since": T0})
    assert r.status_code == 202
    assert r.json() == {"endpoint_id": endpoint["id"], "since": T0, "recovered": 1}
    ran = api.post("/clock/advance", json={"to": "2026-07-01T01:00:00Z"}).json()["ran"]
    assert _deliveries(ran) == [("2026-07-01T01:00:00Z", 2, 200, True)]
    # What the endpoint missed while disabled is in the events API.
    missed = api.get("/webhook-events?type=customer.created&since=2026-07-01T00:01:00Z").json()
    assert [e["data"]["name"] for e in missed["data"]] == ["Missed"]


def test_an_attempt_made_twice_is_recorded_once(kassa, api: TestClient, receiver) -> None:
    """A job whose lease ran out can run twice at once: both POST, one attempt is recorded."""
    from sqlalchemy import func, select

    from kassa.clock import utcnow
    from kassa.store import job_sql as sql
    from kassa.services import webhook_delivery
    from kassa.store.tables import jobs, webhook_attempts

    api.post("/clock/freeze", json={"at": T0})
    endpoint = _endpoint(api, receiver)
    receiver.respond = lambda r: 500
    api.post("/customers", json={"name": "Acme"})
    ctx = kassa.ctx("sandbox")
    next(s for s in kassa.registry.sources if s.name == "outbox").run(ctx)  # dispatch only
    with ctx.uow() as uow:
        (job,) = sql.claim(uow.conn, "sandbox", now=ctx.clock.now(), lease_until=utcnow(),
                           limit=5, worker="w")
        uow.commit()
    first = webhook_delivery.deliver(ctx, job)
    second = webhook_delivery.deliver(ctx, job)
    for result in (first, second):
        with ctx.uow() as uow:
            webhook_delivery.record_attempts(uow, [(job, result.outcome)])
            uow.commit()
    assert len(receiver.requests) == 2 and receiver.duplicates() == 1
    with kassa.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(webhook_attempts)).scalar_one() == 1
        follow_ups = conn.execute(
            select(jobs.c.payload).where(jobs.c.status == "queued")
        ).scalars().all()
    assert [p["attempt"] for p in follow_ups] == [2]
    message = _only_message(api, endpoint["id"])
    assert message["attempts"] == 1 and message["next_attempt_at"] == "2026-07-01T00:05:00Z"


def test_a_test_message_follows_the_retry_schedule(api: TestClient, receiver) -> None:
    api.post("/clock/freeze", json={"at": T0})
    endpoint = _endpoint(api, receiver)
    receiver.respond = lambda r: 500 if r.nth == 1 else 200
    message = api.post(f"/webhook-endpoints/{endpoint['id']}/test").json()

    ran = api.post("/clock/advance", json={"to": "2026-07-01T00:05:00Z"}).json()["ran"]

    assert _deliveries(ran) == [
        ("2026-07-01T00:00:00Z", 1, 500, False),
        ("2026-07-01T00:05:00Z", 2, 200, True),
    ]
    detail = api.get(f"/webhook-messages/{message['id']}").json()
    assert detail["status"] == "succeeded" and detail["attempts"] == 2
    assert detail["delivered_at"] == "2026-07-01T00:05:00Z"
    assert [a["trigger"] for a in detail["delivery_attempts"]] == ["scheduled", "scheduled"]
    assert [r.message_id for r in receiver.requests] == [message["id"]] * 2
