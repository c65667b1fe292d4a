"""Triggers from notices: ``subscription.ending_soon`` with ``days`` (only the notice that many
days ahead), and both it and ``usage.threshold_exceeded`` starting one execution per term or
period and threshold, however often the clock is advanced."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.automations.helpers import CUSTOMER, EMAIL, activate, advance, execution, executions
from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import send_usage
from tests.scenarios.seed_catalog import ok

ENDING = "subscription.ending_soon"
METRIC = "mtr_calls"


def on_ending_soon(api: TestClient, name: str, **days: int) -> str:
    automation = ok(api.post("/automations", json={
        "name": name, "trigger": {"type": "event", "event": ENDING, **days},
        "steps": [{"type": "action", "action": "create_task",
                   "message": f"{name} {{{{trigger.data.id}}}} {{{{trigger.data.term_end}}}}"}]}),
        201)
    activate(api, automation["id"])
    return automation["id"]


def subscribe(api: TestClient, contract: dict) -> str:
    return ok(api.post("/subscriptions", json={
        "customer_id": CUSTOMER, "currency": "USD", "auto_activate": True,
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}],
        "contract": {"start_date": "2026-01-01", **contract}}), 201)["id"]


def fired(api: TestClient, automation_id: str) -> list[tuple[str, str, str, int]]:
    """(triggered at, subscription, term end, days until it) of each execution, oldest first."""
    found = []
    for run in reversed(executions(api, automation_id)):
        assert run["status"] == "completed"
        data = execution(api, automation_id, run["id"])["trigger"]["data"]
        found.append((run["triggeredAt"], data["id"], data["term_end"], data["days_until_end"]))
    return found


def test_ending_soon_matches_days_and_fires_once_per_term(api) -> None:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-01-01T00:00:00Z"}))
    month_ahead = on_ending_soon(api, "thirty", days=30)
    ten_ahead = on_ending_soon(api, "ten", days=10)
    every = on_ending_soon(api, "every")
    advance(api, "2026-01-01T00:00:01Z")  # the automations consumer starts
    annual = subscribe(api, {"period_type": "fixed", "duration_months": 12})  # renews
    rolling = subscribe(api, {"period_type": "monthly_rolling"})
    advance(api, "2026-02-01T00:00:00Z")
    # A cancellation 10 days ahead is announced at once, 10 days before its end.
    ok(api.post(f"/subscriptions/{rolling}/cancel", json={"timing": "2026-02-11"}))
    advance(api, "2028-01-15T00:00:00Z")
    advance(api, "2028-01-15T00:00:00Z")  # again: nothing new
    terms = [("2026-12-02T00:00:00Z", annual, "2027-01-01", 30),
             ("2027-12-02T00:00:00Z", annual, "2028-01-01", 30)]
    cancellation = ("2026-02-01T00:00:00Z", rolling, "2026-02-11", 10)
    assert fired(api, month_ahead) == terms
    assert fired(api, ten_ahead) == [cancellation]
    assert fired(api, every) == [cancellation, *terms]
    tasks = ok(api.get("/tasks", params={"limit": 100}))["data"]
    assert sorted(t["message"] for t in tasks if t["message"].startswith("thirty ")) == [
        f"thirty {annual} 2027-01-01", f"thirty {annual} 2028-01-01"]


def metered(api: TestClient) -> str:
    sc.build(api)
    ok(api.patch(f"/customers/{CUSTOMER}", json={"email": EMAIL}))
    ok(api.post("/metrics", json={"id": METRIC, "name": "Calls", "event_name": "calls",
                                  "aggregation": {"method": "sum", "field": "calls"}}), 201)
    ok(api.patch(f"/products/{sc.API_USAGE}", json={"metric_ids": [METRIC]}))
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    return ok(api.post("/subscriptions", json={
        "customer_id": CUSTOMER, "currency": "USD", "auto_activate": True,
        "billing": {"payment_terms": "net_30"},
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-07-01"},
        "items": [{"product_id": sc.API_USAGE, "price": {
            "type": "unit", "billing_interval": "monthly", "fee_type": "metered",
            "billing_direction": "arrears", "metric_ids": [METRIC],
            "unit_pricing_model": {"price_per_unit": "0.10"}}}],
    }), 201)["id"]


def test_usage_alert_runs_once_per_period_and_threshold(api, smtp_server) -> None:
    sub = metered(api)
    low, high = (ok(api.post("/usage-thresholds", json={
        "subscription_id": sub, "metric_id": METRIC, "value": value}), 201)["id"]
        for value in ("100", "200"))
    alert = ok(api.post("/automations", json={"template": "usage_alert"}), 201)["id"]
    activate(api, alert)
    advance(api, "2026-07-10T00:00:00Z")
    send_usage(api, CUSTOMER, "calls", [("a", "2026-07-09T00:00:00Z", 110)])  # low only
    advance(api, "2026-07-10T01:00:00Z")
    send_usage(api, CUSTOMER, "calls", [("b", "2026-07-09T01:00:00Z", 150)])  # 260: high
    advance(api, "2026-07-10T02:00:00Z")
    send_usage(api, CUSTOMER, "calls", [("c", "2026-07-09T02:00:00Z", 500)])  # nothing new
    advance(api, "2026-08-05T00:00:00Z")
    send_usage(api, CUSTOMER, "calls", [("d", "2026-08-04T00:00:00Z", 300)])  # both again
    advance(api, "2026-08-06T00:00:00Z")
    runs = list(reversed(executions(api, alert)))
    assert {r["status"] for r in runs} == {"completed"}
    crossed = [(d["threshold_id"], d["period"]["start"], d["usage"]) for d in (
        execution(api, alert, r["id"])["trigger"]["data"] for r in runs)]
    assert crossed == [(low, "2026-07-01", "110"), (high, "2026-07-01", "260"),
                       (low, "2026-08-01", "300"), (high, "2026-08-01", "300")]
    assert len(smtp_server.messages) == 4
    assert {tuple(m.rcpt_tos) for m in smtp_server.messages} == {(EMAIL,)}
    # The email names the metric, the threshold and the usage that crossed it.
    first = smtp_server.messages[0].message
    assert first["Subject"] == "Usage alert: Calls passed its threshold"
    assert "exceeded its threshold of 100 (now 110)" in first.get_body(("plain",)).get_content()
    # The account manager's task above 120% of the threshold: 260 > 240, 300 > 120 and > 240.
    tasks = ok(api.get("/tasks"))["data"]
    assert sorted(t["message"].split("(")[1] for t in tasks) == [
        "260 / 200).", "300 / 100).", "300 / 200)."]
