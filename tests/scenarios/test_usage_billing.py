"""Usage meets subscriptions and invoices: the customer usage API, thresholds once per period,
late events billed as adjustments, and upserts refused once a period is invoiced."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kassa.services.usage.ingest import ingest_events
from kassa.services.usage.thresholds import CHECK_JOB
from kassa.store.tables import jobs
from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import advance, invoices, lines, send_usage
from tests.scenarios.helpers import event_data
from tests.scenarios.seed_catalog import ok

METRIC = "mtr_calls"
UNIT = {"type": "unit", "billing_interval": "monthly", "fee_type": "metered",
        "billing_direction": "arrears", "metric_ids": [METRIC],
        "unit_pricing_model": {"price_per_unit": "0.10"}}


@pytest.fixture
def sub(api: TestClient) -> dict:
    sc.build(api)
    ok(api.post("/metrics", json={"id": METRIC, "name": "Calls", "event_name": "calls",
                                  "aggregation": {"method": "sum", "field": "calls"}}), 201)
    ok(api.patch(f"/products/{sc.API_USAGE}", json={"metric_ids": [METRIC]}))
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    return ok(api.post("/subscriptions", json={
        "customer_id": "wcqYrqfE", "currency": "USD", "auto_activate": True,
        "billing": {"payment_terms": "net_30"},
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-07-01"},
        "items": [{"product_id": sc.API_USAGE, "price": UNIT}],
    }), 201)


def test_customer_usage_for_the_current_period_and_by_day(api: TestClient, sub: dict) -> None:
    advance(api, "2026-07-04T12:00:00Z")
    send_usage(api, "wcqYrqfE", "calls", [("a", "2026-07-01T10:00:00Z", 5),
                                          ("b", "2026-07-03T10:00:00Z", 7),
                                          ("c", "2026-06-30T10:00:00Z", 100)])
    usage = ok(api.get("/customers/wcqYrqfE/usage"))
    assert usage == {"customer_id": "wcqYrqfE", "data": [{
        "subscription_id": sub["id"], "product_id": sc.API_USAGE, "metric_id": METRIC,
        "metric_name": "Calls", "event_name": "calls", "aggregation": "sum",
        "from": "2026-07-01T00:00:00Z", "to": "2026-08-01T00:00:00Z", "value": "12",
    }]}
    daily = ok(api.get("/customers/wcqYrqfE/usage?from=2026-06-30T00:00:00Z"
                       "&to=2026-07-03T00:00:00Z&group_by=day"))["data"][0]
    assert daily["value"] == "105"
    assert daily["series"] == [{"date": "2026-06-30", "value": "100"},
                               {"date": "2026-07-01", "value": "5"},
                               {"date": "2026-07-02", "value": "0"}]
    for query, field in [("?from=2026-07-01T00:00:00Z", "to"),
                         ("?from=2026-07-02T00:00:00Z&to=2026-07-01T00:00:00Z", "to"),
                         ("?group_by=week", "group_by"),
                         ("?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&group_by=day", "group_by")]:
        r = api.get("/customers/wcqYrqfE/usage" + query)
        assert r.status_code == 422, query
        assert r.json()["errors"][0]["field"] == field
    assert api.get("/customers/nobody/usage").status_code == 404


def test_threshold_fires_once_per_period(kassa, api: TestClient, sub: dict) -> None:
    threshold = ok(api.post("/usage-thresholds", json={"subscription_id": sub["id"],
                                                       "metric_id": METRIC, "value": "100"}), 201)
    assert threshold["customer_id"] == "wcqYrqfE" and threshold["value"] == "100"
    advance(api, "2026-07-10T00:00:00Z")
    send_usage(api, "wcqYrqfE", "calls", [("t1", "2026-07-09T00:00:00Z", 60)])
    assert event_data(kassa, "usage.threshold_exceeded") == []
    send_usage(api, "wcqYrqfE", "calls", [("t2", "2026-07-09T01:00:00Z", 50)])
    send_usage(api, "wcqYrqfE", "calls", [("t3", "2026-07-09T02:00:00Z", 50)])
    fired = event_data(kassa, "usage.threshold_exceeded")
    assert fired == [{
        "threshold_id": threshold["id"], "customer_id": "wcqYrqfE", "subscription_id": sub["id"],
        "metric_id": METRIC, "threshold": "100", "usage": "110",
        "period": {"start": "2026-07-01", "end": "2026-08-01"},
    }]
    advance(api, "2026-08-05T00:00:00Z")
    send_usage(api, "wcqYrqfE", "calls", [("t4", "2026-08-04T00:00:00Z", 101)])
    assert [d["period"]["start"] for d in event_data(kassa, "usage.threshold_exceeded")] == [
        "2026-07-01", "2026-08-01"]
    r = api.post("/usage-thresholds", json={"metric_id": METRIC, "value": "1"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "customer_id"
    r = api.post("/usage-thresholds", json={"customer_id": "wcqYrqfE", "metric_id": "mtr_nope", "value": "1"})
    assert r.status_code == 404
    ok(api.delete(f"/usage-thresholds/{threshold['id']}"))
    assert ok(api.get(f"/usage-thresholds/{threshold['id']}"))["status"] == "archived"


def test_a_burst_of_batches_makes_one_threshold_check(kassa, api: TestClient, sub: dict) -> None:
    threshold = ok(api.post("/usage-thresholds", json={"subscription_id": sub["id"],
                                                       "metric_id": METRIC, "value": "100"}), 201)
    advance(api, "2026-07-10T00:00:00Z")
    waiting = replace(kassa.ctx("sandbox"), jobs=None)  # nothing runs as the commit returns
    for uid, calls in [("b1", 60), ("b2", 30), ("b3", 20)]:
        ingest_events(waiting, [{"account": "wcqYrqfE", "event_name": "calls", "unique_id": uid,
                                 "timestamp": "2026-07-09T00:00:00Z",
                                 "properties": {"calls": calls}}])
    with kassa.engine.connect() as conn:
        queued = conn.execute(select(jobs.c.type, jobs.c.payload)).all()
    assert [tuple(j) for j in queued] == [(CHECK_JOB, {"customer_id": "wcqYrqfE"})]
    assert event_data(kassa, "usage.threshold_exceeded") == []
    (ran,) = kassa.jobs.run(kassa.ctx("sandbox"))
    assert ran["type"] == CHECK_JOB
    assert [(d["threshold_id"], d["usage"]) for d in event_data(
        kassa, "usage.threshold_exceeded")] == [(threshold["id"], "110")]
    send_usage(api, "wcqYrqfE", "calls", [("b4", "2026-07-09T03:00:00Z", 5)])  # checked at once
    assert len(event_data(kassa, "usage.threshold_exceeded")) == 1  # once per period


def test_late_usage_is_billed_on_the_next_invoice(api: TestClient, sub: dict) -> None:
    advance(api, "2026-07-20T00:00:00Z")
    send_usage(api, "wcqYrqfE", "calls", [("j1", "2026-07-10T00:00:00Z", 100)])
    advance(api, "2026-08-03T00:00:00Z")
    [july] = invoices(api)
    assert lines(july) == [("usage", "2026-07-01", "2026-08-01", "100", "10.00")]
    # Events for July arrive after July was invoiced.
    send_usage(api, "wcqYrqfE", "calls", [("j2", "2026-07-31T23:59:00Z", 40),
                                          ("a1", "2026-08-02T00:00:00Z", 10)])
    advance(api, "2026-09-01T00:00:00Z")
    august = invoices(api)[-1]
    assert lines(august) == [
        ("usage", "2026-08-01", "2026-09-01", "10", "1.00"),
        ("adjustment", "2026-07-01", "2026-08-01", "40", "4.00"),
    ]
    assert august["line_items"][1]["details"] == {
        "late_usage": True, "billed_quantity": "100", "actual_quantity": "140"}
    assert august["total"] == "5.00"
    # Settled once: the next invoice has no adjustment.
    advance(api, "2026-10-01T00:00:00Z")
    assert [line["kind"] for line in invoices(api)[-1]["line_items"]] == ["usage"]


def test_late_usage_is_repriced_as_its_period_was_billed(api: TestClient, sub: dict) -> None:
    """The adjustment prices the late units at the escalated rate the period was billed at."""
    ok(api.patch(f"/subscriptions/{sub['id']}", json={"price_escalation": {
        "percentage": "50", "interval_months": 1, "escalate_metered_unit_rates": True}}))
    advance(api, "2026-08-10T00:00:00Z")
    send_usage(api, "wcqYrqfE", "calls", [("g1", "2026-08-05T00:00:00Z", 100)])
    advance(api, "2026-09-02T00:00:00Z")
    assert lines(invoices(api)[-1]) == [("usage", "2026-08-01", "2026-09-01", "100", "15.00")]
    send_usage(api, "wcqYrqfE", "calls", [("g2", "2026-08-31T12:00:00Z", 40)])
    advance(api, "2026-10-01T00:00:00Z")
    assert lines(invoices(api)[-1]) == [
        ("usage", "2026-09-01", "2026-10-01", "0", "0.00"),
        ("adjustment", "2026-08-01", "2026-09-01", "40", "6.00"),
    ]


def test_upsert_refused_once_the_period_is_invoiced(api: TestClient, sub: dict) -> None:
    advance(api, "2026-07-20T00:00:00Z")
    send_usage(api, "wcqYrqfE", "calls", [("u1", "2026-07-10T00:00:00Z", 1)])
    body = {"events": [{"account": "wcqYrqfE", "event_name": "calls", "unique_id": "u1",
                        "timestamp": "2026-07-10T00:00:00Z", "properties": {"calls": 2}}]}
    assert ok(api.post("/events?upsert=true", json=body))["failed"] == []
    advance(api, "2026-08-02T00:00:00Z")
    refused = ok(api.post("/events?upsert=true", json=body))
    assert refused["failed"] == ["u1"]
    assert refused["errors"]["u1"].startswith("timestamp: the event's billing period is already invoiced")
