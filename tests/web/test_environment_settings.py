"""Settings → Invoicing, Subscriptions and Customer Portal: an admin changes a setting and the
API reads it back; a bad value is shown beside its field; viewers and members see the settings
but have no Save button, and their forged POSTs are refused. Its own server: the settings it
saves would change what other modules' invoices and subscriptions get."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.scenarios.seed_catalog import fixed
from tests.web.conftest import error_beside, nav, sign_in, text_of
from tests.web.server import form_token


@pytest.fixture(scope="module")
def server(own_server):
    return own_server


def _open(page, name: str) -> None:
    nav(page, "Settings").click()
    page.locator("#main").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()


def test_invoicing_defaults_saved_and_read_back(server, admin, sandbox_api) -> None:
    _open(admin, "Invoicing")
    admin.get_by_label("Payment terms").select_option("net_30")
    admin.get_by_label("Auto-pay").check()
    admin.get_by_label("Retry schedule (hours after each decline)").fill("24, 72")
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.get_by_role("status")).to_have_text("Saved the Invoicing settings.")
    got = sandbox_api.get("/settings/invoicing").json()
    assert (got["payment_terms"], got["auto_issue"], got["auto_pay"],
            got["payment_retry_hours"]) == ("net_30", True, True, [24, 72])
    admin.reload()
    expect(admin.get_by_label("Retry schedule (hours after each decline)")).to_have_value("24, 72")
    expect(admin.get_by_label("Payment terms")).to_have_value("net_30")


def test_customer_emails_saved_and_read_back(server, admin, sandbox_api) -> None:
    _open(admin, "Invoicing")
    invoices = admin.get_by_role("switch", name="Email issued invoices (PDF attached)")
    expect(invoices).not_to_be_checked()
    invoices.check()
    admin.get_by_role("switch", name="Payment failed notices (with a link to update the "
                      "payment method)").check()
    admin.get_by_role("switch", name="Renewal notices").check()
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.get_by_role("status")).to_have_text("Saved the Invoicing settings.")
    got = sandbox_api.get("/settings/invoicing").json()
    assert got["send_invoice_emails"] is True
    assert got["customer_emails"] == {"payment_receipt": False, "payment_failed": True,
                                      "cancellation_scheduled": False, "renewal_notice": True}
    admin.reload()
    expect(admin.get_by_role("switch", name="Renewal notices")).to_be_checked()
    expect(admin.get_by_role("switch", name="Payment receipts")).not_to_be_checked()
    admin.get_by_role("switch", name="Renewal notices").uncheck()
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.get_by_role("status")).to_have_text("Saved the Invoicing settings.")
    assert sandbox_api.get("/settings/invoicing").json()["customer_emails"]["renewal_notice"] \
        is False


def test_a_bad_retry_schedule_is_shown_beside_its_field(server, admin, sandbox_api) -> None:
    before = sandbox_api.get("/settings/invoicing").json()
    admin.goto("/dashboard/settings/invoicing")
    field = admin.get_by_label("Retry schedule (hours after each decline)")
    field.fill("24, 0")
    with admin.expect_response("**/settings/invoicing") as answer:
        admin.get_by_role("button", name="Save settings").click()
    assert answer.value.status == 422
    error_beside(admin, field, "Input should be greater than or equal to 1.")
    expect(field).to_have_value("24, 0")
    assert sandbox_api.get("/settings/invoicing").json() == before


def test_subscription_defaults_saved_and_read_back(server, admin, sandbox_api) -> None:
    _open(admin, "Subscriptions")
    auto_renew = admin.get_by_role("switch", name="Auto-renew")
    expect(auto_renew).to_be_checked()
    auto_renew.uncheck()
    notice = admin.get_by_label("Renewal notice (days before renewal)")
    notice.fill("-3")
    admin.get_by_role("button", name="Save settings").click()
    error_beside(admin, notice, "Input should be greater than or equal to 0.")
    notice.fill("14")
    admin.get_by_role("switch", name="Auto-renew").uncheck()
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.get_by_role("status")).to_have_text("Saved the Subscriptions settings.")
    got = sandbox_api.get("/settings/subscriptions").json()
    assert (got["auto_renew"], got["renewal_notice_days"]) == (False, 14)


def test_the_dunning_automation_is_chosen_by_name(server, admin, sandbox_api) -> None:
    made = sandbox_api.post("/automations", json={
        "name": "Dunning", "trigger": {"type": "event", "event": "payment.failed"},
        "steps": [{"type": "action", "action": "retry_payment"}]})
    assert made.status_code == 201, made.text
    other = sandbox_api.post("/automations", json={
        "name": "Welcome", "trigger": {"type": "event", "event": "customer.created"},
        "steps": [{"type": "action", "action": "create_task", "message": "hi"}]}).json()
    _open(admin, "Subscriptions")
    choice = admin.get_by_label("Dunning automation")
    expect(choice.locator("option")).to_have_text(
        ["None: the retry schedule of Settings → Invoicing", "Dunning (draft)"])
    choice.select_option(label="Dunning (draft)")
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.get_by_role("status")).to_have_text("Saved the Subscriptions settings.")
    expect(admin.locator("#failed-hint")).to_contain_text("until the named automation is active")
    got = sandbox_api.get("/settings/subscriptions").json()
    assert (got["failed_payment_automation_id"], got["failed_payment_handling"]) == (
        made.json()["id"], "retry_schedule")
    assert sandbox_api.post(f"/automations/{made.json()['id']}/activate").status_code == 200
    _open(admin, "Subscriptions")
    expect(admin.get_by_label("Dunning automation")).to_have_value(made.json()["id"])
    expect(admin.locator("#failed-hint")).to_contain_text(
        "Failed payments are handled by this automation now")
    assert other["id"] not in admin.content()
    admin.get_by_label("Dunning automation").select_option(value="")
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.get_by_role("status")).to_have_text("Saved the Subscriptions settings.")
    assert sandbox_api.get("/settings/subscriptions").json()["failed_payment_automation_id"] is None


def test_customer_portal_saved_and_read_back(server, admin, sandbox_api) -> None:
    product = sandbox_api.post("/products", json={
        "name": "Platform", "fee_type": "fixed", "billing_frequency": "recurring"}).json()
    plan = sandbox_api.post("/plans", json={
        "name": "Growth", "currency": "USD",
        "items": [{"product_id": product["id"], "price": fixed("100.00", "advance")}]}).json()
    _open(admin, "Customer Portal")
    admin.get_by_role("switch", name="Allow subscription cancellation").check()
    admin.get_by_role("switch", name="Show usage").check()
    admin.get_by_role("switch", name="Allow plan changes").check()
    admin.get_by_label("Retention offer (optional)").fill("20% off for three months")
    admin.get_by_label("Growth (USD)").check()
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.get_by_role("status")).to_have_text("Saved the Customer Portal settings.")
    got = sandbox_api.get("/settings/customer-portal").json()
    assert got["plan_overview_settings"] == {"show_section": True,
                                             "allow_subscription_cancel": True,
                                             "allow_plan_change": True}
    assert got["usage_settings"] == {"show_section": True}
    assert got["retention_offer_text"] == "20% off for three months"
    assert got["available_plan_ids"] == [plan["id"]]
    # The other environment keeps its own.
    admin.get_by_role("button", name="Production").click()
    admin.goto("/dashboard/settings/customer-portal")
    expect(admin.get_by_role("switch", name="Show usage")).not_to_be_checked()


def test_company_saved_read_back_and_printed_on_the_pdf(server, admin, sandbox_api) -> None:
    """Settings → Company: the seller the invoice PDFs print."""
    import io

    from pypdf import PdfReader

    _open(admin, "Company")
    name = admin.get_by_label("Company name")
    name.fill("x" * 201)
    admin.get_by_label("Address").fill("Hauptstrasse 1\n10115 Berlin")
    admin.get_by_role("button", name="Save settings").click()
    error_beside(admin, name, "String should have at most 200 characters.")
    expect(admin.get_by_label("Address")).to_have_value("Hauptstrasse 1\n10115 Berlin")  # kept
    name.fill("Kassa Test GmbH")
    admin.get_by_label("Tax ID").fill("DE123456789")
    admin.get_by_label("Footer").fill("Registered in Berlin")
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.get_by_role("status")).to_have_text("Saved the Company settings.")
    got = sandbox_api.get("/settings/company").json()
    assert {k: got[k] for k in ("name", "address", "email", "tax_id", "footer", "logo")} == {
        "name": "Kassa Test GmbH", "address": "Hauptstrasse 1\n10115 Berlin", "email": None,
        "tax_id": "DE123456789", "footer": "Registered in Berlin", "logo": None}
    customer = sandbox_api.post("/customers", json={"name": "PDF reader"}).json()
    invoice = sandbox_api.post("/invoices", json={"customer_id": customer["id"], "lines": [
        {"description": "Onboarding", "amount": "10.00"}]}).json()
    pdf = sandbox_api.get(f"/invoices/{invoice['id']}/pdf").content
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Kassa Test GmbH" in text and "DE123456789" in text and "10115 Berlin" in text


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_viewers_and_members_read_but_cannot_save(server, page, sandbox_api, role) -> None:
    sign_in(page, server.user(role))
    before = sandbox_api.get("/settings/invoicing").json()
    for path in ("invoicing", "subscriptions", "company", "customer-portal"):
        page.goto(f"/dashboard/settings/{path}")
        expect(page.get_by_text("Only admins change settings.")).to_be_visible()
        expect(page.get_by_role("button", name="Save settings")).to_have_count(0)
    expect(page.get_by_role("switch", name="Show usage")).to_be_disabled()
    token = form_token(page.content())
    answer = page.request.post("/dashboard/settings/invoicing", max_redirects=0, form={
        "csrf_token": token, "payment_terms": "net_90", "payment_retry_hours": "1"})
    assert answer.status == 403
    assert "Only admins manage API keys, users and settings." in text_of(answer)
    assert sandbox_api.get("/settings/invoicing").json() == before


def test_currencies_saved_read_back_with_the_newest_rates(server, admin, sandbox_api) -> None:
    """Settings → Currencies: the base and settlement currencies, and the rates on file."""
    assert sandbox_api.post("/fx-rates", json={"base": "EUR", "quote": "USD", "rate": "1.0830",
                                               "valid_from": "2026-01-01"}).status_code == 201
    _open(admin, "Currencies")
    base = admin.get_by_label("Base currency")
    expect(base).to_have_value("USD")
    expect(admin.get_by_role("table", name="The newest exchange rates")).to_contain_text("1.0830")
    base.fill("XYZ")
    admin.get_by_role("button", name="Save settings").click()
    error_beside(admin, base, "'XYZ' is not an ISO 4217 currency code.")
    base.fill("eur")
    admin.get_by_label("Settlement currency").fill("GBP")
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.get_by_role("status")).to_have_text("Saved the Currencies settings.")
    got = sandbox_api.get("/settings/currencies").json()
    assert (got["base_currency"], got["settlement_currency"]) == ("EUR", "GBP")
    admin.get_by_label("Settlement currency").fill("")
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.get_by_role("status")).to_have_text("Saved the Currencies settings.")
    assert sandbox_api.get("/settings/currencies").json()["settlement_currency"] == "EUR"
    expect(admin.get_by_label("Settlement currency")).to_have_value("EUR")
    sandbox_api.patch("/settings/currencies", json={"base_currency": None,
                                                    "settlement_currency": None})
