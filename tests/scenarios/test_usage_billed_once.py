"""Usage billed to exactly one subscription (issue 16, "Usage billed once"): two subscriptions of
one customer pricing one metric bill each event once in total. An event naming a subscription
is that subscription's; one naming none goes to the earliest-started subscription pricing the
metric at the event's instant, and to the next one once that ends."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import advance, invoices
from tests.scenarios.seed_catalog import ok

METRIC = "mtr_calls"
CUSTOMER = "wcqYrqfE"
UNIT = {"type": "unit", "billing_interval": "monthly", "fee_type": "metered",
        "billing_direction": "arrears", "metric_ids": [METRIC],
        "unit_pricing_model": {"price_per_unit": "0.10"}}


def _setup(api: TestClient) -> tuple[dict, dict]:
    sc.build(api)
    ok(api.post("/metrics", json={"id": METRIC, "name": "Calls", "event_name": "calls",
                                  "aggregation": {"method": "sum", "field": "calls"}}), 201)
    ok(api.patch(f"/products/{sc.API_USAGE}", json={"metric_ids": [METRIC]}))
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    first = _subscribe(api, "2026-07-01")
    advance(api, "2026-07-10T00:00:00Z")
    second = _subscribe(api, "2026-07-10")
    return first, second


def _subscribe(api: TestClient, start: str) -> dict:
    return ok(api.post("/subscriptions", json={
        "customer_id": CUSTOMER, "currency": "USD", "auto_activate": True,
        "billing": {"payment_terms": "net_30"},
        "contract": {"period_type": "monthly_rolling", "start_date": start},
        "items": [{"product_id": sc.API_USAGE, "price": UNIT}]}), 201)


def _send(api: TestClient, events: list[tuple[str, str, int, str | None]]) -> dict:
    body = {"events": [
        {"account": CUSTOMER, "event_name": "calls", "unique_id": uid, "timestamp": at,
         "properties": {"calls": calls}, **({"subscription_id": sub} if sub else {})}
        for uid, at, calls, sub in events]}
    return ok(api.post("/events", json=body))


def _usage_lines(api: TestClient, sub: dict) -> list[tuple[str, str, str]]:
    return [(line["period_start"], line["quantity"], line["amount"])
            for invoice in invoices(api, subscription_id=sub["id"])
            for line in invoice["line_items"] if line["metric_id"] == METRIC]


def test_two_subscriptions_pricing_one_metric_bill_each_event_once(api: TestClient) -> None:
    first, second = _setup(api)
    advance(api, "2026-07-25T00:00:00Z")
    sent = _send(api, [
        ("before", "2026-07-05T10:00:00Z", 10, None),  # only the first existed
        ("both", "2026-07-15T10:00:00Z", 20, None),  # both price it: the earliest-started
        ("named-2", "2026-07-20T10:00:00Z", 5, second["id"]),
        ("named-1", "2026-07-21T10:00:00Z", 3, first["id"]),
    ])
    assert sent["failed"] == []
    usage = {u["subscription_id"]: u["value"] for u in
             ok(api.get(f"/customers/{CUSTOMER}/usage"))["data"]}
    assert usage == {first["id"]: "33", second["id"]: "5"}
    upcoming = {s["id"]: ok(api.get(f"/subscriptions/{s['id']}/upcoming-invoice"))["total"]
                for s in (first, second)}
    assert upcoming == {first["id"]: "3.30", second["id"]: "0.50"}
    # The event debugger says which subscription bills each, and why.
    said = {uid: ok(api.get(f"/events/{uid}"))["metrics"][0] for uid in ("before", "both",
                                                                       "named-2")}
    assert [(said[u]["billed_to"], said[u]["billed_to_because"]) for u in said] == [
        (first["id"], "the only subscription of the customer billing the metric then"),
        (first["id"], "the earliest-started of the 2 subscriptions billing the metric then "
                      "(an event names its subscription with subscription_id)"),
        (second["id"], "the event names it")]
    assert ok(api.get("/events/named-2"))["event"]["subscription_id"] == second["id"]

    advance(api, "2026-08-10T00:00:01Z")
    assert _usage_lines(api, first) == [("2026-07-01", "33", "3.30")]
    assert _usage_lines(api, second) == [("2026-07-10", "5", "0.50")]  # 38 calls, billed once

    # The first ends: from then on the second bills what names no subscription.
    ok(api.post(f"/subscriptions/{first['id']}/cancel", json={"timing": "immediate"}))
    advance(api, "2026-08-12T00:00:00Z")
    assert _send(api, [("after", "2026-08-11T10:00:00Z", 7, None)])["failed"] == []
    advance(api, "2026-09-10T00:00:01Z")
    assert _usage_lines(api, second)[-1] == ("2026-08-10", "7", "0.70")
    # The first's final invoice (August 1 to its end) has nothing of it.
    assert [q for _, q, _ in _usage_lines(api, first)] == ["33", "0"]
    assert sum(int(q) for _, q, _ in _usage_lines(api, first) + _usage_lines(api, second)) == 45


def test_an_event_naming_a_subscription_not_its_customers_fails_alone(api: TestClient) -> None:
    first, _ = _setup(api)
    other = ok(api.post("/customers", json={"name": "Other Co"}), 201)
    theirs = ok(api.post("/subscriptions", json={
        "customer_id": other["id"], "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-07-10"},
        "items": [{"product_id": sc.API_USAGE, "price": UNIT}]}), 201)
    sent = _send(api, [("theirs", "2026-07-05T10:00:00Z", 1, theirs["id"]),
                       ("nobody", "2026-07-05T10:00:00Z", 1, "sub_nope"),
                       ("mine", "2026-07-05T10:00:00Z", 1, first["id"])])
    assert sent["ingested"] == ["mine"] and sent["failed"] == ["theirs", "nobody"]
    assert sent["errors"] == {
        "theirs": f"subscription_id: subscription {theirs['id']!r} is not a subscription of "
                  f"account {CUSTOMER!r}",
        "nobody": "subscription_id: there is no subscription 'sub_nope'"}
    bad = _send(api, [("long", "2026-07-05T10:00:00Z", 1, "x" * 81),
                      ("number", "2026-07-05T10:00:00Z", 1, 5)])  # type: ignore[list-item]
    assert bad["errors"] == {"long": "subscription_id: must be 1-80 characters",
                             "number": "subscription_id: must be a string"}
    # An upsert may not move an event to another subscription.
    moved = ok(api.post("/events?upsert=true", json={"events": [
        {"account": CUSTOMER, "event_name": "calls", "unique_id": "mine",
         "timestamp": "2026-07-05T10:00:00Z", "properties": {"calls": 2}}]}))
    assert moved["errors"] == {"mine": f"subscription_id: the stored event names "
                                       f"{first['id']!r}; upsert replaces properties only"}
