"""Booleans are JSON true/false, instants RFC 3339 strings with an offset, lengths what the
schema says: anything looser is a 422 naming the field, and the OpenAPI says the same."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def _field(r) -> str:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["status"] == 422
    return body["errors"][0]["field"]


def _endpoint(api: TestClient) -> dict:
    r = api.post("/webhook-endpoints", json={"url": "https://hooks.example.com/k"})
    assert r.status_code == 201, r.text
    return r.json()


def test_integers_are_not_booleans(api: TestClient) -> None:
    """``{"renewal_notice_days": false}`` was stored as 0 (the fuzz run found it)."""
    before = api.get("/settings/subscriptions").json()["renewal_notice_days"]
    for value in (False, True):
        r = api.patch("/settings/subscriptions", json={"renewal_notice_days": value})
        assert _field(r) == "renewal_notice_days"
        assert r.json()["errors"][0]["message"] == "must be an integer, not a boolean"
    assert api.get("/settings/subscriptions").json()["renewal_notice_days"] == before
    assert _field(api.post("/credit-grants", json={"customer_id": "x", "amount": "1",
                                                   "priority": True})) == "priority"
    r = api.patch("/settings/subscriptions", json={"renewal_notice_days": 14})
    assert r.status_code == 200 and r.json()["renewal_notice_days"] == 14


@pytest.mark.parametrize("value", [0, 1, "true", "false", "yes", 1.0])
def test_booleans_are_json_booleans(api: TestClient, value) -> None:
    endpoint = _endpoint(api)
    assert _field(api.patch(f"/webhook-endpoints/{endpoint['id']}", json={"enabled": value})
                  ) == "enabled"
    assert _field(api.post("/customers", json={"name": "A", "tax_exempt": value})) == "tax_exempt"
    assert api.get(f"/webhook-endpoints/{endpoint['id']}").json()["enabled"] is True


@pytest.mark.parametrize("value", [0, 1783641600, -5.96e-08, "0", "1783641600",
                                   "2026-07-01T00:00:00", "2026-07-01", True])
def test_instants_are_rfc3339_strings_with_an_offset(api: TestClient, value) -> None:
    assert _field(api.post("/clock/freeze", json={"at": value})) == "at"
    endpoint = _endpoint(api)
    assert _field(api.post(f"/webhook-endpoints/{endpoint['id']}/recover",
                           json={"since": value})) == "since"
    assert api.get("/clock").json()["frozen"] is False


def test_an_rfc3339_instant_is_taken(api: TestClient) -> None:
    r = api.post("/clock/freeze", json={"at": "2026-07-01T02:00:00+02:00"})
    assert r.status_code == 200, r.text
    assert r.json()["now"].startswith("2026-07-01T00:00:00")


def test_days_are_date_strings(api: TestClient) -> None:
    r = api.post("/subscriptions", json={"customer_id": "x", "currency": "USD",
                                         "contract": {"start_date": 0}, "items": []})
    assert _field(r) == "contract.start_date"


def _metric(api: TestClient) -> dict:
    r = api.post("/metrics", json={"name": "Calls", "event_name": "call",
                                   "aggregation": {"method": "count"}})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_metric_aggregation_needs_its_method(api: TestClient) -> None:
    metric = _metric(api)
    for body in ({"aggregation": {"field": "n"}}, {"aggregation": {}}):
        assert _field(api.patch(f"/metrics/{metric['id']}", json=body)) == "aggregation.method"
    assert _field(api.patch(f"/metrics/{metric['id']}", json={"aggregation": None})
                  ) == "aggregation"


@pytest.mark.parametrize("value", ["1" * 1001, "x" * 1001, ["1" * 1001]])
def test_a_metric_filter_value_keeps_to_its_limits(api: TestClient, value) -> None:
    metric = _metric(api)
    operator = "in" if isinstance(value, list) else "equal"
    groups = [{"filters": [{"field": "region", "operator": operator, "value": value}]}]
    field = _field(api.patch(f"/metrics/{metric['id']}", json={"filter_groups": groups}))
    assert field.startswith("filter_groups[0].filters[0].value"), field
    r = api.post("/metrics", json={"name": "C", "event_name": "call",
                                   "aggregation": {"method": "count"}, "filter_groups": groups})
    assert _field(r).startswith("filter_groups[0].filters[0].value")


def test_the_openapi_states_strict_booleans_and_instants(api: TestClient) -> None:
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    enabled = schemas["WebhookEndpointUpdate"]["properties"]["enabled"]
    assert enabled["type"] == "boolean"
    since = schemas["RecoverRequest"]["properties"]["since"]
    # the pattern, not "format": "date-time" (RFC 3339's full form: seconds may be left out here)
    assert since["type"] == "string" and "format" not in since
    assert since["pattern"].startswith("^(19[7-9][0-9]|2[0-9]{3})-")
