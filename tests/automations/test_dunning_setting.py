"""Settings → Subscriptions names the dunning automation: while it is active it handles every
failed payment (the retry schedule of Settings → Invoicing is not applied); while it is a draft
or paused, the retry schedule handles them. The name must be an automation of this environment
triggered by payment.failed."""

from __future__ import annotations

import pytest

from tests.automations.helpers import activate, advance, executions, failing_invoice
from tests.scenarios.seed_catalog import ok

DUNNING = {
    "name": "Dunning",
    "trigger": {"type": "event", "event": "payment.failed"},
    "conditions": {"if": "{{trigger.failureCount}} == 1"},
    "steps": [{"type": "delay", "duration": "3d"}, {"type": "action", "action": "retry_payment"}],
}


def _payments(api, invoice_id: str) -> list[tuple[str, str]]:
    data = ok(api.get("/payments", params={"invoice_id": invoice_id, "sort": "created_at:asc"}))
    return [(p["created_at"], p["status"]) for p in data["data"]]


def _named(api, automation_id: str | None) -> dict:
    return ok(api.patch("/settings/subscriptions",
                        json={"failed_payment_automation_id": automation_id}))


def test_the_named_active_automation_replaces_the_retry_schedule(api) -> None:
    ok(api.patch("/settings/invoicing", json={"payment_retry_hours": [24, 72]}))
    automation = ok(api.post("/automations", json=DUNNING), 201)
    view = _named(api, automation["id"])  # a draft may be named before it is activated
    assert (view["failed_payment_automation_id"], view["failed_payment_handling"]) == (
        automation["id"], "retry_schedule")
    activate(api, automation["id"])
    assert ok(api.get("/settings/subscriptions"))["failed_payment_handling"] == "automation"
    invoice = failing_invoice(api)
    advance(api, "2026-12-10T00:00:00Z")
    # The automation's retry three days later; no charge at +24 h or +72 h.
    assert _payments(api, invoice["id"]) == [("2026-12-01T00:00:01Z", "failed"),
                                             ("2026-12-04T00:00:01Z", "failed")]
    [run] = executions(api, automation["id"])
    assert run["status"] == "completed"


def test_a_paused_dunning_automation_leaves_failed_payments_to_the_retry_schedule(api) -> None:
    ok(api.patch("/settings/invoicing", json={"payment_retry_hours": [24, 72]}))
    automation = ok(api.post("/automations", json=DUNNING), 201)
    activate(api, automation["id"])
    _named(api, automation["id"])
    ok(api.post(f"/automations/{automation['id']}/pause"))
    assert ok(api.get("/settings/subscriptions"))["failed_payment_handling"] == "retry_schedule"
    invoice = failing_invoice(api)
    advance(api, "2026-12-10T00:00:00Z")
    assert _payments(api, invoice["id"]) == [("2026-12-01T00:00:01Z", "failed"),
                                             ("2026-12-02T00:00:01Z", "failed"),
                                             ("2026-12-05T00:00:01Z", "failed")]
    assert executions(api, automation["id"]) == []
    view = _named(api, None)  # null: back to the retry schedule alone
    assert (view["failed_payment_automation_id"], view["failed_payment_handling"]) == (
        None, "retry_schedule")


def _errors(response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    return [(e["field"], e["message"]) for e in response.json()["errors"]]


@pytest.mark.parametrize("kind", ["unknown", "other_environment", "other_trigger"])
def test_only_a_payment_failed_automation_of_this_environment_may_be_named(
    api, prod_api, kind: str
) -> None:
    if kind == "unknown":
        automation_id, why = "auto_nope", "is not an automation of this environment."
    elif kind == "other_environment":
        automation_id = ok(prod_api.post("/automations", json=DUNNING), 201)["id"]
        why = "is not an automation of this environment."
    else:
        automation_id = ok(api.post("/automations", json={
            **DUNNING, "trigger": {"type": "event", "event": "invoice.issued"}}), 201)["id"]
        why = "is not triggered by payment.failed; a dunning automation must be."
    r = api.patch("/settings/subscriptions", json={"failed_payment_automation_id": automation_id})
    assert _errors(r) == [("failed_payment_automation_id", f"Automation {automation_id!r} {why}")]
    assert ok(api.get("/settings/subscriptions"))["failed_payment_automation_id"] is None
    r = api.patch("/settings/subscriptions", json={"failed_payment_automation_id": ""})
    assert _errors(r)[0][0] == "failed_payment_automation_id"
