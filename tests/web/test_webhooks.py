"""Settings -> Webhooks in the browser, against a real receiver on loopback, the deliveries driven
by the sandbox clock (this module's own server):

- the FAQ's "Manually retry from Settings → Webhooks → [Endpoint] → Failed Events":
  ``test_retry_a_failed_event_from_the_endpoints_failed_events``;
- "Verify endpoint URL in Settings → Webhooks" (Add Endpoint, its secret shown once, a bad URL
  refused beside its field): ``test_add_endpoint_shows_its_secret_once``;
- recovering failed events since a time, and the delivery logs with each attempt:
  ``test_recover_failed_events_since_a_time``;
- viewers see no action and a forged POST is refused: ``test_a_viewer_cannot_change_webhooks``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import BACKENDS
from tests.scenarios.seed_catalog import ok
from tests.web.conftest import error_beside, nav, serve, sign_in, text_of
from tests.web.server import form_token

T0 = "2026-07-01T00:00:00Z"


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory):
    """This module's own server: it moves the sandbox clock."""
    yield from serve(request.param, tmp_path_factory)


def _failed_message(api, receiver, name: str, at: str, until: str) -> tuple[dict, dict]:
    """The clock frozen ``at``, an endpoint for customer.created at ``receiver`` (which refuses
    everything), one customer created, and the clock advanced ``until``, past the six attempts:
    (endpoint, its failed message)."""
    ok(api.post("/clock/freeze", json={"at": at}))
    endpoint = ok(api.post("/webhook-endpoints", json={
        "url": receiver.url, "event_types": ["customer.created"]}), 201)
    receiver.secrets.append(endpoint["secret"])
    receiver.respond = lambda r: 503
    ok(api.post("/customers", json={"name": name}), 201)
    ok(api.post("/clock/advance", json={"to": until}))
    failed = ok(api.get(f"/webhook-endpoints/{endpoint['id']}/messages?status=failed"))["data"]
    assert [(m["status"], m["attempts"]) for m in failed] == [("failed", 6)]
    return endpoint, failed[0]


def test_add_endpoint_shows_its_secret_once(server, admin, sandbox_api, receiver) -> None:
    nav(admin, "Settings").click()
    admin.get_by_role("link", name="Webhooks").click()
    admin.wait_for_url("**/dashboard/settings/webhooks")

    # A URL that is not one is refused beside its field, and the events chosen stay chosen.
    admin.get_by_label("Endpoint URL").fill("not a url")
    admin.get_by_label("invoice.paid").check()
    with admin.expect_response("**/settings/webhooks") as answer:
        admin.get_by_role("button", name="Add Endpoint").click()
    assert answer.value.status == 422
    error_beside(admin, admin.get_by_label("Endpoint URL"), "Url must be an http:// or https:// URL.")
    expect(admin.get_by_label("invoice.paid")).to_be_checked()

    admin.get_by_label("Endpoint URL").fill(receiver.url)
    admin.get_by_label("Description").fill("Provisioning")
    admin.get_by_label("invoice.paid").check()
    admin.get_by_label("payment.failed").check()
    admin.get_by_role("button", name="Add Endpoint").click()
    status = admin.get_by_role("status")
    expect(status).to_contain_text(f"Added {receiver.url}.")
    expect(status).to_contain_text("it is shown only this once")
    secret = admin.get_by_label("Signing secret").inner_text()
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]+", secret)

    listed = ok(sandbox_api.get("/webhook-endpoints"))["data"]
    mine = [e for e in listed if e["description"] == "Provisioning"]
    assert [(e["url"], e["event_types"], e["enabled"]) for e in mine] == [
        (receiver.url, ["invoice.paid", "payment.failed"], True)]
    row = admin.get_by_role("row").filter(has_text="Provisioning")
    expect(row.get_by_role("cell").nth(1)).to_have_text("2 event types")
    admin.goto("/dashboard/settings/webhooks")  # (a reload would send the form again)
    assert secret not in admin.content()

    # The endpoint's page: Disable, then Enable, as the API sees it.
    row.get_by_role("link", name=receiver.url).click()
    admin.get_by_role("button", name="Disable").click()
    expect(admin.get_by_role("status")).to_contain_text("Disabled the endpoint")
    assert ok(sandbox_api.get(f"/webhook-endpoints/{mine[0]['id']}"))["enabled"] is False
    admin.get_by_role("button", name="Enable").click()
    expect(admin.get_by_role("status")).to_contain_text("Enabled the endpoint")
    assert ok(sandbox_api.get(f"/webhook-endpoints/{mine[0]['id']}"))["enabled"] is True

    # Rotate Secret shows the new one once; Delete Endpoint removes it.
    admin.get_by_role("button", name="Rotate Secret").click()
    rotated = admin.get_by_label("Signing secret").inner_text()
    assert rotated != secret and rotated.startswith("whsec_")
    admin.get_by_role("button", name="Delete Endpoint").click()
    admin.wait_for_url("**/dashboard/settings/webhooks?done=deleted")
    expect(admin.get_by_role("status")).to_have_text("Deleted the endpoint.")
    assert sandbox_api.get(f"/webhook-endpoints/{mine[0]['id']}").status_code == 404


