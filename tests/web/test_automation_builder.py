"""Create Automation → From Scratch in the guided builder (automations.txt, "Creating
Automations via Dashboard" Steps 1-5), by role and label, each result read back through the API:

- "Example: Payment Dunning Workflow" steps 1-9: ``test_the_dunning_example_step_by_step``
  (the stored definition is tests/automations/test_dunning.py's DUNNING, without its
  failureCount condition, which the example does not have).
- Step 3's condition rows joined by AND, and refusals shown beside their inputs:
  ``test_condition_rows_and_refusals_beside_their_fields``.
- A viewer reaches neither the builder nor its POSTs: ``test_a_viewer_cannot_build``
  (test_every_route.py checks every route too).
"""

from __future__ import annotations

import uuid

import orjson
import pytest
from playwright.sync_api import expect

from tests.automations.test_dunning import DUNNING
from tests.scenarios.seed_catalog import ok
from tests.web.conftest import error_beside, nav, sign_in, text_of
from tests.web.server import form_token
from tests.web.test_accessibility import UNNAMED


@pytest.fixture(scope="module")
def server(own_server):
    """This module's own server: its active automations react to no other test's events."""
    return own_server


def shot(page, name: str) -> None:
    """A screenshot of the builder's page to look at; every control on it is named."""
    page.screenshot(path=f"/tmp/builder_{name}.png", full_page=True)
    assert page.evaluate(UNNAMED) == [], name


def add_action(page, kind: str, **settings: str) -> None:
    """Step 4: Add Action of ``kind``, its settings filled (a select by its option's label)."""
    page.get_by_label(kind, exact=True).check()
    page.get_by_role("button", name="Add Action").click()
    expect(page.get_by_role("heading", name=f"Add Action: {kind}")).to_be_visible()
    for label, value in settings.items():
        field = page.get_by_label(label.replace("_", " "), exact=True)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    page.get_by_role("button", name="Add step").click()


def created_id(page) -> str:
    return page.url.split("?")[0].rstrip("/").split("/")[-1]


