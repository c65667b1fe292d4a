"""What the automation pages read beyond the API's objects (``kassa.automations.overview``): each
automation's active version number and last run, and the sample trigger Test Automation starts
with (the environment's newest record of the kind the trigger names)."""

from __future__ import annotations

from kassa.automations import dryrun, overview
from kassa.store.queries import ListQuery
from tests.scenarios.seed_catalog import ok


def _manual(api, name: str) -> dict:
    return ok(api.post("/automations", json={
        "name": name, "trigger": {"type": "manual"},
        "steps": [{"type": "action", "action": "add_tag", "tag": "seen"}]}), 201)


def test_the_list_with_versions_and_last_runs(kassa, api) -> None:
    ctx = kassa.ctx("sandbox")
    customer = ok(api.post("/customers", json={"name": "Overview Co"}), 201)
    running, draft = _manual(api, "Running"), _manual(api, "Draft only")
    ok(api.post(f"/automations/{running['id']}/activate"))
    runs = [ok(api.post(f"/automations/{running['id']}/run",
                        json={"trigger": {"customer": {"id": customer["id"]}}}), 202)
            for _ in range(2)]
    ok(api.post(f"/automations/{running['id']}/versions", json={
        "name": "Running", "trigger": {"type": "schedule", "interval": "24h"},
        "steps": [{"type": "stop"}]}), 201)
    found = overview.list_automations(ctx, ListQuery(limit=10, sort=("created_at", "asc")))
    assert found.total == 2
    first, second = found.rows
    assert first["id"] == running["id"] and second["id"] == draft["id"]
    assert first["current_version"] == {"number": 1, "status": "active",
                                        "trigger": {"type": "manual"}}
    assert (first["last_run"]["id"], first["last_run"]["status"],
            first["last_run"]["stepsExecuted"]) == (runs[1]["execution_id"], "completed", 1)
    assert (second["current_version"], second["last_run"]) == (None, None)
    details = overview.automation_details(ctx, running["id"])
    assert (details["current_version"], details["latest_version"]) == (
        {"number": 1, "status": "active", "trigger": {"type": "manual"}},
        {"number": 2, "status": "draft", "trigger": {"type": "schedule", "interval": "1d",
                                                     "timezone": "UTC"}})
    assert details["trigger"] == details["latest_version"]["trigger"]  # as the API answers


def test_the_sample_trigger_names_the_newest_record_of_its_kind(kassa, api) -> None:
    ctx = kassa.ctx("sandbox")
    with ctx.uow(read_only=True) as uow:
        assert overview.sample_trigger(uow.conn, uow.environment, {"type": "manual"}) == {
            "customer": {"name": "Example Customer", "email": "billing@example.com"}}
    customer = ok(api.post("/customers", json={"name": "Declined Co",
                                               "email": "ap@declined.example"}), 201)
    ok(api.post(f"/customers/{customer['id']}/payment-methods", json={
        "type": "card", "test_behavior": "decline_once"}), 201)
    invoice = ok(api.post("/invoices", json={"customer_id": customer["id"], "auto_pay": True,
                                             "lines": [{"description": "Work",
                                                        "amount": "80.00"}]}), 201)
    [payment] = ok(api.get("/payments", params={"invoice_id": invoice["id"]}))["data"]
    assert payment["status"] == "failed"

    def sample(trigger: dict) -> dict:
        with ctx.uow(read_only=True) as uow:
            return overview.sample_trigger(uow.conn, uow.environment, trigger)

    failed = {"type": "event", "event": "payment.failed"}
    assert sample(failed) == {"payment": {"id": payment["id"]}, "failureCount": 1}
    assert sample({"type": "event", "event": "invoice.overdue"}) == {
        "invoice": {"id": invoice["id"]}}
    assert sample({"type": "event", "event": "customer.created"}) == {
        "customer": {"id": customer["id"]}}
    assert sample({"type": "event", "event": "usage.threshold_exceeded"}) == {
        "event": "usage.threshold_exceeded", "customer": {"id": customer["id"]},
        "data": {"customer_id": customer["id"], "threshold": "1000", "usage": "1250"}}
    # The dunning template's dry run on it: the first email goes to the invoice's customer.
    dunning = ok(api.post("/automations", json={"template": "payment_dunning"}), 201)
    result = dryrun.test_automation(ctx, dunning["id"], sample(failed))
    assert (result["conditionsMet"], result["status"]) == (True, "completed")
    assert result["steps"][0]["output"]["email"]["to"] == "ap@declined.example"
