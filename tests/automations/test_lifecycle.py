"""Automations through the API: versions, pause/resume, exactly-once executions, onError,
the executions shape, templates, tasks and the dry run."""

from __future__ import annotations

from sqlalchemy import select

from kassa.automations import triggers
from kassa.store.tables import outbox_events
from tests.automations.helpers import (
    CUSTOMER,
    EMAIL,
    activate,
    advance,
    execution,
    executions,
)
from tests.documents import QUICK_START
from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok


def tagging(tag: str) -> dict:
    """On customer.updated, a task (an add_tag would update the customer: a loop)."""
    return {"name": f"Tag {tag}", "trigger": {"type": "event", "event": "customer.updated"},
            "steps": [{"type": "action", "action": "create_task", "message": f"tag {tag}"}]}


def manual(*steps: dict, **extra) -> dict:
    return {"name": "Manual", "trigger": {"type": "manual"}, "steps": list(steps), **extra}


def setup_customer(api) -> None:
    sc.build(api)
    ok(api.patch(f"/customers/{CUSTOMER}", json={"email": EMAIL}))
    ok(api.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))
    advance(api, "2026-12-01T00:00:01Z")  # the automations consumer starts


def test_bad_bodies_name_the_problem(api) -> None:
    bad_yaml = api.post("/automations", content=b"name: [unclosed",
                        headers={"Content-Type": "application/yaml"})
    assert bad_yaml.status_code == 400
    assert bad_yaml.json()["detail"].startswith("Malformed YAML body")
    bad_json = api.post("/automations", content=b"{", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    unknown = api.post("/automations", json={**manual(
        {"type": "action", "action": "fly_to_the_moon"})})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"].startswith("steps[0]")
    assert api.post("/automations", json={"template": "nope"}).status_code == 422


def test_a_refused_yaml_definition_names_the_line(api) -> None:
    """A YAML body's refusal says where (the dashboard's editor shows it at that line)."""
    body = QUICK_START.replace("action: send_email", "action: send_emial")
    refused = api.post("/automations", content=body.encode(),
                       headers={"Content-Type": "application/yaml"})
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert (error["field"], error["line"]) == ("steps[0].then[0].action", 11)
    assert error["message"].startswith("unknown action 'send_emial'")
    created = ok(api.post("/automations", content=QUICK_START.encode(),
                          headers={"Content-Type": "application/yaml"}), 201)
    again = api.post(f"/automations/{created['id']}/versions",
                     content=QUICK_START.replace('duration: "3d"', 'duration: "3 days"').encode(),
                     headers={"Content-Type": "application/yaml"})
    assert again.status_code == 422
    assert [(e["field"], e["line"]) for e in again.json()["errors"]] == [
        ("steps[1].duration", 16)]
    # JSON bodies answer as before, without lines.
    assert "line" not in api.post("/automations", json={**manual(
        {"type": "action", "action": "fly_to_the_moon"})}).json()["errors"][0]


def test_versions_restore_and_list(api) -> None:
    created = ok(api.post("/automations", json=tagging("one")), 201)
    automation_id, first = created["id"], created["latest_version_id"]
    activate(api, automation_id)
    second = ok(api.post(f"/automations/{automation_id}/versions", json=tagging("two")), 201)
    assert (second["number"], second["status"]) == (2, "draft")
    activate(api, automation_id)
    versions = ok(api.get(f"/automations/{automation_id}/versions"))["data"]
    assert [(v["number"], v["status"]) for v in versions] == [(2, "active"), (1, "inactive")]
    restored = ok(api.post(f"/automations/{automation_id}/versions/{first}/activate"))
    assert restored["status"] == "active"
    assert ok(api.get(f"/automations/{automation_id}"))["current_version_id"] == first
    listed = ok(api.get("/automations"))
    assert listed["pagination"]["total"] == 1
    patched = ok(api.patch(f"/automations/{automation_id}", json={"name": "Renamed"}))
    assert patched["name"] == "Renamed"
    assert patched["latest_version_id"] not in (first, second["id"])  # a new draft
    assert ok(api.delete(f"/automations/{automation_id}")) == {"id": automation_id,
                                                                "deleted": True}
    assert api.get(f"/automations/{automation_id}").status_code == 404


def test_paused_automations_do_not_trigger_and_do_not_replay(api) -> None:
    setup_customer(api)
    automation = ok(api.post("/automations", json=tagging("vip")), 201)
    activate(api, automation["id"])
    ok(api.post(f"/automations/{automation['id']}/pause"))
    ok(api.patch(f"/customers/{CUSTOMER}", json={"segment": "enterprise"}))
    advance(api, "2026-12-01T01:00:00Z")
    assert executions(api, automation["id"]) == []
    assert ok(api.post(f"/automations/{automation['id']}/resume"))["status"] == "active"
    advance(api, "2026-12-01T02:00:00Z")
    assert executions(api, automation["id"]) == []
    ok(api.patch(f"/customers/{CUSTOMER}", json={"segment": "smb"}))
    advance(api, "2026-12-01T03:00:00Z")
    [run] = executions(api, automation["id"])
    assert run["status"] == "completed"
    assert [t["message"] for t in ok(api.get("/tasks"))["data"]] == ["tag vip"]


def test_the_same_event_delivered_twice_makes_one_execution(kassa, api) -> None:
    setup_customer(api)
    automation = activate(api, ok(api.post("/automations", json=tagging("x")), 201)["id"])
    ok(api.patch(f"/customers/{CUSTOMER}", json={"segment": "smb"}))
    advance(api, "2026-12-01T01:00:00Z")
    with kassa.engine.connect() as conn:
        events = conn.execute(select(outbox_events).where(
            outbox_events.c.type == "customer.updated").order_by(outbox_events.c.seq)
        ).mappings().all()
    ctx = kassa.ctx("sandbox")
    with ctx.uow() as uow:
        triggers.consume(uow, events[-1:])  # the segment change, redelivered
        uow.commit()
    advance(api, "2026-12-01T02:00:00Z")
    assert len(events) == 2  # setup's email, then the segment
    [run] = executions(api, automation["id"])  # activated after the first
    assert len(ok(api.get("/tasks"))["data"]) == 1


def test_on_error_runs_after_the_retries(api) -> None:
    """sync_to_crm fails (no CRM connected): retried twice, 5 then 10 minutes apart, then its
    onError task is created."""
    setup_customer(api)
    definition = manual({
        "type": "action", "action": "sync_to_crm",
        "errorHandling": {"retries": 2, "retryDelay": "5m", "backoffMultiplier": 2},
        "onError": [{"type": "action", "action": "create_task",
                     "assignee": "{{trigger.accountOwner}}", "message": "CRM sync failed"}],
    })
    automation = activate(api, ok(api.post("/automations", json=definition), 201)["id"])
    ok(api.patch(f"/customers/{CUSTOMER}", json={"metadata": {"account_owner": "ana@kassa.test"}}))
    started = ok(api.post(f"/automations/{automation['id']}/run",
                          json={"trigger": {"customer": {"id": CUSTOMER}}}), 202)
    [run] = executions(api, automation["id"])
    assert run["status"] == "waiting"
    advance(api, "2026-12-01T00:20:00Z")
    detail = execution(api, automation["id"], started["execution_id"])
    assert detail["status"] == "completed"
    sync, task = detail["steps"]
    assert (sync["action"], sync["status"], sync["attempts"]) == ("sync_to_crm", "failed", 3)
    assert "No CRM connected" in sync["error"]
    assert (task["path"], task["status"]) == ("steps[0].onError[0]", "succeeded")
    [made] = ok(api.get("/tasks"))["data"]
    assert (made["assignee"], made["message"], made["customer_id"], made["status"]) == (
        "ana@kassa.test", "CRM sync failed", CUSTOMER, "open")
    done = ok(api.patch(f"/tasks/{made['id']}", json={"status": "completed"}))
    assert done["completed_at"] == "2026-12-01T00:20:00Z"


def test_a_failure_without_on_error_fails_the_execution(api) -> None:
    setup_customer(api)
    automation = activate(api, ok(api.post("/automations", json=manual(
        {"type": "action", "action": "sync_to_crm"})), 201)["id"])
    ok(api.post(f"/automations/{automation['id']}/run",
                json={"trigger": {"customer": {"id": CUSTOMER}}}), 202)
    [run] = executions(api, automation["id"])
    assert (run["status"], run["stepsExecuted"]) == ("failed", 1)
    assert set(run) >= {"id", "status", "triggeredBy", "triggeredAt", "completedAt",
                        "stepsExecuted"}
    assert run["id"].startswith("exec_")


def test_templates_are_listed_and_start_automations(api) -> None:
    listed = ok(api.get("/automation-templates"))["data"]
    assert [t["key"] for t in listed] == ["payment_dunning", "welcome_series",
                                          "renewal_reminder", "usage_alert", "win_back"]
    for template in listed:
        created = ok(api.post("/automations", json={"template": template["key"]}), 201)
        assert created["status"] == "draft"


def test_dry_run_renders_and_changes_nothing(api, smtp_server) -> None:
    setup_customer(api)
    automation = ok(api.post("/automations", json=manual(
        {"type": "action", "action": "send_email", "template": "welcome",
         "to": "{{trigger.customer.email}}"},
        {"type": "delay", "duration": "2w"},
        {"type": "action", "action": "add_tag", "tag": "tested"},
    )), 201)
    result = ok(api.post(f"/automations/{automation['id']}/test",
                         json={"trigger": {"customer": {"id": CUSTOMER}}}))
    assert [(s["type"], s["status"]) for s in result["steps"]] == [
        ("action", "succeeded"), ("delay", "succeeded"), ("action", "succeeded")]
    assert result["steps"][0]["output"]["email"]["to"] == EMAIL
    assert result["steps"][1]["output"]["skipped"] is True
    assert smtp_server.messages == []
    assert "tested" not in ok(api.get(f"/customers/{CUSTOMER}"))["tags"]


def test_the_automations_consumer_reports_one_item_per_batch(api) -> None:
    """Webhooks report each event dispatched; automations one ``event.consumed`` per batch
    (most events start nothing), so a worker's event.dispatched count stays per webhook."""
    setup_customer(api)
    ok(api.patch(f"/customers/{CUSTOMER}", json={"segment": "smb"}))
    ok(api.patch(f"/customers/{CUSTOMER}", json={"segment": "enterprise"}))
    ran = ok(api.post("/clock/advance", json={"to": "2026-12-01T01:00:00Z"}))["ran"]
    consumed = [i for i in ran if i["type"] == "event.consumed"]
    assert [(i["consumer"], i["events"]) for i in consumed] == [("automations", 2)]
    assert [i["consumer"] for i in ran if i["type"] == "event.dispatched"] == ["webhooks"] * 2
