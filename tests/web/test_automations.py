"""Automations in the browser (automations.txt, "Creating Automations via Dashboard" and
"Managing Automations"), clicked by role and visible name, each effect read back through the API:

- "Click Create Automation → From Template ... → Click Activate": ``test_create_from_the_
  dunning_template_and_activate``; "From Scratch" in the YAML editor, a refusal shown at its
  line: ``test_from_scratch_an_error_is_shown_at_its_line``.
- "Click Test Automation to run with sample data → Review the test results":
  ``test_test_automation_shows_the_step_log``.
- "Pause/Resume: Find the automation in the list → Click the toggle": ``test_pause_resume_
  toggle_in_the_list``.
- "View Executions: ... Click Executions tab → Click any execution to see step-by-step log":
  ``test_a_manual_run_appears_in_executions``.
- "Version History: Open the automation → Click Versions → Restore if needed":
  ``test_new_version_and_restore``.
- Settings → Email templates: ``test_edit_an_email_template_and_restore_the_built_in``.
- A viewer sees no action, a forged POST is refused: ``test_viewer_cannot_act``.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.documents import QUICK_START
from tests.scenarios.seed_catalog import ok
from tests.web.conftest import error_beside, nav, sign_in, text_of
from tests.web.server import form_token

YAML = {"Content-Type": "application/yaml"}


@pytest.fixture(scope="module")
def server(own_server):
    """This module's own server: its active automations react to no other test's events."""
    return own_server


def tagging(api, *, name: str | None = None, tag: str = "vip") -> dict:
    """A manual automation that tags the customer it is run for."""
    return ok(api.post("/automations", json={
        "name": name or f"Tag {uuid.uuid4().hex[:8]}", "trigger": {"type": "manual"},
        "steps": [{"type": "action", "action": "add_tag", "tag": tag}]}), 201)


def row_of(page, name: str):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))


def test_create_from_the_dunning_template_and_activate(sandbox_api, admin) -> None:
    api = sandbox_api
    # "Navigate to Settings → Automations → Click Create Automation" (the sidebar's Automations
    # is the same page).
    nav(admin, "Settings").click()
    admin.get_by_role("main").get_by_role("link", name="Automations", exact=True).click()
    admin.wait_for_url("**/dashboard/automations")
    admin.get_by_role("link", name="Create Automation").click()
    admin.get_by_role("button", name="Use template Payment Dunning").click()
    expect(admin.get_by_role("status")).to_have_text(
        "Created Payment Dunning: version 1 is a draft. Test it, then Activate it.")
    automation_id = admin.url.split("?")[0].rstrip("/").split("/")[-1]
    created = ok(api.get(f"/automations/{automation_id}"))
    assert (created["status"], created["current_version_id"]) == ("draft", None)
    # The definition, readably: the trigger, the top-level condition, the steps.
    expect(admin.get_by_role("region", name="Trigger")).to_contain_text("Event payment.failed")
    expect(admin.get_by_role("region", name="Trigger")).to_contain_text(
        "{{trigger.failureCount}} == 1")
    steps = admin.get_by_role("region", name="Steps")
    expect(steps).to_contain_text("payment_failed_first")
    expect(steps).to_contain_text("Wait 3d")
    admin.get_by_role("button", name="Activate").click()
    expect(admin.get_by_role("status")).to_have_text(
        "Activated Payment Dunning: it runs on its trigger from now on.")
    active = ok(api.get(f"/automations/{automation_id}"))
    assert active["status"] == "active" and active["current_version_id"] is not None
    [version] = ok(api.get(f"/automations/{automation_id}/versions"))["data"]
    assert (version["number"], version["status"]) == (1, "active")
    assert active["steps"] == created["steps"] and len(active["steps"]) == 6
    nav(admin, "Automations").click()
    cells = row_of(admin, "Payment Dunning").first.get_by_role("cell")
    expect(cells.nth(1)).to_have_text("Event payment.failed")
    expect(cells.nth(2)).to_have_text("Active")
    expect(cells.nth(3)).to_have_text("1")
    expect(cells.nth(4)).to_have_text("Never")
    ok(api.post(f"/automations/{automation_id}/pause"))  # it reacts to no later test's payments


def test_from_scratch_an_error_is_shown_at_its_line(sandbox_api, admin) -> None:
    api = sandbox_api
    name = f"Dunning {uuid.uuid4().hex[:8]}"
    admin.goto("/dashboard/automations/new")
    editor = admin.get_by_label("Definition (YAML or JSON)")
    assert editor.input_value().startswith("name: New automation\n")  # a start to build on
    wrong = QUICK_START.replace("Payment Failed - Dunning Email", name).replace(
        "action: send_email", "action: send_emial")
    editor.fill(wrong)
    admin.get_by_role("button", name="Save draft").click()
    errors = admin.get_by_role("alert", name="Errors in the definition")
    expect(errors.get_by_role("listitem")).to_have_count(1)
    expect(errors.get_by_role("listitem")).to_contain_text(
        "Line 11 steps[0].then[0].action: unknown action 'send_emial'")
    expect(editor).to_have_attribute("aria-invalid", "true")
    expect(editor).to_have_value(wrong)  # kept as typed
    # A YAML syntax error: at its line too.
    editor.fill(wrong.replace('duration: "3d"', 'duration: "3d'))
    admin.get_by_role("button", name="Save draft").click()
    expect(errors.get_by_role("listitem")).to_contain_text("Line 19")
    expect(errors.get_by_role("listitem")).to_contain_text("YAML syntax error")
    assert [a for a in ok(api.get("/automations", params={"limit": 100}))["data"]
            if a["name"] == name] == []
    editor.fill(wrong.replace("send_emial", "send_email"))
    admin.get_by_role("button", name="Save draft").click()
    expect(admin.get_by_role("status")).to_have_text(
        f"Created {name}: version 1 is a draft. Test it, then Activate it.")
    [saved] = [a for a in ok(api.get("/automations", params={"limit": 100}))["data"]
               if a["name"] == name]
    assert saved["status"] == "draft"
    assert saved["steps"][0]["then"][0] == {"type": "action", "action": "send_email",
                                            "template": "payment_failed_first",
                                            "to": "{{trigger.customer.email}}"}


def test_test_automation_shows_the_step_log(sandbox_api, admin) -> None:
    api = sandbox_api
    customer = ok(api.post("/customers", json={"name": "Test Sample Co",
                                               "email": "ap@sample.example"}), 201)
    automation = ok(api.post("/automations", json={
        "name": f"Welcome {uuid.uuid4().hex[:8]}", "trigger": {"type": "event",
                                                              "event": "customer.created"},
        "steps": [{"type": "action", "action": "send_email", "template": "welcome",
                   "to": "{{trigger.customer.email}}"},
                  {"type": "delay", "duration": "3d"},
                  {"type": "action", "action": "add_tag", "tag": "welcomed"}]}), 201)
    admin.goto(f"/dashboard/automations/{automation['id']}")
    sample = admin.get_by_label("Sample trigger (JSON)")
    expect(sample).to_have_value(f'{{\n  "customer": {{\n    "id": "{customer["id"]}"\n  }}\n}}')
    sample.fill("{not json")
    admin.get_by_role("button", name="Test Automation").click()
    error_beside(admin, sample, "The sample is not valid JSON: unexpected character, expected a "
                                "string key: line 1 column 2 (char 1).")
    sample.fill(f'{{"customer": {{"id": "{customer["id"]}"}}}}')
    admin.get_by_role("button", name="Test Automation").click()
    expect(admin.get_by_role("heading", name="Test result: Completed")).to_be_visible()
    log = admin.get_by_role("table", name="Test step log")
    rows = log.get_by_role("row")
    expect(rows).to_have_count(4)
    for n, (path, kind, action) in enumerate([("steps[0]", "action", "send_email"),
                                              ("steps[1]", "delay", ""),
                                              ("steps[2]", "action", "add_tag")], start=1):
        cells = rows.nth(n).get_by_role("cell")
        expect(cells.nth(0)).to_have_text(path)
        expect(cells.nth(1)).to_have_text(kind)
        expect(cells.nth(2)).to_have_text(action)
        expect(cells.nth(3)).to_have_text("Succeeded")
        expect(cells.nth(4)).to_have_text("1")
    expect(rows.nth(1)).to_contain_text("ap@sample.example")
    expect(rows.nth(2)).to_contain_text('"skipped":true')
    # A dry run: nothing was changed and no email recorded.
    assert ok(api.get(f"/customers/{customer['id']}"))["tags"] == []
    assert ok(api.get(f"/automations/{automation['id']}/executions"))["executions"] == []


def test_pause_resume_toggle_in_the_list(sandbox_api, admin) -> None:
    api = sandbox_api
    automation = tagging(api)
    ok(api.post(f"/automations/{automation['id']}/activate"))
    nav(admin, "Automations").click()
    row = row_of(admin, automation["name"])
    row.get_by_role("button", name="Pause").click()
    expect(admin.get_by_role("status")).to_have_text(
        f"Paused (it does not trigger until resumed): {automation['name']}.")
    assert ok(api.get(f"/automations/{automation['id']}"))["status"] == "paused"
    expect(row.get_by_role("cell").nth(2)).to_have_text("Paused")
    row.get_by_role("button", name="Resume").click()
    expect(admin.get_by_role("status")).to_have_text(f"Resumed: {automation['name']}.")
    assert ok(api.get(f"/automations/{automation['id']}"))["status"] == "active"
    expect(row.get_by_role("button", name="Pause")).to_be_visible()


def test_a_manual_run_appears_in_executions(sandbox_api, admin) -> None:
    api = sandbox_api
    customer = ok(api.post("/customers", json={"name": "Manual Run Co"}), 201)
    automation = tagging(api, tag="reviewed")
    ok(api.post(f"/automations/{automation['id']}/activate"))
    run = ok(api.post(f"/automations/{automation['id']}/run",
                      json={"trigger": {"customer": {"id": customer["id"]}}}), 202)
    assert ok(api.get(f"/customers/{customer['id']}"))["tags"] == ["reviewed"]
    admin.goto(f"/dashboard/automations/{automation['id']}")
    admin.get_by_role("navigation", name="Automation").get_by_role("link",
                                                                    name="Executions").click()
    row = admin.get_by_role("row").filter(has=admin.get_by_role("link", name=run["execution_id"]))
    cells = row.get_by_role("cell")
    expect(cells.nth(1)).to_have_text("Completed")
    expect(cells.nth(2)).to_have_text("manual")
    expect(cells.nth(5)).to_have_text("1")
    row.get_by_role("link", name=run["execution_id"]).click()
    expect(admin.get_by_role("heading", level=2, name=f"Execution {run['execution_id']}")
           ).to_contain_text("Completed")
    steps = admin.get_by_role("table", name="Step-by-step log").get_by_role("row")
    expect(steps).to_have_count(2)
    cells = steps.nth(1).get_by_role("cell")
    for n, text in enumerate(["steps[0]", "action", "add_tag", "Succeeded", "1"]):
        expect(cells.nth(n)).to_have_text(text)
    expect(cells.nth(7)).to_contain_text(f'"customerId":"{customer["id"]}"')
    api_steps = ok(api.get(f"/automations/{automation['id']}/executions/"
                           f"{run['execution_id']}"))["steps"]
    assert [(s["action"], s["status"], s["attempts"]) for s in api_steps] == [
        ("add_tag", "succeeded", 1)]
    nav(admin, "Automations").click()
    expect(row_of(admin, automation["name"]).get_by_role("cell").nth(4)).to_contain_text(
        "Completed")


def test_new_version_and_restore(sandbox_api, admin) -> None:
    api = sandbox_api
    automation = tagging(api, tag="first")
    ok(api.post(f"/automations/{automation['id']}/activate"))
    [v1] = ok(api.get(f"/automations/{automation['id']}/versions"))["data"]
    admin.goto(f"/dashboard/automations/{automation['id']}")
    admin.get_by_role("link", name="Versions").click()
    admin.get_by_role("link", name="Edit definition").click()
    editor = admin.get_by_label("Definition (YAML or JSON)")
    source = editor.input_value()
    assert "tag: first" in source
    editor.fill(source.replace("tag: first", "tag: second").replace("type: manual", "type: nope"))
    admin.get_by_role("button", name="Save as new version").click()
    expect(admin.get_by_role("alert", name="Errors in the definition")).to_contain_text("Line 3")
    editor.fill(source.replace("tag: first", "tag: second"))
    admin.get_by_role("button", name="Save as new version").click()
    expect(admin.get_by_role("status")).to_have_text(
        "Saved version 2 as a draft: Activate it to run it.")
    admin.get_by_role("button", name="Activate version 2").click()
    expect(admin.get_by_role("status")).to_have_text("Version 2 is active.")
    versions = ok(api.get(f"/automations/{automation['id']}/versions"))["data"]
    assert [(v["number"], v["status"]) for v in versions] == [(2, "active"), (1, "inactive")]
    assert versions[0]["steps"][0]["tag"] == "second"
    admin.get_by_role("button", name="Restore version 1").click()
    expect(admin.get_by_role("status")).to_have_text("Version 1 is active.")
    restored = ok(api.get(f"/automations/{automation['id']}"))
    assert restored["current_version_id"] == v1["id"] and restored["status"] == "active"
    row = admin.get_by_role("row").filter(
        has=admin.get_by_role("button", name="Restore version 2"))
    expect(row.get_by_role("cell").nth(1)).to_have_text("Inactive")


def test_edit_an_email_template_and_restore_the_built_in(sandbox_api, admin) -> None:
    api = sandbox_api
    builtin = ok(api.get("/email-templates/payment_failed_first"))
    nav(admin, "Settings").click()
    admin.get_by_role("link", name="Email templates").click()
    row = admin.get_by_role("row").filter(has_text="payment_failed_first")
    expect(row.get_by_role("cell").nth(3)).to_have_text("Built-in")
    row.get_by_role("link").click()
    expect(admin.get_by_label("Subject")).to_have_value(builtin["subject"])
    admin.get_by_label("Subject").fill("Heads up: {{ invoice.number }} did not go through")
    admin.get_by_label("Body (HTML)").fill("<p>Hello {% if %}</p>")
    admin.get_by_role("button", name="Save template").click()
    body = admin.get_by_label("Body (HTML)")
    error_beside(admin, body, "body is not a valid template: Expected an expression, got "
                              "'end of statement block' (line 1).")
    expect(admin.get_by_label("Subject")).to_have_value(  # kept as typed
        "Heads up: {{ invoice.number }} did not go through")
    assert ok(api.get("/email-templates/payment_failed_first"))["source"] == "builtin"
    body.fill("<p>Hello {{ customer.name }}, your payment failed.</p>")
    admin.get_by_role("button", name="Save template").click()
    expect(admin.get_by_role("status")).to_have_text(
        f"Saved {builtin['name']}: this environment's override is in use.")
    saved = ok(api.get("/email-templates/payment_failed_first"))
    assert (saved["source"], saved["subject"], saved["body"]) == (
        "override", "Heads up: {{ invoice.number }} did not go through",
        "<p>Hello {{ customer.name }}, your payment failed.</p>")
    admin.get_by_role("button", name="Restore built-in").click()
    expect(admin.get_by_role("status")).to_have_text(f"Restored the built-in {builtin['name']}.")
    restored = ok(api.get("/email-templates/payment_failed_first"))
    assert (restored["source"], restored["subject"]) == ("builtin", builtin["subject"])
    expect(admin.get_by_label("Subject")).to_have_value(builtin["subject"])
    expect(admin.get_by_role("button", name="Restore built-in")).to_have_count(0)


def test_viewer_cannot_act(server, sandbox_api, page, open_page) -> None:
    api = sandbox_api
    automation = tagging(api)
    ok(api.post(f"/automations/{automation['id']}/activate"))
    sign_in(page, server.user("viewer"), path="/dashboard/automations")
    expect(row_of(page, automation["name"])).to_be_visible()
    for button in ("Pause", "Resume"):
        expect(page.get_by_role("button", name=button)).to_have_count(0)
    expect(page.get_by_role("link", name="Create Automation")).to_have_count(0)
    page.get_by_role("link", name=automation["name"]).click()
    expect(page.get_by_text("Viewers can look at automations but not test or change them."))\
        .to_be_visible()
    for button in ("Activate", "Pause", "Test Automation"):
        expect(page.get_by_role("button", name=button)).to_have_count(0)
    page.get_by_role("link", name="Versions").click()
    expect(page.get_by_role("link", name="Edit definition")).to_have_count(0)
    expect(page.get_by_role("button")).to_have_count(3)  # Sandbox, Production, Sign out
    token = form_token(page.content())
    for path in (f"/dashboard/automations/{automation['id']}/pause",
                 f"/dashboard/automations/{automation['id']}/test", "/dashboard/automations"):
        forged = page.request.post(path, form={"csrf_token": token}, max_redirects=0)
        assert forged.status == 403, path
        assert "Viewers can look at everything but change nothing." in text_of(forged)
    assert page.request.get("/dashboard/automations/new").status == 403
    assert ok(api.get(f"/automations/{automation['id']}"))["status"] == "active"
    # Email templates are admins' (settings): a member neither sees nor saves them.
    member = open_page()
    sign_in(member, server.user("member"), path="/dashboard/settings")
    expect(member.get_by_role("link", name="Email templates")).to_have_count(0)
    assert member.request.get("/dashboard/settings/email-templates").status == 403
    forged = member.request.post("/dashboard/settings/email-templates/welcome",
                                 form={"csrf_token": form_token(member.content()),
                                       "subject": "Hacked", "body": "<p>x</p>"},
                                 max_redirects=0)
    assert forged.status == 403
    assert "Only admins manage API keys, users and settings." in text_of(forged)
    assert ok(api.get("/email-templates/welcome"))["source"] == "builtin"