def test_retry_a_failed_event_from_the_endpoints_failed_events(
    server, admin, sandbox_api, receiver
) -> None:
    endpoint, message = _failed_message(sandbox_api, receiver, "Acme Retry", T0,
                                        "2026-07-04T00:00:00Z")

    admin.goto("/dashboard/settings/webhooks")
    admin.get_by_role("link", name=receiver.url).last.click()
    expect(admin.get_by_role("link", name="Failed Events")).to_have_attribute(
        "aria-current", "page")
    row = admin.get_by_role("row").filter(has_text=message["id"])
    expect(row.get_by_role("cell").nth(1)).to_have_text("Failed")
    expect(row.get_by_role("cell").nth(2)).to_have_text("6")

    receiver.respond = lambda r: 204
    row.get_by_role("button", name="Retry").click()
    expect(admin.get_by_role("status")).to_have_text("Retrying the delivery now.")
    assert ok(sandbox_api.get(f"/webhook-messages/{message['id']}"))["status"] == "pending"
    now = ok(sandbox_api.get("/clock"))["now"]
    ok(sandbox_api.post("/clock/advance", json={"to": now}))  # runs what is due now
    detail = ok(sandbox_api.get(f"/webhook-messages/{message['id']}"))
    assert (detail["status"], detail["attempts"]) == ("succeeded", 7)
    assert detail["delivery_attempts"][-1]["trigger"] == "manual"
    assert receiver.distinct() == {message["id"]}

    # The delivery logs list it as succeeded; its page shows each attempt.
    admin.get_by_role("link", name="Failed Events").click()
    expect(admin.get_by_role("row").filter(has_text=message["id"])).to_have_count(0)
    admin.get_by_role("link", name="Delivery logs").click()
    row = admin.get_by_role("row").filter(has_text=message["id"])
    expect(row.get_by_role("cell").nth(1)).to_have_text("Succeeded")
    row.get_by_role("link", name="customer.created").click()
    expect(admin.get_by_role("heading", name="customer.created")).to_be_visible()
    attempts = admin.get_by_role("table", name="Delivery attempts").get_by_role("row")
    expect(attempts).to_have_count(8)  # the header and seven attempts
    expect(attempts.nth(1)).to_contain_text("503")
    expect(attempts.nth(7)).to_contain_text("manual")
    expect(attempts.nth(7)).to_contain_text("204")
    expect(admin.locator("pre.payload")).to_contain_text('"type": "customer.created"')
    assert endpoint["id"] in admin.url


def test_recover_failed_events_since_a_time(server, admin, sandbox_api, receiver) -> None:
    endpoint, message = _failed_message(sandbox_api, receiver, "Acme Recover",
                                        "2026-08-01T00:00:00Z", "2026-08-04T00:00:00Z")
    admin.goto(f"/dashboard/settings/webhooks/{endpoint['id']}")

    # No time given: refused beside the field.
    admin.get_by_role("button", name="Recover").click()
    error_beside(admin, admin.get_by_label("Recover failed events since (UTC)"),
                 "Give the date and time to recover from (UTC).")

    receiver.respond = lambda r: 200
    admin.get_by_label("Recover failed events since (UTC)").fill("2026-08-01T00:00")
    admin.get_by_role("button", name="Recover").click()
    expect(admin.get_by_role("status")).to_have_text(
        "Recovering 1 failed delivery since 2026-08-01 00:00 UTC.")
    now = ok(sandbox_api.get("/clock"))["now"]
    ok(sandbox_api.post("/clock/advance", json={"to": now}))
    detail = ok(sandbox_api.get(f"/webhook-messages/{message['id']}"))
    assert (detail["status"], detail["attempts"]) == ("succeeded", 7)


def test_a_viewer_cannot_change_webhooks(server, open_page, sandbox_api, receiver) -> None:
    endpoint = ok(sandbox_api.post("/webhook-endpoints", json={"url": receiver.url}), 201)
    viewer = open_page()
    sign_in(viewer, server.user("viewer"))
    viewer.goto("/dashboard/settings/webhooks")
    expect(viewer.get_by_text("Only admins add and change webhook endpoints.")).to_be_visible()
    expect(viewer.get_by_role("button", name="Add Endpoint")).to_have_count(0)
    viewer.goto(f"/dashboard/settings/webhooks/{endpoint['id']}")
    for name in ("Disable", "Send Test Event", "Rotate Secret", "Delete Endpoint", "Recover"):
        expect(viewer.get_by_role("button", name=name)).to_have_count(0)
    token = form_token(viewer.content())
    forged = viewer.request.post(f"/dashboard/settings/webhooks/{endpoint['id']}/delete",
                                 form={"csrf_token": token}, max_redirects=0)
    assert forged.status == 403
    assert "Only admins manage API keys, users and settings." in text_of(forged)
    forged = viewer.request.post(f"/dashboard/settings/webhooks/{endpoint['id']}/recover",
                                 form={"csrf_token": token, "since": "2026-01-01T00:00"},
                                 max_redirects=0)
    assert forged.status == 403
    assert "Viewers can look at everything but change nothing." in text_of(forged)
    assert ok(sandbox_api.get(f"/webhook-endpoints/{endpoint['id']}"))["enabled"] is True
