"""The sandbox clock in the header: Freeze and Advance change what ``GET /clock`` answers, and
an advance shows what ran on the way."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.conftest import API_VERSION_HEADERS
from tests.web.conftest import error_beside
from tests.scenarios.seed_catalog import fixed


def test_freeze_and_advance_move_the_sandbox_clock(server, admin) -> None:
    key = server.key("sandbox")
    api = httpx.Client(base_url=server.url,
                       headers={**API_VERSION_HEADERS, "Authorization": f"Bearer {key}"})
    clock = admin.get_by_role("form", name="Sandbox clock")
    clock.get_by_label("Sandbox time (UTC)").fill("2031-01-01T00:00:00")
    clock.get_by_role("button", name="Freeze").click()
    admin.wait_for_url("**/dashboard/clock")
    expect(admin.get_by_role("heading", name="Frozen at 2031-01-01 00:00 UTC")).to_be_visible()
    assert api.get("/clock").json() == {"now": "2031-01-01T00:00:00Z", "frozen": True}
    expect(admin.get_by_role("form", name="Sandbox clock").get_by_text("frozen")).to_be_visible()

    customer = api.post("/customers", json={"name": "Clockwork Ltd"}).json()
    product = api.post("/products", json={"name": "Platform", "fee_type": "fixed",
                                          "billing_frequency": "recurring"}).json()
    subscription = api.post("/subscriptions", json={
        "customer_id": customer["id"], "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": "2031-01-01"},
        "items": [{"product_id": product["id"], "price": fixed("100.00")}],
    })
    assert subscription.status_code == 201, subscription.text

    clock = admin.get_by_role("form", name="Sandbox clock")
    clock.get_by_label("Sandbox time (UTC)").fill("2031-02-01T00:00:00")
    clock.get_by_role("button", name="Advance").click()
    expect(admin.get_by_role("heading", name="Advanced to 2031-02-01 00:00 UTC")).to_be_visible()
    assert api.get("/clock").json() == {"now": "2031-02-01T00:00:00Z", "frozen": True}
    invoices = api.get("/invoices", params={"customer_id": customer["id"]}).json()["data"]
    assert [(i["total"], i["billing_period_start"]) for i in invoices] == [("100.00", "2031-01-01")]
    rows = admin.get_by_role("table").locator("tbody tr")
    ran = [[cell.strip() for cell in row.get_by_role("cell").all_inner_texts()]
           for row in rows.all()]
    created = [row for row in ran if row[1] == "invoice.created"]
    assert len(created) == 1 and created[0][0] == "2031-02-01 00:00 UTC"
    assert f"invoice_id: {invoices[0]['id']}" in created[0][2]
    summary = admin.locator("main").inner_text()
    assert f"{len(ran)} pieces of due work ran, in time order:" in summary
    assert "invoice.created × 1" in summary

    # Backwards is refused, with the reason beside the field.
    clock = admin.get_by_role("form", name="Sandbox clock")
    clock.get_by_label("Sandbox time (UTC)").fill("2031-01-15T00:00:00")
    with admin.expect_response("**/dashboard/clock") as answer:
        clock.get_by_role("button", name="Advance").click()
    assert answer.value.status == 422
    error_beside(admin, admin.get_by_label("Sandbox time (UTC)"),
                 "The clock never goes backwards: it is 2031-02-01T00:00:00Z, and 'to' is "
                 "2031-01-15T00:00:00Z.")
    assert api.get("/clock").json() == {"now": "2031-02-01T00:00:00Z", "frozen": True}
    api.close()
