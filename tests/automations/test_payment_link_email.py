"""A dunning email's pay link (the built-in payment_failed templates read ``invoice.paymentUrl``):
a link to the customer's billing portal, made with the email while the invoice is open, that
opens once on the customer's invoices with Pay now; a template that does not show it makes none."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kassa.bootstrap import asgi_app
from kassa.store.tables import portal_sessions
from tests.automations.helpers import EMAIL, activate, advance, failing_invoice
from tests.scenarios.seed_catalog import ok


def _automation(template: str) -> dict:
    return {"name": f"Failed payment: {template}",
            "trigger": {"type": "event", "event": "payment.failed"},
            "steps": [{"type": "action", "action": "send_email", "template": template,
                       "to": "{{trigger.customer.email}}"}]}


def _links(kassa) -> int:
    with kassa.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(portal_sessions)).scalar_one()


def test_the_first_notice_carries_a_portal_link_that_opens(api, kassa, smtp_server) -> None:
    activate(api, ok(api.post("/automations", json=_automation("payment_failed_first")), 201)["id"])
    invoice = failing_invoice(api)
    advance(api, "2026-12-01T01:00:00Z")
    [received] = smtp_server.messages
    html = received.message.get_body(("html",)).get_content()
    [url] = re.findall(r'href="([^"]+/portal/open/[^"]+)"', html)
    assert f"Pay invoice {invoice['number']}" in html
    path = urlsplit(url).path
    browser = TestClient(asgi_app(kassa), follow_redirects=True)
    page = browser.get(path)
    assert page.status_code == 200 and page.url.path == "/portal/invoices"
    assert invoice["number"] in page.text and "Pay now" in page.text
    assert 'href="/portal/billing"' in page.text and 'href="/portal/plan"' not in page.text
    assert browser.get(path).status_code == 410


def test_a_template_without_the_link_makes_none(api, kassa, smtp_server) -> None:
    ok(api.put("/email-templates/plain_notice", json={
        "subject": "Payment failed", "body": "<p>Your payment failed.</p>"}), 201)
    activate(api, ok(api.post("/automations", json=_automation("plain_notice")), 201)["id"])
    failing_invoice(api)
    advance(api, "2026-12-01T01:00:00Z")
    [received] = smtp_server.messages
    assert received.message["To"] == EMAIL
    assert _links(kassa) == 0
