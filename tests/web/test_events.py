"""Events: the event debugger in the browser (issue 14: "search by customer or unique id; why an
event was not counted"); the figures on the page are those GET /events/{unique_id} gives.

- Search by customer, then open an event: ``test_search_and_why_an_event_was_not_counted``
  (counted, filtered out, no value, and an account that matched no customer).
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.scenarios.seed_catalog import ok
from tests.web.conftest import error_beside, nav

pytestmark = pytest.mark.both_backends  # its pages run SQL of their own


@pytest.fixture(scope="module")
def server(own_server):
    """This module's own server: its live subscriptions stay out of other tests' way."""
    return own_server


def test_search_and_why_an_event_was_not_counted(server, sandbox_api, admin) -> None:
    tag, api = uuid.uuid4().hex[:8], sandbox_api
    customer = ok(api.post("/customers", json={"name": f"Metered {tag}",
                                               "aliases": [f"acct-{tag}"]}), 201)
    metric = ok(api.post("/metrics", json={
        "name": f"EU API calls {tag}", "event_name": f"api_call_{tag}",
        "aggregation": {"method": "sum", "field": "calls"},
        "filter_groups": [{"operator": "and", "filters": [
            {"field": "region", "operator": "equal", "value": "eu"}]}]}), 201)
    product = ok(api.post("/products", json={"name": f"API {tag}", "fee_type": "metered",
                                             "metric_ids": [metric["id"]]}), 201)
    ok(api.post("/subscriptions", json={  # bills the metric: its events count
        "customer_id": customer["id"], "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling"},
        "items": [{"product_id": product["id"], "price": {
            "type": "unit", "billing_interval": "monthly", "fee_type": "metered",
            "billing_direction": "arrears", "metric_ids": [metric["id"]],
            "unit_pricing_model": {"price_per_unit": "0.01"}}}]}), 201)
    name = f"api_call_{tag}"
    sent = ok(api.post("/events", json={"events": [
        {"account": f"acct-{tag}", "event_name": name, "unique_id": f"{tag}/counted",
         "properties": {"calls": 5, "region": "eu"}},
        {"account": customer["id"], "event_name": name, "unique_id": f"{tag}/us",
         "properties": {"calls": 3, "region": "us"}},
        {"account": customer["id"], "event_name": name, "unique_id": f"{tag}/empty",
         "properties": {"region": "eu"}},
        {"account": f"nobody-{tag}", "event_name": name, "unique_id": f"{tag}/orphan",
         "properties": {"calls": 1, "region": "eu"}},
    ]}))
    assert len(sent["ingested"]) == 4

    nav(admin, "Events").click()
    search = admin.get_by_role("search")
    search.get_by_label("Customer (id or alias)").fill(f"acct-{tag}")  # an alias works
    search.get_by_role("button", name="Search").click()
    admin.wait_for_url("**/dashboard/events?customer=*")
    ids = admin.get_by_role("table").locator("tbody tr td:first-child").all_inner_texts()
    listed = ok(api.get("/events", params={"customer_id": f"acct-{tag}"}))["data"]
    assert ids == [e["unique_id"] for e in listed]  # newest received first, as the API lists
    assert sorted(ids) == [f"{tag}/counted", f"{tag}/empty", f"{tag}/us"]
    expect(admin.get_by_text("1–3 of 3 events")).to_be_visible()

    for unique_id in ("counted", "us", "empty"):
        admin.goto(f"/dashboard/events?customer=acct-{tag}")
        admin.get_by_role("link", name=f"{tag}/{unique_id}").click()
        explained = ok(api.get(f"/events/{tag}/{unique_id}"))
        expect(admin.get_by_role("heading", level=1)).to_have_text(f"Event {tag}/{unique_id}")
        verdict = "Counted." if explained["counted"] else "Not counted: "
        expect(admin.get_by_role("status")).to_have_text(
            f"{verdict}{'' if explained['counted'] else _label(explained['reason']) + '.'} "
            f"{explained['explanation']}")
        [row] = admin.get_by_role("table", name=f"Metrics with event name {name}").locator(
            "tbody tr").all()
        [v] = explained["metrics"]
        cells = [c.strip() for c in row.get_by_role("cell").all_inner_texts()]
        assert cells == [f"{v['metric_name']}\n{metric['id']}", "sum(calls)",
                         "Counted" if v["counted"] else _label(v["reason"]), v["detail"]]
    assert [ok(api.get(f"/events/{tag}/{u}"))["reason"] for u in ("counted", "us", "empty")] == [
        None, "filtered_out", "no_value"]

    # By unique id: an account that matched no customer; an unknown id is said beside its field.
    admin.goto("/dashboard/events")
    admin.get_by_label("Unique id").fill(f"{tag}/orphan")
    admin.get_by_role("button", name="Search").click()
    expect(admin.get_by_role("status")).to_contain_text(
        f"Not counted: No customer. The account 'nobody-{tag}' matched no customer id or alias")
    admin.goto("/dashboard/events")
    admin.get_by_label("Unique id").fill(f"{tag}/missing")
    admin.get_by_role("button", name="Search").click()
    error_beside(admin, admin.get_by_label("Unique id"), f"Event '{tag}/missing' was not found.")
    admin.get_by_label("Unique id").fill("")
    admin.get_by_label("Account (as sent)").fill(f"nobody-{tag}")
    admin.get_by_role("button", name="Search").click()
    ids = admin.get_by_role("table").locator("tbody tr td:first-child").all_inner_texts()
    assert ids == [f"{tag}/orphan"]


def _label(reason: str) -> str:
    return {"filtered_out": "Filtered out", "no_value": "No value", "no_customer": "No customer",
            "no_subscription": "No subscription", "no_metric": "No metric"}[reason]
