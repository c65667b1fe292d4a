"""send_email with ``attach_invoice: true`` (the automations issue: "the invoice PDF once PDFs
exist"): the message received over SMTP carries the PDF of the invoice the trigger names, the
same document ``GET /invoices/{id}/pdf`` serves; a trigger that names no invoice fails the step
with a clear error."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.automations.helpers import EMAIL, activate, advance, execution, executions, failing_invoice
from tests.scenarios.seed_catalog import ok

WITH_PDF = {
    "name": "Failed payment notice with the invoice",
    "trigger": {"type": "event", "event": "payment.failed"},
    "steps": [{"type": "action", "action": "send_email", "template": "payment_failed_first",
               "to": "{{trigger.customer.email}}", "attach_invoice": True}],
}


def test_the_invoice_pdf_is_attached(api, smtp_server) -> None:
    automation = activate(api, ok(api.post("/automations", json=WITH_PDF), 201)["id"])
    invoice = failing_invoice(api)
    advance(api, "2026-12-01T01:00:00Z")
    [received] = smtp_server.messages
    message = received.message
    assert message["To"] == EMAIL
    [attachment] = [p for p in message.iter_attachments()]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{invoice['id']}.pdf"
    pdf = attachment.get_payload(decode=True)
    assert pdf == api.get(f"/invoices/{invoice['id']}/pdf").content
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert f"Invoice {invoice['number']}" in text and "100.00 USD" in text
    [run] = executions(api, automation["id"])
    [step] = execution(api, automation["id"], run["id"])["steps"]
    assert step["output"]["attachInvoice"] == invoice["id"] and step["status"] == "succeeded"


def test_a_trigger_without_an_invoice_fails_the_step(api, smtp_server) -> None:
    manual = {**WITH_PDF, "trigger": {"type": "manual"}}
    automation = activate(api, ok(api.post("/automations", json=manual), 201)["id"])
    failing_invoice(api)
    ok(api.post(f"/automations/{automation['id']}/run", json={"trigger": {
        "customer": {"id": "wcqYrqfE", "email": EMAIL}}}), 202)
    advance(api, "2026-12-01T01:00:00Z")
    [run] = executions(api, automation["id"])
    [step] = execution(api, automation["id"], run["id"])["steps"]
    assert (run["status"], step["status"]) == ("failed", "failed")
    assert step["error"] == ("No invoice to act on: the trigger names none and the step gives no "
                             "invoice_id.")
    assert smtp_server.messages == []