def test_the_dunning_example_step_by_step(sandbox_api, admin) -> None:
    api = sandbox_api
    name = f"Payment Dunning {uuid.uuid4().hex[:6]}"
    # Step 1: Settings → Automations → Create Automation → From Scratch.
    nav(admin, "Settings").click()
    admin.get_by_role("main").get_by_role("link", name="Automations", exact=True).click()
    admin.get_by_role("link", name="Create Automation").click()
    shot(admin, "1_create")
    expect(admin.get_by_role("heading", name="From Template")).to_be_visible()
    admin.get_by_role("link", name="Build from scratch").click()
    # Step 2: the trigger, Payment Failed (1.).
    expect(admin.get_by_role("heading", name="Configure the Trigger")).to_be_visible()
    admin.get_by_role("radiogroup", name="Trigger Type").get_by_label("Event", exact=False).check()
    admin.get_by_label("Event", exact=True).select_option(label="Payment Failed (payment.failed)")
    admin.get_by_label("Name").fill(name)
    shot(admin, "2_trigger")
    admin.get_by_role("button", name="Next").click()
    # Step 3: no condition (the example has none).
    expect(admin.get_by_role("heading", name="Add Conditions (optional)")).to_be_visible()
    shot(admin, "3_conditions_empty")
    admin.get_by_role("button", name="Next").click()
    # Step 4: the actions; those after the condition go in its then branch.
    expect(admin.get_by_role("heading", name="Add Action", exact=True)).to_be_visible()
    shot(admin, "4_actions_empty")
    add_action(admin, "Send Email",  # 2.
               Email_template="Payment failed - gentle reminder (payment_failed_gentle)")
    add_action(admin, "Wait", Wait_for="3d")  # 3.
    add_action(admin, "Add Condition", If="{{invoice.status}} == 'unpaid'")  # 4.
    admin.get_by_label("Retry Payment", exact=True).check()  # 5.
    admin.get_by_role("button", name="Add Action").click()
    expect(admin.get_by_label("Add to")).to_have_value("steps[2].then")  # under the condition
    shot(admin, "4_configure_retry")
    admin.get_by_role("button", name="Add step").click()
    add_action(admin, "Send Email",  # 6.
               Email_template="Payment failed - urgent (payment_failed_urgent)")
    add_action(admin, "Wait", Wait_for="7d")  # 7.
    add_action(admin, "Send Email",  # 8.
               Email_template="Payment failed - final notice (payment_failed_final)")
    steps = admin.get_by_role("list", name="Workflow steps").get_by_role("listitem")
    expect(steps).to_have_count(7)
    expect(steps.nth(3)).to_contain_text("3.1")
    expect(steps.nth(3)).to_contain_text("Retry Payment")
    shot(admin, "4_actions_dunning")
    # A step added by mistake is removed again.
    add_action(admin, "Retry Payment")
    expect(steps).to_have_count(8)
    admin.get_by_role("button", name="Remove step 3.5: Retry Payment").click()
    expect(steps).to_have_count(7)
    admin.get_by_role("button", name="Next").click()
    # Step 5: Test Automation and Activate (9.) on the automation's page.
    expect(admin.get_by_role("status")).to_have_text(
        f"Created {name}: version 1 is a draft. Test it, then Activate it.")
    shot(admin, "5_created")
    automation_id = created_id(admin)
    admin.get_by_role("button", name="Test Automation").click()  # on the sample data
    expect(admin.get_by_role("heading", name="Test result:")).to_be_visible()
    shot(admin, "5_tested")
    admin.get_by_role("button", name="Activate").click()
    expect(admin.get_by_role("status")).to_have_text(
        f"Activated {name}: it runs on its trigger from now on.")
    automation = ok(api.get(f"/automations/{automation_id}"))
    # As the API stores DUNNING: durations in their largest whole unit (7d is 1w).
    steps = orjson.loads(orjson.dumps(DUNNING["steps"]).replace(b'"7d"', b'"1w"'))
    expected = {**DUNNING, "name": name, "description": None, "conditions": None,
                "steps": steps, "errorHandling": None}
    assert {k: automation[k] for k in expected} == expected
    assert automation["status"] == "active"
    ok(api.post(f"/automations/{automation['id']}/pause"))  # it reacts to no later payment


def test_condition_rows_and_refusals_beside_their_fields(sandbox_api, admin) -> None:
    api = sandbox_api
    name = f"Big invoices {uuid.uuid4().hex[:6]}"
    admin.goto("/dashboard/automations/builder")
    admin.get_by_label("Event", exact=True).select_option("invoice.issued")
    admin.get_by_role("button", name="Next").click()
    error_beside(admin, admin.get_by_label("Name"),
                 "Name is a non-empty text of at most 200 characters.")
    expect(admin.get_by_label("Event", exact=True)).to_have_value("invoice.issued")  # kept
    admin.get_by_label("Name").fill(name)
    admin.get_by_role("button", name="Next").click()
    admin.get_by_role("button", name="Add Condition").click()
    admin.get_by_label("Field").fill("invoice.amount")
    admin.get_by_label("Operator").select_option(label="greater than")
    admin.get_by_label("Value").fill("a lot")
    admin.get_by_role("button", name="Add Condition").click()
    second = admin.get_by_role("group", name="Condition 2")
    second.get_by_label("Field").fill("customer segment")
    second.get_by_label("Value").fill("enterprise")
    admin.get_by_label("AND: all of them hold").check()
    admin.get_by_role("button", name="Next").click()
    first = admin.get_by_role("group", name="Condition 1")
    error_beside(admin, first.get_by_label("Value"),
                 "Greater than compares with a number, such as 1000.")
    shot(admin, "3_conditions_error")
    first.get_by_label("Value").fill("1000")
    admin.get_by_role("button", name="Next").click()
    error_beside(admin, second.get_by_label("Field"),  # the API's parser's message
                 "'customer segment' is not a dotted path such as invoice.amount.")
    second.get_by_label("Field").fill("customer.segment")
    admin.get_by_role("button", name="Next").click()
    # Step 4: a Wait without its duration is refused beside it, with the API's message.
    add_action(admin, "Wait", Wait_for="")
    error_beside(admin, admin.get_by_label("Wait for"),
                 "'' is not a duration: write a whole number and a unit, s, m, h, d or w "
                 "(for example 30m, 3d, 2w).")
    shot(admin, "4_wait_error")
    admin.get_by_label("Wait for").fill("1d")
    admin.get_by_role("button", name="Add step").click()
    add_action(admin, "Update Record", Customer_field="Segment", New_value="key-account")
    admin.get_by_role("button", name="Next").click()
    expect(admin.get_by_role("status")).to_contain_text(f"Created {name}")
    automation = ok(api.get(f"/automations/{created_id(admin)}"))
    assert automation["trigger"] == {"type": "event", "event": "invoice.issued"}
    assert automation["conditions"] == {"and": [
        {"field": "invoice.amount", "operator": "greater_than", "value": 1000},
        {"field": "customer.segment", "operator": "equals", "value": "enterprise"}]}
    assert automation["steps"] == [
        {"type": "delay", "duration": "1d"},
        {"type": "action", "action": "update_customer", "fields": {"segment": "key-account"}}]
    assert automation["status"] == "draft"


