"""``subscription.ending_soon`` with ``days`` (only the notice that many days ahead) starting one
execution per term, however often the clock is advanced. (``usage.threshold_exceeded``, once per
period and threshold, is the usage_alert template's test in test_templates.py.)"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.automations.helpers import CUSTOMER, activate, advance, execution, executions
from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok

ENDING = "subscription.ending_soon"


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
