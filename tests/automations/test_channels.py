"""send_slack, send_sms (Twilio's Messages API) and send_webhook (Standard Webhooks, verified
here) steps end to end against real servers on loopback; and an execution that started on
version 1 finishes on version 1 after version 2 is activated during its delay."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from standardwebhooks import Webhook

from kassa.automations.actions import webhook_message_id
from kassa.config import Settings
from kassa.webhooks.signing import generate_secret
from tests.automations.helpers import CUSTOMER, activate, advance, execution, executions
from tests.channels.http_server import HttpServer
from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok

SID, TOKEN, FROM = "AC0123456789abcdef", "tw1l10-t0ken", "+15005550006"


@pytest.fixture
def http() -> Iterator[HttpServer]:
    """Slack's incoming webhooks and Twilio's API in one loopback server."""
    server = HttpServer(status=201, reply=b'{"sid": "SM1", "status": "queued"}',
                        content_type="application/json")
    yield server
    server.close()


@pytest.fixture
def settings(database_url: str, smtp_server, http: HttpServer) -> Settings:
    return Settings(database_url=database_url, embedded_worker=False,
                    smtp_url=smtp_server.url(), email_from="Kassa <billing@kassa.test>",
                    slack_webhook_url=f"{http.base}/services/T1/B1/default",
                    twilio_account_sid=SID, twilio_auth_token=TOKEN, twilio_from=FROM,
                    twilio_api_base=http.base)


def test_slack_sms_and_a_signed_webhook_from_one_execution(api, http, receiver) -> None:
    sc.build(api)
    secret = generate_secret()
    automation = ok(api.post("/automations", json={
        "name": "Tell everyone", "trigger": {"type": "manual"},
        "steps": [
            {"type": "action", "action": "send_slack",
             "message": "{{customer.name}} needs a call"},
            {"type": "action", "action": "send_slack", "webhook_url": f"{http.base}/services/x",
             "message": "escalated: {{customer.id}}"},
            {"type": "action", "action": "send_sms", "to": "+15551234567",
             "message": "Hi {{customer.name}}, please update your card."},
            {"type": "action", "action": "send_webhook", "url": receiver.url, "secret": secret,
             "payload": {"customer": "{{customer.id}}", "event": "{{trigger.event}}"}},
        ]}), 201)["id"]
    activate(api, automation)
    run_id = ok(api.post(f"/automations/{automation}/run",
                         json={"trigger": {"customer": {"id": CUSTOMER}}}), 202)["execution_id"]
    run = execution(api, automation, run_id)
    assert run["status"] == "completed", run
    assert [s["status"] for s in run["steps"]] == ["succeeded"] * 4

    slack, step_slack, sms = http.requests
    assert (slack.path, slack.json()) == ("/services/T1/B1/default",
                                          {"text": "Acme Corp needs a call"})
    assert (step_slack.path, step_slack.json()) == ("/services/x",
                                                    {"text": f"escalated: {CUSTOMER}"})
    assert sms.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert sms.form() == {"To": "+15551234567", "From": FROM,
                          "Body": "Hi Acme Corp, please update your card."}
    assert sms.headers["authorization"] == "Basic " + base64.b64encode(
        f"{SID}:{TOKEN}".encode()).decode()

    [hook] = receiver.requests
    headers = {k: v for k, v in hook.headers.items() if k.startswith("webhook-")}
    assert Webhook(secret).verify(hook.body, headers) == {"customer": CUSTOMER,
                                                          "event": "manual"}
    # The webhook-id stays the step's on a retry or a run after a crash.
    assert hook.message_id == webhook_message_id(run_id, "steps[3]")


def test_an_execution_finishes_on_the_version_it_started_with(api) -> None:
    def version(label: str) -> dict:
        return {"name": f"Follow-up {label}", "trigger": {"type": "manual"}, "steps": [
            {"type": "action", "action": "create_task", "message": f"{label} first"},
            {"type": "delay", "duration": "1d"},
            {"type": "action", "action": "create_task", "message": f"{label} second"}]}

    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))
    created = ok(api.post("/automations", json=version("v1")), 201)
    automation, first = created["id"], created["latest_version_id"]
    activate(api, automation)
    trigger = {"trigger": {"customer": {"id": CUSTOMER}}}
    old_run = ok(api.post(f"/automations/{automation}/run", json=trigger), 202)["execution_id"]
    assert execution(api, automation, old_run)["status"] == "waiting"
    second = ok(api.post(f"/automations/{automation}/versions", json=version("v2")), 201)["id"]
    activate(api, automation)
    new_run = ok(api.post(f"/automations/{automation}/run", json=trigger), 202)["execution_id"]
    advance(api, "2026-12-02T00:00:01Z")
    assert {r["id"]: (r["versionId"], r["status"]) for r in executions(api, automation)} == {
        old_run: (first, "completed"), new_run: (second, "completed")}
    tasks = sorted(t["message"] for t in ok(api.get("/tasks"))["data"])
    assert tasks == ["v1 first", "v1 second", "v2 first", "v2 second"]
