"""Cron and calendar schedules through the API on the sandbox clock: a long advance runs every
occurrence, in order, at its instant (across a DST change), and none while paused."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.automations.helpers import activate, advance, executions
from tests.scenarios.seed_catalog import ok


def scheduled(api: TestClient, name: str, trigger: dict) -> str:
    automation = ok(api.post("/automations", json={
        "name": name, "trigger": {"type": "schedule", **trigger},
        "steps": [{"type": "action", "action": "create_task",
                   "message": f"{name} {{{{trigger.scheduledAt}}}}"}]}), 201)
    activate(api, automation["id"])
    return automation["id"]


def instants(api: TestClient, automation_id: str) -> list[str]:
    """When each execution was triggered, oldest first (all of them completed)."""
    runs = list(reversed(executions(api, automation_id)))
    assert {r["status"] for r in runs} <= {"completed"}
    return [r["triggeredAt"] for r in runs]


def task_messages(api: TestClient, name: str) -> list[str]:
    tasks = ok(api.get("/tasks", params={"limit": 100}))["data"]
    return sorted(t["message"] for t in tasks if t["message"].startswith(name + " "))


def test_a_cron_schedule_runs_mondays_at_nine_in_berlin(api) -> None:
    ok(api.post("/clock/freeze", json={"at": "2027-03-01T00:00:00Z"}))  # a Monday
    weekly = scheduled(api, "weekly", {"cron": "0 9 * * 1", "timezone": "Europe/Berlin"})
    advance(api, "2027-04-13T00:00:00Z")
    # 09:00 in Berlin is 08:00 UTC until the clocks go forward on 28 March, then 07:00 UTC.
    expected = ["2027-03-01T08:00:00Z", "2027-03-08T08:00:00Z", "2027-03-15T08:00:00Z",
                "2027-03-22T08:00:00Z", "2027-03-29T07:00:00Z", "2027-04-05T07:00:00Z",
                "2027-04-12T07:00:00Z"]
    assert instants(api, weekly) == expected
    assert task_messages(api, "weekly") == [f"weekly {at}" for at in expected]

    # Paused over two Mondays: nothing runs, and resuming does not catch up.
    ok(api.post(f"/automations/{weekly}/pause"))
    advance(api, "2027-04-27T00:00:00Z")
    assert len(executions(api, weekly)) == 7
    ok(api.post(f"/automations/{weekly}/resume"))
    advance(api, "2027-05-04T00:00:00Z")
    assert instants(api, weekly)[7:] == ["2027-05-03T07:00:00Z"]


def test_a_calendar_schedule_runs_on_the_first_day_of_every_month(api) -> None:
    ok(api.post("/clock/freeze", json={"at": "2026-11-15T10:00:00Z"}))
    monthly = scheduled(api, "monthly", {"calendar": "first_day_of_month"})
    berlin = scheduled(api, "berlin", {"calendar": "first_day_of_month",
                                       "timezone": "Europe/Berlin"})
    advance(api, "2027-11-15T00:00:00Z")  # a year in one advance
    months = [f"{year}-{month:02d}" for year, month in
              [(2026, 12), *((2027, m) for m in range(1, 12))]]
    assert instants(api, monthly) == [f"{m}-01T00:00:00Z" for m in months]
    # Midnight in Berlin: 23:00 UTC the day before in winter, 22:00 in summer.
    assert instants(api, berlin) == [
        "2026-11-30T23:00:00Z", "2026-12-31T23:00:00Z", "2027-01-31T23:00:00Z",
        "2027-02-28T23:00:00Z", "2027-03-31T22:00:00Z", "2027-04-30T22:00:00Z",
        "2027-05-31T22:00:00Z", "2027-06-30T22:00:00Z", "2027-07-31T22:00:00Z",
        "2027-08-31T22:00:00Z", "2027-09-30T22:00:00Z", "2027-10-31T23:00:00Z"]
    assert len(task_messages(api, "monthly")) == 12

    # Paused from mid-November to mid-February: December, January and February are skipped.
    ok(api.post(f"/automations/{monthly}/pause"))
    advance(api, "2028-02-15T00:00:00Z")
    assert len(executions(api, monthly)) == 12
    ok(api.post(f"/automations/{monthly}/resume"))
    advance(api, "2028-04-15T00:00:00Z")
    assert instants(api, monthly)[12:] == ["2028-03-01T00:00:00Z", "2028-04-01T00:00:00Z"]
