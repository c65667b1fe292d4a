"""POST /events: batches, duplicates, time limits, per-event errors, aliases, upsert."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.usage_helpers import customer, freeze, metric, value

JULY = ("2026-07-01T00:00:00Z", "2026-08-01T00:00:00Z")


def ev(uid: str, account: str = "acme", ts: str | None = "2026-07-10T00:00:00Z", **props) -> dict:
    event = {"account": account, "event_name": "api", "unique_id": uid, "properties": props}
    if ts is not None:
        event["timestamp"] = ts
    return event


def post(api: TestClient, events: list, **params) -> dict:
    r = api.post("/events", json={"events": events}, params=params)
    assert r.status_code == 200, r.text
    return dict(r.json())


def empty(**lists) -> dict:
    return {"ingested": [], "duplicates": [], "updated": [], "failed": [], "errors": {}, **lists}


@pytest.fixture
def acme(kassa, api) -> str:
    freeze(kassa)
    return customer(api, "Acme", ["acme"])


def test_a_batch_is_ingested_and_counted(kassa, api, acme) -> None:
    body = post(api, [ev("e1", n=1), ev("e2", n=2)])
    assert body == empty(ingested=["e1", "e2"])
    assert value(kassa, metric(api, "sum", "n"), acme, *JULY) == Decimal(3)


def test_duplicates_within_a_batch_and_across_batches_count_once(kassa, api, acme) -> None:
    count = metric(api, "count")
    total = metric(api, "sum", "n")
    body = post(api, [ev("d1", n=1), ev("d2", n=10), ev("d1", n=100)])
    assert body == empty(ingested=["d1", "d2"], duplicates=["d1"])
    body = post(api, [ev("d2", n=1000), ev("d3", n=5)])
    assert body == empty(ingested=["d3"], duplicates=["d2"])
    body = post(api, [ev("d1"), ev("d2"), ev("d3")])  # a retried batch: all already stored
    assert body == empty(duplicates=["d1", "d2", "d3"])
    assert value(kassa, count, acme, *JULY) == Decimal(3)
    assert value(kassa, total, acme, *JULY) == Decimal(16)  # the first copy of each is kept


def test_backfills_land_in_their_period(kassa, api, acme) -> None:
    count = metric(api, "count")
    post(api, [ev("now", ts=None), ev("old", ts="2024-02-29T12:00:00Z"),
               ev("june", ts="2026-06-30T23:59:59.999999Z")])
    assert value(kassa, count, acme, "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z") == 1
    assert value(kassa, count, acme, "2026-06-01T00:00:00Z", "2026-07-01T00:00:00Z") == 1
    assert value(kassa, count, acme, *JULY) == 0
    # Without a timestamp the event is at the environment's (frozen) now.
    assert value(kassa, count, acme, "2026-12-01T00:00:00Z", "2026-12-01T00:00:00.000001Z") == 1


def test_five_minutes_ahead_of_the_frozen_clock_and_no_more(kassa, api, acme) -> None:
    r = api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"})
    assert r.status_code == 200
    body = post(api, [ev("edge", ts="2026-07-01T00:05:00Z"),
                      ev("late", ts="2026-07-01T00:05:00.000001Z"),
                      ev("zone", ts="2026-07-01T02:05:01+02:00")])
    reason = ("timestamp: more than 5 minutes ahead of the environment's clock "
              "(2026-07-01T00:00:00Z)")
    assert body == empty(ingested=["edge"], failed=["late", "zone"],
                         errors={"late": reason, "zone": reason})
    api.post("/clock/advance", json={"to": "2026-07-01T00:10:00Z"})
    assert post(api, [ev("late", ts="2026-07-01T00:05:00.000001Z")]) == empty(ingested=["late"])


def test_each_bad_event_fails_alone(kassa, api, acme) -> None:
    fifty = {f"p{i}": i for i in range(50)}
    batch = [
        ev("ok1"),
        {"account": "acme", "event_name": "api"},
        ev("x" * 256),
        {**ev("extra"), "customer_id": "c"},
        ev("ts", ts="yesterday"),
        ev("nested", obj={"a": 1}),
        {**ev("many"), "properties": {**fifty, "p50": 50}},
        {**ev("fifty"), "properties": fifty},
        {**ev("name"), "event_name": ""},
        "not an event",
        ev("ok2", flag=True, ratio=0.25, label="x"),
    ]
    body = post(api, batch)
    assert body == empty(
        ingested=["ok1", "fifty", "ok2"],
        failed=["events[1]", "events[2]", "extra", "ts", "nested", "many", "name", "events[9]"],
        errors={
            "events[1]": "unique_id: is required",
            "events[2]": "unique_id: must be 1-255 characters",
            "extra": "customer_id: unknown field; events take account, event_name, unique_id, "
                     "timestamp, properties and subscription_id",
            "ts": "timestamp: must be an RFC 3339 date-time such as 2026-07-01T12:00:00Z",
            "nested": "properties.obj: must be a string, number or boolean (properties are flat)",
            "many": "properties: at most 50 properties per event, got 51",
            "name": "event_name: must be 1-255 characters",
            "events[9]": "event: must be an object",
        },
    )


def test_accounts_resolve_by_id_or_alias(kassa, api, acme) -> None:
    other = customer(api, "Other", ["other-crm"])
    post(api, [ev("by-alias"), ev("by-id", account=other), ev("by-alias-2", account="other-crm"),
               ev("nobody", account="ghost")])
    stored = {e["unique_id"]: e["customer_id"] for e in api.get("/events").json()["data"]}
    assert stored == {"by-alias": acme, "by-id": other, "by-alias-2": other, "nobody": None}
    count = metric(api, "count")
    assert value(kassa, count, acme, *JULY) == 1
    assert value(kassa, count, other, *JULY) == 2


def test_numbers_are_stored_exactly_as_sent(kassa, api, acme) -> None:
    raw = (b'{"events": [{"account": "acme", "event_name": "api", "unique_id": "n1", '
           b'"timestamp": "2026-07-10T00:00:00Z", "properties": {"a": 0.1, "b": 1.50, '
           b'"c": 0.10000000000000000001, "d": 123456789012345678901234567890, "e": "0.1"}}]}')
    assert api.post("/events", content=raw).json()["ingested"] == ["n1"]
    r = api.get("/events/n1")
    assert b'"properties":{"a":0.1,"b":1.50,"c":0.10000000000000000001,' \
           b'"d":123456789012345678901234567890,"e":"0.1"}' in r.content
    total = value(kassa, metric(api, "sum", "a"), acme, *JULY)
    assert total == Decimal("0.1") and str(total) == "0.1"


def test_upsert_replaces_properties(kassa, api, acme) -> None:
    total = metric(api, "sum", "n")
    post(api, [ev("u1", n=1), ev("u2", n=2)])
    body = post(api, [ev("u1", n=10), ev("u3", n=3), ev("u3", n=30)], upsert="true")
    assert body == empty(ingested=["u3"], updated=["u1"], duplicates=["u3"])
    assert value(kassa, total, acme, *JULY) == Decimal(10 + 2 + 30)  # last copy of u3 wins
    page = {e["unique_id"]: e for e in api.get("/events").json()["data"]}
    assert page["u1"]["properties"] == {"n": 10}
    assert page["u1"]["updated_at"] == "2026-12-01T00:00:00Z"
    # Without upsert a repeat changes nothing.
    assert post(api, [ev("u1", n=99)]) == empty(duplicates=["u1"])
    assert value(kassa, total, acme, *JULY) == Decimal(42)


def test_upsert_changes_properties_only(kassa, api, acme) -> None:
    customer(api, "Other", ["other"])
    post(api, [ev("k1", n=1)])
    body = post(api, [
        {**ev("k1", n=2), "event_name": "renamed"},
        ev("k1", account="other", n=2),
        ev("k1", ts="2026-07-11T00:00:00Z", n=2),
    ], upsert="true")
    assert body["updated"] == [] and body["failed"] == ["k1"]
    assert body["duplicates"] == ["k1", "k1"]  # superseded by the last copy, which failed
    assert body["errors"] == {"k1": "timestamp: the stored event is at 2026-07-10T00:00:00Z; "
                                    "upsert replaces properties only"}
    body = post(api, [{**ev("k1", n=3), "event_name": "renamed"}], upsert="true")
    assert body["errors"] == {
        "k1": "event_name: the stored event is 'api'; upsert replaces properties only"}
    body = post(api, [ev("k1", account="other", n=3)], upsert="true")
    assert body["errors"] == {
        "k1": "account: the stored event is for 'acme'; upsert replaces properties only"}
    body = post(api, [ev("k1", ts=None, n=4)], upsert="true")  # no timestamp: keeps the stored one
    assert body == empty(updated=["k1"])


def test_upsert_respects_invoiced_periods(kassa, api, acme, monkeypatch) -> None:
    from kassa.services.usage import ingest as events_service

    post(api, [ev("inv1", n=1), ev("open1", n=1)])
    seen = []

    def invoiced(conn, environment, refs):
        seen.extend(refs)
        return {"inv1"}

    monkeypatch.setattr(events_service, "invoiced_event_ids", invoiced)
    body = post(api, [ev("inv1", n=5), ev("open1", n=5)], upsert="true")
    assert body["updated"] == ["open1"] and body["failed"] == ["inv1"]
    assert body["errors"]["inv1"].startswith("timestamp: the event's billing period is already "
                                             "invoiced")
    assert sorted(seen) == [("inv1", acme, 1783641600000000), ("open1", acme, 1783641600000000)]


def test_the_envelope_is_checked(api, acme) -> None:
    cases = [
        (b"", 422, "A JSON request body is required: {\"events\": [...]}."),
        (b"{", 400, "Malformed JSON body: Expecting property name enclosed in double quotes at "
                    "line 1 column 2."),
        (b"[1]", 422, 'The body must be a JSON object: {"events": [...]}.'),
        (b'{"event": []}', 422, "Unknown field 'event'; the body is {\"events\": [...]}."),
        (b'{"events": {}}', 422, "A list of events is required."),
        (b'{"events": []}', 422, "Send at least one event."),
        (orjson.dumps({"events": [ev(str(i)) for i in range(1001)]}), 422,
         "At most 1000 events per request, got 1001; split the batch."),
    ]
    for body, status, detail in cases:
        r = api.post("/events", content=body)
        assert (r.status_code, r.json()["detail"]) == (status, detail), body[:40]
    r = api.post("/events?upsert=maybe", json={"events": [ev("x")]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "upsert"


def test_a_thousand_events_in_one_request(kassa, api, acme) -> None:
    body = post(api, [ev(f"k{i:04d}", n=i) for i in range(1000)])
    assert len(body["ingested"]) == 1000 and body["failed"] == []
    assert value(kassa, metric(api, "sum", "n"), acme, *JULY) == Decimal(sum(range(1000)))


def test_an_oversized_body_is_refused(api, acme, monkeypatch) -> None:
    from kassa.api.routes import events as events_route

    monkeypatch.setattr(events_route, "MAX_BODY_BYTES", 100)
    r = api.post("/events", json={"events": [ev("big", pad="x" * 200)]})
    assert r.status_code == 413
    assert r.json()["detail"] == "The body is larger than 100 bytes; split the batch."


def test_idempotency_keys_do_not_apply(api, acme) -> None:
    headers = {"Idempotency-Key": "same"}
    r1 = api.post("/events", json={"events": [ev("i1")]}, headers=headers)
    r2 = api.post("/events", json={"events": [ev("i2")]}, headers=headers)
    assert r1.json()["ingested"] == ["i1"] and r2.json()["ingested"] == ["i2"]
    assert "Idempotent-Replayed" not in r2.headers


def test_environments_are_separate(kassa, api, prod_api, acme) -> None:
    customer(prod_api, "Acme live", ["acme"])
    assert post(api, [ev("shared", ts=None)])["ingested"] == ["shared"]
    r = prod_api.post("/events", json={"events": [ev("shared", ts=None)]})
    assert r.json()["ingested"] == ["shared"]
    assert api.get("/events").json()["pagination"]["total"] == 1


def test_a_key_is_required(anon) -> None:
    assert anon.post("/events", json={"events": [ev("x")]}).status_code == 401


def test_the_request_body_is_documented(api) -> None:
    post_events = api.get("/openapi.json").json()["paths"]["/events"]["post"]
    schema = post_events["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["events"]
    assert schema["properties"]["events"]["maxItems"] == 1000
    # an entry that is not an event fails alone (the batch is stored): the document says so
    event, anything_else = schema["properties"]["events"]["items"]["anyOf"]
    assert anything_else.keys() == {"description"} and "failed" in anything_else["description"]
    assert sorted(event["properties"]) == [
        "account", "event_name", "properties", "subscription_id", "timestamp", "unique_id"]
    assert event["properties"]["properties"]["maxProperties"] == 50
    assert [p["name"] for p in post_events["parameters"]] == ["upsert"]


def test_numbers_beyond_what_the_databases_hold_fail_alone(kassa, api, acme) -> None:
    """1e999999 is a finite Decimal, but PostgreSQL's numeric (JSONB) refuses it: the whole batch
    was a 500 there; SQLite stored it for billing to multiply later."""
    numbers = {"huge": b"1e999999", "tiny": b"1e-20000", "negative": b"-1e1000",
               "long": b"1" + b"0" * 1000 + b".5"}
    events = b",".join(
        b'{"account": "acme", "event_name": "api", "unique_id": "%s", '
        b'"timestamp": "2026-07-10T00:00:00Z", "properties": {"n": %s}}' % (uid.encode(), number)
        for uid, number in numbers.items()
    )
    edge = (b'{"account": "acme", "event_name": "api", "unique_id": "edge", '
            b'"timestamp": "2026-07-10T00:00:00Z", "properties": {"n": 9.9e999, "m": 1e-1000}}')
    r = api.post("/events", content=b'{"events": [' + events + b"," + edge + b"]}")
    assert r.status_code == 200, r.text
    message = "properties.n: numbers must be below 1e1000 in magnitude, with at most 1000 decimal places"
    assert r.json() == empty(ingested=["edge"], failed=list(numbers),
                             errors={uid: message for uid in numbers})