def test_without_javascript_a_schedule_and_an_sms(server, browser, sandbox_api) -> None:
    """Plain form posts: every part of Step 2 shows, and the chosen one is read."""
    api = sandbox_api
    context = browser.new_context(base_url=server.url, java_script_enabled=False,
                                  viewport={"width": 1280, "height": 860})
    try:
        page = context.new_page()
        sign_in(page, server.user("admin"), path="/dashboard/automations/builder")
        name = f"Monthly SMS {uuid.uuid4().hex[:6]}"
        page.get_by_label("Name").fill(name)
        page.get_by_label("Description").fill("A text on the 1st.")
        page.get_by_label("Schedule: runs on a schedule (daily, weekly, ...)").check()
        page.get_by_role("radio", name="Calendar").check()
        page.get_by_role("combobox", name="Calendar").select_option("first_day_of_month")
        page.get_by_label("Timezone").fill("Europe/Berlin")
        shot(page, "2_trigger_no_js")
        page.get_by_role("button", name="Next").click()
        page.get_by_role("button", name="Next").click()
        add_action(page, "Send SMS", **{"To (phone number)": "+15550100",
                                        "Message": "Your invoice is ready."})
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_role("status")).to_contain_text(f"Created {name}")
        automation = ok(api.get(f"/automations/{created_id(page)}"))
        assert (automation["trigger"], automation["description"], automation["steps"]) == (
            {"type": "schedule", "calendar": "first_day_of_month", "timezone": "Europe/Berlin"},
            "A text on the 1st.",
            [{"type": "action", "action": "send_sms", "to": "+15550100",
              "message": "Your invoice is ready."}])
    finally:
        context.close()


def test_edit_as_yaml_holds_the_draft(admin) -> None:
    admin.goto("/dashboard/automations/builder")
    admin.get_by_label("Name").fill("Weekly check")
    admin.get_by_label("Schedule: runs on a schedule (daily, weekly, ...)").check()
    admin.get_by_label("Cron", exact=True).check()
    admin.get_by_label("Cron expression").fill("0 9 * * 1")
    admin.get_by_label("Timezone").fill("Europe/Berlin")
    admin.get_by_role("button", name="Edit as YAML").click()
    source = admin.get_by_label("Definition (YAML or JSON)").input_value()
    assert "cron: 0 9 * * 1" in source and "timezone: Europe/Berlin" in source
    assert "name: Weekly check" in source


def test_a_viewer_cannot_build(server, page) -> None:
    sign_in(page, server.user("viewer"), path="/dashboard/automations")
    assert page.request.get("/dashboard/automations/builder").status == 403
    token = form_token(page.content())
    for path in ("trigger", "conditions", "steps"):
        forged = page.request.post(f"/dashboard/automations/builder/{path}",
                                   form={"csrf_token": token, "do": "save",
                                         "draft": '{"name": "x"}'}, max_redirects=0)
        assert forged.status == 403, path
        assert "Viewers can look at everything but change nothing." in text_of(forged)
