"""The event debugger: GET /events and GET /events/{unique_id} with every explanation."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.usage_helpers import customer, freeze, metric, subscribe



def ev(uid: str, account: str = "acme", name: str = "api", ts: str = "2026-07-10T00:00:00Z",
       **props) -> dict:
    return {"account": account, "event_name": name, "unique_id": uid, "timestamp": ts,
            "properties": props}


def send(api: TestClient, *events: dict) -> None:
    r = api.post("/events", json={"events": list(events)})
    assert r.status_code == 200 and r.json()["failed"] == [], r.text


@pytest.fixture
def acme(kassa, api) -> str:
    freeze(kassa)
    return customer(api, "Acme", ["acme"])


def test_list_filters_and_pages(api, acme) -> None:
    other = customer(api, "Other")
    # One request each: within a batch, events are stored in unique_id order.
    for event in [ev("a1", ts="2026-07-01T00:00:00Z"), ev("a2", name="storage"),
                  ev("a3", ts="2026-08-01T00:00:00Z"), ev("o1", account=other),
                  ev("g1", account="ghost")]:
        send(api, event)

    def ids(query: str = "") -> list[str]:
        r = api.get("/events" + query)
        assert r.status_code == 200, r.text
        return [e["unique_id"] for e in r.json()["data"]]

    assert ids() == ["g1", "o1", "a3", "a2", "a1"]  # newest received first
    assert ids("?customer_id=acme") == ["a3", "a2", "a1"]  # by alias
    assert ids(f"?customer_id={other},acme&event_name=api") == ["o1", "a3", "a1"]
    assert ids("?account=ghost") == ["g1"]
    assert ids("?from=2026-07-01T00:00:00Z&to=2026-08-01T00:00:00Z&customer_id=acme") == [
        "a2", "a1"]
    assert ids("?sort=timestamp:asc&customer_id=acme") == ["a1", "a2", "a3"]
    page = api.get("/events?limit=2&offset=2").json()
    assert [e["unique_id"] for e in page["data"]] == ["a3", "a2"]
    assert page["pagination"] == {"per_page": 2, "total_pages": 3, "total": 5}
    first = api.get("/events?account=ghost").json()["data"][0]
    assert first == {
        "unique_id": "g1", "event_name": "api", "account": "ghost", "customer_id": None,
        "subscription_id": None, "timestamp": "2026-07-10T00:00:00Z", "properties": {},
        "received_at": "2026-12-01T00:00:00Z", "updated_at": "2026-12-01T00:00:00Z",
    }


@pytest.mark.parametrize(
    ("query", "field", "detail"),
    [
        ("?customer_id=nobody", "customer_id",
         "No customer has id or alias 'nobody'. Events whose account matched no customer are "
         "found with ?account=."),
        ("?from=yesterday", "from",
         "from: must be an RFC 3339 date-time such as 2026-07-01T12:00:00Z."),
        ("?to=2026-07-01T00:00:00Z,2026-08-01T00:00:00Z", "to",
         "to takes one RFC 3339 date-time."),
        ("?colour=red", "colour",
         "Unknown filter 'colour'; filters: customer_id, account, event_name, from, to."),
        ("?sort=account:asc", "sort", "Cannot sort by 'account'; sortable fields: received_at, "
                                      "timestamp."),
    ],
)
def test_list_refuses_bad_filters(api, acme, query, field, detail) -> None:
    r = api.get("/events" + query)
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": field, "message": detail}]


def billed_by(sub_id: str) -> dict:
    return {"status": "in_use", "detail": f"Billed by subscription {sub_id}.",
            "subscription_ids": [sub_id]}


def test_counted(api, acme) -> None:
    m = metric(api, "sum", "n")
    sub_id = subscribe(api, acme, m["id"])
    send(api, ev("ok", n=3))
    body = api.get("/events/ok").json()
    assert body["counted"] is True and body["reason"] is None
    assert body["explanation"] == f"Counted by 1 of 1 metrics: {m['id']}."
    assert body["metrics"] == [{
        "metric_id": m["id"], "metric_name": "sum n",
        "aggregation": {"method": "sum", "field": "n"},
        "counted": True, "reason": None,
        "detail": f"Counted: the event matches the metric. Billed by subscription {sub_id}. "
                  f"Its usage is billed to {sub_id}: the only subscription of the customer "
                  "billing the metric then.",
        "failed_filters": [], "subscriptions": billed_by(sub_id),
        "billed_to": sub_id,
        "billed_to_because": "the only subscription of the customer billing the metric then",
    }]
    assert body["event"]["properties"] == {"n": 3} and body["event"]["customer_id"] == acme


def test_no_customer_and_a_customer_created_later(api, acme) -> None:
    metric(api, "count")
    send(api, ev("orphan", account="later-crm"))
    body = api.get("/events/orphan").json()
    detail = ("The account 'later-crm' matched no customer id or alias when the event was "
              "received, so it counts for no customer.")
    assert (body["counted"], body["reason"], body["explanation"]) == (False, "no_customer", detail)
    assert body["metrics"][0]["reason"] == "no_customer"
    assert body["metrics"][0]["subscriptions"]["status"] == "not_in_use"
    later = customer(api, "Later", ["later-crm"])
    body = api.get("/events/orphan").json()
    assert body["explanation"] == detail + (
        f" Customer '{later}' answers to 'later-crm' now, but an event is attributed to a "
        "customer when it is received.")


def test_no_metric(api, acme) -> None:
    send(api, ev("lonely", name="unmetered"))
    body = api.get("/events/lonely").json()
    assert (body["counted"], body["reason"], body["metrics"]) == (False, "no_metric", [])
    assert body["explanation"] == "No metric uses event_name 'unmetered', so nothing counts it."
    old = metric(api, "count", event_name="unmetered")
    api.delete(f"/metrics/{old['id']}")
    assert api.get("/events/lonely").json()["explanation"] == (
        f"No metric uses event_name 'unmetered', so nothing counts it. Only archived metrics "
        f"do: {old['id']}.")


def test_filtered_out_names_the_failing_filters(api, acme) -> None:
    m = metric(api, "count", groups=[
        {"operator": "and", "filters": [
            {"field": "region", "operator": "equal", "value": "eu"},
            {"field": "size", "operator": "gte", "value": 10},
        ]},
        {"operator": "or", "filters": [
            {"field": "plan", "operator": "in", "value": ["pro", "team"]},
            {"field": "beta", "operator": "equal", "value": True},
        ]},
    ])
    subscribe(api, acme, m["id"])
    send(api, ev("f1", region="eu", size=4, plan="free"))
    verdict = api.get("/events/f1").json()["metrics"][0]
    assert (verdict["counted"], verdict["reason"]) == (False, "filtered_out")
    assert verdict["failed_filters"] == [
        {"group": 0, "filter": 1, "field": "size", "operator": "gte", "value": "10",
         "description": "size gte 10", "actual": 4},
        {"group": 1, "filter": 0, "field": "plan", "operator": "in", "value": ["pro", "team"],
         "description": 'plan in ["pro", "team"]', "actual": "free"},
        {"group": 1, "filter": 1, "field": "beta", "operator": "equal", "value": True,
         "description": "beta equal true", "actual": None},
    ]
    assert verdict["detail"] == (
        "Filtered out: size gte 10 (filter_groups[0].filters[1]) does not match: the event has "
        "size = 4; plan in [\"pro\", \"team\"] (filter_groups[1].filters[0]) does not match: the "
        "event has plan = 'free'; beta equal true (filter_groups[1].filters[1]) does not match: "
        "the event has no 'beta'.")
    body = api.get("/events/f1").json()
    assert body["reason"] == "filtered_out"
    assert body["explanation"] == f"Counted by none of its metrics. {m['id']}: {verdict['detail']}"
    send(api, ev("f2", region="eu", size="12.5", beta=True))
    assert api.get("/events/f2").json()["counted"] is True


def test_no_value(api, acme) -> None:
    metric(api, "sum", "bytes")
    unique = metric(api, "count_unique", "user")
    subscribe(api, acme, unique["id"])
    send(api, ev("v1", bytes="lots", user="u1"))
    by_method = {m["aggregation"]["method"]: m for m in api.get("/events/v1").json()["metrics"]}
    assert by_method["sum"]["reason"] == "no_value"
    assert by_method["sum"]["detail"] == (
        "The metric takes the sum of property 'bytes', and the event has no numeric 'bytes', "
        "so it adds nothing.")
    assert by_method["count_unique"]["counted"] is True


def test_subscription_seam(kassa, api, acme) -> None:
    m = metric(api, "count")
    send(api, ev("s1"), ev("s2", account="ghost"))
    calls = []

    def source(conn, environment, customer_id, metric_id, at):
        calls.append((environment, customer_id, metric_id, at.isoformat()))
        return ["sub1"] if at.day == 10 and customer_id == acme else []

    kassa.metric_users.register("fake subscriptions", source)
    verdict = api.get("/events/s1").json()["metrics"][0]
    assert verdict["counted"] is True
    assert verdict["subscriptions"] == {
        "status": "in_use", "detail": "Billed by subscription sub1.", "subscription_ids": ["sub1"]}
    assert calls == [("sandbox", acme, m["id"], "2026-07-10T00:00:00+00:00")]
    send(api, ev("s3", ts="2026-07-11T00:00:00Z"))
    body = api.get("/events/s3").json()
    assert (body["counted"], body["reason"]) == (False, "no_subscription")
    assert body["metrics"][0]["detail"] == (
        f"No subscription of customer '{acme}' bills this metric at the event's time.")
    assert len(calls) == 2  # an event without a customer never asks
    api.get("/events/s2")
    assert len(calls) == 2


def test_no_subscription_bills_the_metric(api, acme) -> None:
    m = metric(api, "count")
    send(api, ev("n1"))
    body = api.get("/events/n1").json()
    assert (body["counted"], body["reason"]) == (False, "no_subscription")
    assert body["metrics"][0]["subscriptions"] == {
        "status": "not_in_use",
        "detail": f"No subscription of customer '{acme}' bills this metric at the event's time.",
        "subscription_ids": [],
    }
    # A subscription that starts after the event does not count it either.
    subscribe(api, acme, m["id"], start="2026-08-01")
    assert api.get("/events/n1").json()["reason"] == "no_subscription"
    send(api, ev("n2", ts="2026-08-02T00:00:00Z"))
    assert api.get("/events/n2").json()["counted"] is True


def test_unknown_event_and_odd_ids(api, acme) -> None:
    r = api.get("/events/nope")
    assert r.status_code == 404 and r.json()["detail"] == "Event 'nope' was not found."
    send(api, ev("orders/2026/7 #1"))
    assert api.get("/events/orders%2F2026%2F7%20%231").json()["event"]["unique_id"] == (
        "orders/2026/7 #1")
