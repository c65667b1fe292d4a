"""The customer portal in headless Chromium (issue 15, "Portal pages"): a customer opens the
link from an email, fixes their billing details, adds a test card, downloads an invoice, moves
to a smaller plan, cancels through the retention step and leaves; the link then answers 410.
Every page's inputs have labels and its buttons and links names."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.billing_setup import Api, api, server  # noqa: F401
from tests.web.conftest import error_beside
from tests.web.test_accessibility import UNNAMED


def _named(page) -> None:
    assert page.evaluate(UNNAMED) == [], page.url
    assert page.locator("h1").count() == 1, page.url


def test_a_customer_looks_after_their_billing(api: Api, page) -> None:
    api.client.patch("/settings/customer-portal", json={
        "plan_overview_settings": {"allow_subscription_cancel": True, "allow_plan_change": True},
        "usage_settings": {"show_section": True},
        "available_plan_ids": [api.catalog.basic["id"], api.catalog.pro["id"]],
        "retention_offer_text": "Stay with us: 20% off your next three months."})
    api.client.patch("/settings/company", json={"name": "Acme Billing"})
    customer = api.customer(name="Globex")
    sub = api.started(customer, api.catalog.team)
    [invoice] = api.get("/invoices", subscription_id=sub["id"])["data"]
    url = api.post("/customer-portal-sessions", {"customer_id": customer["id"]}, 201)["url"]

    page.goto(url)
    page.wait_for_url("**/portal/plan")
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan overview")
    expect(page.locator(".seller-name")).to_have_text("Acme Billing")
    card = page.get_by_role("region", name=api.catalog.team["name"])
    expect(card).to_contain_text("Next invoice amount299.00 USD")
    _named(page)

    portal_nav = page.get_by_role("navigation", name="Billing portal")
    portal_nav.get_by_role("link", name="Billing information").click()
    _named(page)
    page.get_by_label("Billing email").fill("ap@globex.example")
    page.get_by_label("Address line 1").fill("Unter den Linden 1")
    page.get_by_label("Country code").fill("Germany")
    page.get_by_role("button", name="Save billing details").click()
    error_beside(page, page.get_by_label("Country code"),
                 "Must be a two-letter country code such as DE or US.")
    page.get_by_label("Country code").fill("DE")
    page.get_by_role("button", name="Save billing details").click()
    expect(page.get_by_role("status")).to_have_text("Saved your billing information.")
    assert api.get(f"/customers/{customer['id']}")["billing_address"]["country"] == "DE"

    page.get_by_label("Visa ending 4242: Payments succeed").check()
    page.get_by_label("Make it my default payment method").check()
    page.get_by_role("button", name="Add payment method").click()
    expect(page.get_by_role("status")).to_have_text("Added the payment method.")
    expect(page.get_by_role("region", name="Payment methods")).to_contain_text(
        "Visa ending 4242 expires 12/34 Default")
    [method] = api.get(f"/customers/{customer['id']}/payment-methods")["data"]
    assert (method["test_behavior"], method["is_default"]) == ("succeed", True)

    portal_nav.get_by_role("link", name="Invoices").click()
    _named(page)
    download = page.get_by_role("link", name=f"Download PDF of invoice {invoice['number']}")
    answer = page.request.get(download.get_attribute("href"))
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"

    portal_nav.get_by_role("link", name="Usage").click()
    _named(page)
    expect(page.get_by_role("region", name="API calls")).to_contain_text("Usage so far0")

    portal_nav.get_by_role("link", name="Plan overview").click()
    card.get_by_role("link", name="Change plan").click()
    _named(page)
    page.get_by_label(f"{api.catalog.basic['name']} (99.00 USD per month)").check()
    page.get_by_role("button", name="Preview the change").click()
    expect(page.get_by_role("region", name=f"{api.catalog.basic['name']}: downgrade")).to_contain_text(
        "Starts on 2026-07-01, at the start of your next billing period.")
    page.get_by_role("button", name="Confirm plan change").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your plan will change at the start of your next billing period.")
    assert [p["effective_at"] for p in api.get(f"/subscriptions/{sub['id']}")["pending_changes"]] \
        == ["2026-07-01T00:00:00Z"]
    expect(card).to_contain_text("A change to your plan takes effect on 2026-07-01.")

    card.get_by_role("link", name="Cancel subscription").click()
    _named(page)
    page.get_by_label("Why are you canceling?").select_option(label="It is too expensive")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("region", name="An offer for you")).to_contain_text(
        "Stay with us: 20% off your next three months.")
    _named(page)
    page.get_by_role("button", name="Cancel subscription").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your subscription is set to end at the end of the current period.")
    expect(card).to_contain_text("Ends 2026-07-01")
    assert api.get(f"/subscriptions/{sub['id']}")["cancellation"]["reason"] == "pricing"

    page.get_by_role("button", name="Leave the billing portal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Signed out")
    page.goto("/portal/plan")
    expect(page.get_by_role("heading", level=1)).to_have_text("Please open your billing link again")
    answer = page.goto(url)
    assert answer.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This link has expired")
