"""Invoices in the browser: each procedure of the FAQ (faq.txt, "Invoicing & Payments" and
"Troubleshooting"), clicked by role and visible name, its effect read back through the API.

- "Navigate to Invoices → Find the failed invoice (status: Payment Failed) → Click to open
  invoice details → Click Retry Payment": ``test_retry_payment_on_the_failed_invoice``.
- "Navigate to Invoices → Find and open the paid invoice → Click Issue Refund or Create Credit
  Note → Enter partial refund amount → Add reason → Choose: Refund to payment method OR Store as
  credit → Confirm": ``test_issue_refund_and_create_credit_note_on_the_paid_invoice``.
- "To manually apply credits: Navigate to Invoices → Open the invoice → Click Apply Credits →
  Select amount to apply → Confirm" (then a credit note off what is due, and Void):
  ``test_apply_credits_then_credit_note_then_void``.
- "View invoice details in dashboard to see the full breakdown" (proration, tax, credit
  applications): ``test_the_full_breakdown``.
- A viewer sees no action and a forged POST is refused: ``test_a_viewer_cannot_act_on_invoices``.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.scenarios.seed_catalog import fixed, ok
from tests.web.conftest import error_beside, nav, sign_in, text_of
from tests.web.server import form_token

pytestmark = pytest.mark.both_backends  # its pages run SQL of their own


@pytest.fixture
def api(sandbox_api):
    return sandbox_api


@pytest.fixture(scope="module")
def server(own_server):
    """This module's own server: its live subscriptions stay out of other tests' way."""
    return own_server


def customer_with_card(api, behavior: str = "succeed") -> dict:
    customer = ok(api.post("/customers", json={"name": f"Invoiced {uuid.uuid4().hex[:8]}"}), 201)
    ok(api.post(f"/customers/{customer['id']}/payment-methods", json={
        "type": "card", "details": {"brand": "visa", "last4": "4242"},
        "test_behavior": behavior}), 201)
    return customer


def one_time(api, customer: dict, amount: str, auto_pay: bool = True) -> dict:
    return ok(api.post("/invoices", json={"customer_id": customer["id"], "auto_pay": auto_pay,
                                          "lines": [{"description": "Onboarding",
                                                     "amount": amount}]}), 201)


def open_from_list(page, status_label: str, invoice: dict) -> None:
    """Invoices → the status filter → the invoice's row → its page."""
    nav(page, "Invoices").click()
    page.get_by_role("navigation", name="Filter by status").get_by_role(
        "link", name=status_label, exact=True).click()
    page.wait_for_url("**/dashboard/invoices?status=*")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=invoice["number"]))
    expect(row.get_by_role("cell").nth(2)).to_have_text(status_label)
    row.get_by_role("link", name=invoice["number"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Invoice {invoice['number']} {status_label}")


def test_retry_payment_on_the_failed_invoice(server, api, admin) -> None:
    customer = customer_with_card(api, "decline_once")  # the card declines once, then pays
    invoice = one_time(api, customer, "250.00")
    assert (invoice["status"], invoice["amount_due"]) == ("payment_failed", "250.00")
    open_from_list(admin, "Payment Failed", invoice)
    expect(admin.get_by_text("Amount due 250.00 USD")).to_be_visible()  # "Verify the amount"
    declined = admin.get_by_role("table", name="Payments").get_by_role("row").nth(1)
    expect(declined).to_contain_text("card_declined")
    admin.get_by_role("button", name="Retry Payment").click()
    expect(admin.get_by_role("status")).to_have_text(
        "Payment of 250.00 USD succeeded: the invoice is Paid.")
    expect(admin.get_by_role("heading", level=1)).to_have_text(f"Invoice {invoice['number']} Paid")
    expect(admin.get_by_role("button", name="Retry Payment")).to_have_count(0)
    after = ok(api.get(f"/invoices/{invoice['id']}"))
    assert (after["status"], after["amount_paid"], after["amount_due"]) == ("paid", "250.00",
                                                                          "0.00")
    charges = ok(api.get("/payments", params={"invoice_id": invoice["id"],
                                              "sort": "created_at:asc"}))["data"]
    assert [(p["status"], p["amount"]) for p in charges] == [("failed", "250.00"),
                                                           ("succeeded", "250.00")]


def test_issue_refund_and_create_credit_note_on_the_paid_invoice(server, api, admin) -> None:
    customer = customer_with_card(api)
    invoice = one_time(api, customer, "300.00")
    assert invoice["status"] == "paid"
    open_from_list(admin, "Paid", invoice)
    admin.get_by_role("button", name="Issue Refund").click()
    panel = admin.get_by_role("region", name="Issue Refund")
    panel.get_by_label("Refund amount (USD)").fill("120.00")
    panel.get_by_label("Reason").select_option(label="Service issue")
    panel.get_by_label("Note (optional)").fill("Outage on the 3rd")
    expect(panel.get_by_label("Refund to payment method")).to_be_checked()
    panel.get_by_role("button", name="Confirm").click()
    expect(admin.get_by_role("status")).to_have_text(re.compile(
        r"Credit note TEST-CN-\d+ for 120\.00 USD: refunded to the payment method\."))
    [note] = ok(api.get("/credit-notes", params={"invoice_id": invoice["id"]}))["data"]
    assert (note["amount"], note["status"], note["resolution"], note["reason"], note["memo"]) == (
        "120.00", "applied", "refund", "service_issue", "Outage on the 3rd")
    refund = ok(api.get(f"/refunds/{note['refund_id']}"))
    assert (refund["amount"], refund["status"]) == ("120.00", "succeeded")
    [payment] = ok(api.get("/payments", params={"invoice_id": invoice["id"]}))["data"]
    assert payment["amount_refunded"] == "120.00"
    after = ok(api.get(f"/invoices/{invoice['id']}"))
    assert (after["status"], after["amount_credited"], after["amount_due"]) == ("paid", "120.00",
                                                                               "0.00")
    notes = admin.get_by_role("table", name="Credit notes").get_by_role("row")
    expect(notes.nth(1)).to_contain_text(note["number"])
    expect(notes.nth(1)).to_contain_text("Refund to payment method")

    # Create Credit Note, stored as credit: more than is left is refused beside the amount.
    admin.get_by_role("button", name="Create Credit Note").click()
    panel = admin.get_by_role("region", name="Create Credit Note")
    expect(panel.get_by_label("Store as credit")).to_be_checked()
    amount = panel.get_by_label("Credit amount (USD)")
    amount.fill("200.00")
    panel.get_by_role("button", name="Confirm").click()
    error_beside(admin, admin.get_by_label("Credit amount (USD)"),
                 f"Invoice {invoice['id']} has 180.00 left to credit; this note is for 200.00.")
    admin.get_by_label("Credit amount (USD)").fill("80.00")
    admin.get_by_role("button", name="Confirm").click()
    expect(admin.get_by_role("status")).to_have_text(re.compile(
        r"Credit note TEST-CN-\d+ for 80\.00 USD: stored as credit\."))
    assert ok(api.get(f"/customers/{customer['id']}/credit-balance"))["monetary"] == [
        {"currency": "USD", "amount": "80.00"}]
    notes = ok(api.get("/credit-notes", params={"invoice_id": invoice["id"]}))["data"]
    assert sorted((n["amount"], n["resolution"]) for n in notes) == [("120.00", "refund"),
                                                                     ("80.00", "credit")]
    assert ok(api.get(f"/invoices/{invoice['id']}"))["amount_credited"] == "200.00"


def test_apply_credits_then_credit_note_then_void(server, api, admin) -> None:
    customer = customer_with_card(api)
    invoice = one_time(api, customer, "500.00", auto_pay=False)  # issued, nothing collected
    ok(api.post("/credit-grants", json={"customer_id": customer["id"], "amount": "150.00",
                                        "reason": "Goodwill"}), 201)
    admin.goto(f"/dashboard/invoices/{invoice['id']}")
    expect(admin.get_by_text("available credit 150.00 USD")).to_be_visible()
    admin.get_by_role("button", name="Apply Credits").click()
    amount = admin.get_by_label("Amount to apply (USD)")
    expect(amount).to_have_value("150.00")  # all the credit, as it is less than is due
    amount.fill("abc")
    admin.get_by_role("button", name="Confirm").click()
    error_beside(admin, admin.get_by_label("Amount to apply (USD)"),
                 'Money must be a decimal string such as "500.00"')
    admin.get_by_label("Amount to apply (USD)").fill("200.00")
    admin.get_by_role("button", name="Confirm").click()
    error_beside(admin, admin.get_by_label("Amount to apply (USD)"),
                 "The customer has only 150.00 of credit in USD.")
    admin.get_by_label("Amount to apply (USD)").fill("100.00")
    admin.get_by_role("button", name="Confirm").click()
    expect(admin.get_by_role("status")).to_have_text(
        "Applied 100.00 USD of credit: 400.00 USD is due.")
    after = ok(api.get(f"/invoices/{invoice['id']}"))
    assert (after["status"], after["credits_applied"], after["amount_due"]) == (
        "issued", "100.00", "400.00")
    assert ok(api.get(f"/customers/{customer['id']}/credit-balance"))["monetary"] == [
        {"currency": "USD", "amount": "50.00"}]

    # A credit note stored as credit comes off what is due.
    admin.get_by_role("button", name="Create Credit Note").click()
    admin.get_by_label("Credit amount (USD)").fill("40.00")
    admin.get_by_label("Reason").select_option(label="Billing error")
    admin.get_by_role("button", name="Confirm").click()
    expect(admin.get_by_role("status")).to_contain_text("for 40.00 USD: stored as credit.")
    after = ok(api.get(f"/invoices/{invoice['id']}"))
    assert (after["amount_credited"], after["amount_due"]) == ("40.00", "360.00")
    assert ok(api.get(f"/customers/{customer['id']}/credit-balance"))["monetary"] == [
        {"currency": "USD", "amount": "50.00"}]

    # Void: confirmed, and the credit it used is the customer's again.
    admin.get_by_role("button", name="Void").click()
    admin.get_by_role("region", name="Void").get_by_role("button", name="Confirm").click()
    expect(admin.get_by_role("status")).to_have_text(
        "The invoice is void; credits and wallet money it used are back with the customer.")
    expect(admin.get_by_role("heading", level=1)).to_have_text(f"Invoice {invoice['number']} Void")
    after = ok(api.get(f"/invoices/{invoice['id']}"))
    assert (after["status"], after["amount_due"]) == ("void", "0.00")
    assert ok(api.get(f"/customers/{customer['id']}/credit-balance"))["monetary"] == [
        {"currency": "USD", "amount": "150.00"}]
    for name in ("Retry Payment", "Apply Credits", "Issue Refund", "Create Credit Note", "Void"):
        expect(admin.get_by_role("button", name=name, exact=True)).to_have_count(0)


def _rows(page, table: str) -> list[list[str]]:
    rows = page.get_by_role("table", name=table).locator("tbody tr")
    return [[c.strip() for c in row.get_by_role("cell").all_inner_texts()] for row in rows.all()]


def _shown(line: dict) -> list[str]:
    """An invoice line as the Lines table shows it."""
    period = f"{line['period_start']} – {line['period_end']}" if line["period_start"] else ""
    unit = f"{line['unit_amount']} USD" if line["unit_amount"] is not None else ""
    return [line["description"], line["kind"].replace("_", " ").capitalize(), period,
            line["quantity"] or "", unit, f"{line['amount']} USD"]


def test_the_full_breakdown(server, api, admin) -> None:
    customer = customer_with_card(api)
    ok(api.patch(f"/customers/{customer['id']}", json={"tax_rate": "10"}))
    ok(api.post("/credit-grants", json={"customer_id": customer["id"], "amount": "5.00"}), 201)
    product = ok(api.post("/products", json={"name": "Platform fee", "fee_type": "fixed",
                                             "billing_frequency": "recurring"}), 201)
    price = {**fixed("100.00", "advance"), "discount": {"type": "fixed_amount", "amount": "20.00"}}
    sub = ok(api.post("/subscriptions", json={
        "customer_id": customer["id"], "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling"},
        "items": [{"product_id": product["id"], "price": price}]}), 201)
    ok(api.post(f"/subscriptions/{sub['id']}/changes", json={
        "update": [{"product_id": product["id"],
                    "adjust": {"fixed_pricing_model": {"price_per_unit": "160.00"}}}],
        "effective": "immediate"}), 201)
    first, proration = ok(api.get("/invoices", params={"customer_id": customer["id"],
                                                       "sort": "created_at:asc"}))["data"]
    assert [line["kind"] for line in first["line_items"]] == ["fixed", "discount", "tax"]
    assert {line["kind"] for line in proration["line_items"]} >= {"proration"}
    for invoice in (first, proration):
        admin.goto(f"/dashboard/invoices/{invoice['id']}")
        assert _rows(admin, "Lines") == [_shown(line) for line in invoice["line_items"]]
        totals = admin.get_by_role("region", name="Totals").inner_text()
        for label, field in [("Subtotal", "subtotal"), ("Discount", "discount"), ("Tax", "tax"),
                             ("Total", "total"), ("Credits applied", "credits_applied"),
                             ("Amount paid", "amount_paid"), ("Amount due", "amount_due")]:
            assert f"{label}\n{invoice[field]} USD" in totals.replace("\t", "\n"), (label, totals)
        details = admin.get_by_role("region", name="Details").inner_text()
        assert f"{invoice['billing_period_start']} – {invoice['billing_period_end']}" in details
    assert first["credits_applied"] == "5.00"  # applied as the first invoice was issued


def test_a_viewer_cannot_act_on_invoices(server, api, page) -> None:
    customer = customer_with_card(api, "decline")
    invoice = one_time(api, customer, "75.00")
    assert invoice["status"] == "payment_failed"
    sign_in(page, server.user("viewer"))
    page.goto(f"/dashboard/invoices/{invoice['id']}?open=void")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Payment Failed")
    for name in ("Retry Payment", "Apply Credits", "Issue Refund", "Create Credit Note", "Void",
                 "Confirm"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    token = form_token(page.content())
    base = f"/dashboard/invoices/{invoice['id']}"
    for path, fields in [("/retry-payment", {}), ("/apply-credits", {"amount": "1.00"}),
                         ("/credit-notes", {"amount": "1.00", "resolution": "credit"}),
                         ("/void", {})]:
        answer = page.request.post(base + path, form={**fields, "csrf_token": token},
                                   max_redirects=0)
        assert answer.status == 403, path
        assert "Viewers can look at everything but change nothing." in text_of(answer)
    after = ok(api.get(f"/invoices/{invoice['id']}"))
    assert (after["status"], after["amount_due"], after["amount_credited"]) == (
        "payment_failed", "75.00", "0.00")


def test_download_pdf(server, api, admin) -> None:
    """Invoices → an invoice → Download PDF: the document the API serves."""
    import io

    from pypdf import PdfReader

    customer = customer_with_card(api)
    invoice = one_time(api, customer, "75.00")
    admin.goto(f"/dashboard/invoices/{invoice['id']}")
    with admin.expect_download() as download:
        admin.get_by_role("link", name="Download PDF").click()
    pdf = open(download.value.path(), "rb").read()
    assert download.value.suggested_filename == f"{invoice['id']}.pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert f"Invoice {invoice['number']}" in text and customer["name"] in text
    assert "75.00 USD" in text
    assert api.get(f"/invoices/{invoice['id']}/pdf").content == pdf  # the same document


def test_a_viewer_downloads_the_pdf_of_its_environment_only(server, api, page) -> None:
    invoice = one_time(api, customer_with_card(api), "75.00")
    pdf = api.get(f"/invoices/{invoice['id']}/pdf").content
    sign_in(page, server.user("viewer"))
    answer = page.request.get(f"/dashboard/invoices/{invoice['id']}/pdf")
    assert answer.status == 200 and answer.body() == pdf
    page.get_by_role("button", name="Production").click()
    assert page.request.get(f"/dashboard/invoices/{invoice['id']}/pdf").status == 404
