"""The emails customers expect (kassa.services.customer_emails): invoice issued with its PDF,
payment receipt, payment failed with a portal link, cancellation scheduled with its effective
date, the renewal notice before an auto-renewing term renews. Each turned on in Settings →
Invoicing, sent over real SMTP (the ``smtp_server`` fixture) after the consumer's commit,
recorded in GET /emails, once per event however often the event is delivered. The clock moves
through the sandbox clock API; nothing sleeps."""

from __future__ import annotations

import io
import re
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select

from kassa.bootstrap import asgi_app
from kassa.config import Settings
from kassa.queue import outbox
from kassa.services import customer_emails
from kassa.store.tables import emails as emails_table
from kassa.store.tables import jobs, outbox_events

from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import card, invoices
from tests.scenarios.seed_catalog import ok

CUSTOMER = "wcqYrqfE"
EMAIL = "billing@acme.test"
START = "2026-12-01"
ALL_ON = {"send_invoice_emails": True, "customer_emails": {
    "payment_receipt": True, "payment_failed": True, "cancellation_scheduled": True,
    "renewal_notice": True}}


@pytest.fixture
def settings(database_url: str, smtp_server) -> Settings:
    return Settings(database_url=database_url, embedded_worker=False,
                    smtp_url=f"smtp://{smtp_server.host}:{smtp_server.port}",
                    email_from="Acme Billing <billing@kassa.test>",
                    public_url="https://billing.acme.test")


def advance(api, to: str) -> list[dict]:
    return ok(api.post("/clock/advance", json={"to": to}))["ran"]


def setup(api, settings_body: dict | None = ALL_ON, *, behavior: str = "succeed",
          email: str | None = EMAIL) -> None:
    """The seed catalog, Acme with ``email`` and a card that does ``behavior``, the clock at
    the start (the consumers started: they take the events from then on) and the settings."""
    sc.build(api)
    ok(api.patch(f"/customers/{CUSTOMER}", json={"email": email}))
    card(api, CUSTOMER, behavior)
    ok(api.post("/clock/freeze", json={"at": f"{START}T00:00:00Z"}))
    advance(api, f"{START}T00:00:01Z")
    if settings_body is not None:
        ok(api.patch("/settings/invoicing", json=settings_body))


def subscribe(api, *, auto_pay: bool = False, contract: dict | None = None) -> dict:
    return ok(api.post("/subscriptions", json={
        "customer_id": CUSTOMER, "currency": "USD", "auto_activate": True,
        "contract": contract or {"period_type": "monthly_rolling", "start_date": START},
        "billing": {"payment_terms": "net_30", "auto_pay_invoices": auto_pay},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}]}), 201)


def logged(api) -> list[dict]:
    return ok(api.get("/emails", params={"limit": 100}))["data"]


def text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def subjects(smtp_server) -> list[str]:
    return [str(m.message["Subject"]).strip() for m in smtp_server.messages]


def _count(kassa, table, *where) -> int:
    with kassa.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_an_issued_invoice_is_emailed_with_its_pdf(api, smtp_server) -> None:
    setup(api, {"send_invoice_emails": True})
    subscribe(api)
    [invoice] = invoices(api)
    assert invoice["status"] == "issued" and smtp_server.messages == []  # not in the request
    advance(api, f"{START}T00:00:02Z")
    [received] = smtp_server.messages
    message = received.message
    assert received.rcpt_tos == [EMAIL] and message["To"] == EMAIL
    assert str(message["Subject"]) == f"Invoice {invoice['number']} for 100.00 USD"
    assert f"Your invoice {invoice['number']} for 100.00 USD, due " in text(message)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{invoice['number']}.pdf"
    pdf = attachment.get_payload(decode=True)
    assert pdf == api.get(f"/invoices/{invoice['id']}/pdf").content
    pdf_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert f"Invoice {invoice['number']}" in pdf_text and "100.00 USD" in pdf_text
    [email] = logged(api)
    assert (email["status"], email["template"], email["to"], email["attempts"]) == (
        "sent", "invoice_issued", [EMAIL], 1)
    assert email["source"]["event_type"] == "invoice.issued"


def test_a_successful_payment_sends_a_receipt(api, smtp_server) -> None:
    setup(api, {"customer_emails": {"payment_receipt": True}})
    subscribe(api, auto_pay=True)
    [invoice] = invoices(api)
    assert invoice["status"] == "paid"
    advance(api, f"{START}T00:00:02Z")
    [received] = smtp_server.messages
    assert received.rcpt_tos == [EMAIL]
    assert str(received.message["Subject"]) == (
        f"Receipt: 100.00 USD paid for invoice {invoice['number']}")
    assert (f"We received your payment of 100.00 USD for invoice {invoice['number']}."
            in text(received.message))
    assert list(received.message.iter_attachments()) == []
    assert [(e["template"], e["status"]) for e in logged(api)] == [("payment_receipt", "sent")]


def test_a_declined_payment_sends_a_portal_link_that_opens(api, kassa, smtp_server) -> None:
    setup(api, {"customer_emails": {"payment_failed": True}}, behavior="decline")
    subscribe(api, auto_pay=True)
    [invoice] = invoices(api)
    assert invoice["status"] == "payment_failed"
    advance(api, f"{START}T00:00:02Z")
    [received] = smtp_server.messages
    assert received.rcpt_tos == [EMAIL]
    assert str(received.message["Subject"]) == (
        f"Your payment for invoice {invoice['number']} did not go through")
    body = text(received.message)
    assert f"We could not collect 100.00 USD for invoice {invoice['number']}" in body
    [link] = re.findall(r"https://billing\.acme\.test/portal/open/[A-Za-z0-9_-]+", body)
    html = received.message.get_body(("html",)).get_content()
    assert f'href="{link}"' in html
    with TestClient(asgi_app(kassa), raise_server_exceptions=False) as web:  # with /portal
        opened = web.get(urlsplit(link).path, follow_redirects=False)
        assert opened.status_code == 303 and opened.headers["location"].startswith("/portal/")
        assert web.get(urlsplit(link).path, follow_redirects=False).status_code == 410  # once
    assert [(e["template"], e["status"]) for e in logged(api)] == [("payment_failed", "sent")]


def test_a_scheduled_cancellation_says_when_it_takes_effect(api, smtp_server) -> None:
    setup(api, {"customer_emails": {"cancellation_scheduled": True}})
    sub = subscribe(api, contract={"period_type": "fixed", "duration_months": 12,
                                   "start_date": START})
    advance(api, f"{START}T00:00:02Z")
    assert smtp_server.messages == []  # no invoice email asked for
    canceled = ok(api.post(f"/subscriptions/{sub['id']}/cancel",
                           json={"timing": "end_of_term"}))
    assert canceled["cancellation"]["effective_at"] == "2027-12-01T00:00:00Z"
    advance(api, f"{START}T00:00:03Z")
    [received] = smtp_server.messages
    assert received.rcpt_tos == [EMAIL]
    assert str(received.message["Subject"]) == "Your subscription ends on 2027-12-01"
    assert "your subscription is canceled effective 2027-12-01" in text(received.message)
    assert [(e["template"], e["status"]) for e in logged(api)] == [
        ("cancellation_scheduled", "sent")]


def test_the_renewal_notice_comes_once_renewal_notice_days_ahead(api, smtp_server) -> None:
    setup(api, {"customer_emails": {"renewal_notice": True}})
    ok(api.patch("/settings/subscriptions", json={"renewal_notice_days": 14}))
    subscribe(api, contract={"period_type": "fixed", "duration_months": 12,
                             "start_date": START})
    advance(api, "2027-11-16T23:59:59Z")  # 14 days and a second before the renewal
    assert smtp_server.messages == []
    advance(api, "2027-11-17T00:00:00Z")
    [received] = smtp_server.messages
    assert received.rcpt_tos == [EMAIL]
    assert str(received.message["Subject"]) == "Your subscription renews on 2027-12-01"
    assert ("Your subscription renews on 2027-12-01 for a new term until 2028-12-01, at "
            "100.00 USD a month." in text(received.message))
    advance(api, "2027-11-30T00:00:00Z")
    assert len(smtp_server.messages) == 1
    assert [(e["template"], e["status"]) for e in logged(api)] == [("renewal_notice", "sent")]


def test_no_renewal_notice_for_a_term_that_does_not_renew(api, smtp_server) -> None:
    setup(api, {"customer_emails": {"renewal_notice": True}})
    ok(api.patch("/settings/subscriptions", json={"renewal_notice_days": 14}))
    sub = subscribe(api, contract={"period_type": "fixed", "duration_months": 12,
                                   "start_date": START})
    ok(api.post(f"/subscriptions/{sub['id']}/cancel", json={"timing": "end_of_term"}))
    advance(api, "2027-11-20T00:00:00Z")  # ending_soon fired: it ends, it does not renew
    assert smtp_server.messages == [] and logged(api) == []


def _everything(api) -> None:
    """Each event a customer email answers: invoice issued, payment failed, payment
    succeeded, cancellation scheduled, ending soon."""
    sub = subscribe(api, auto_pay=True, contract={"period_type": "fixed", "duration_months": 12,
                                                  "start_date": START})
    good = card(api, CUSTOMER, "succeed")
    ok(api.post(f"/invoices/{invoices(api)[0]['id']}/retry-payment",
                json={"payment_method_id": good["id"]}))
    ok(api.post(f"/subscriptions/{sub['id']}/cancel", json={"timing": "end_of_term"}))
    advance(api, f"{START}T00:01:00Z")


def test_with_the_settings_off_nothing_is_sent(api, kassa, smtp_server) -> None:
    setup(api, None, behavior="decline")
    _everything(api)
    [invoice] = invoices(api)
    assert invoice["status"] == "paid"
    assert smtp_server.messages == [] and logged(api) == []
    assert _count(kassa, jobs, jobs.c.type == customer_emails.SEND_JOB) == 0


def test_every_email_is_logged_sent_and_each_event_yields_one(api, kassa, smtp_server) -> None:
    setup(api, ALL_ON, behavior="decline")
    _everything(api)
    [invoice] = invoices(api)
    assert sorted(subjects(smtp_server)) == sorted([
        f"Invoice {invoice['number']} for 100.00 USD",
        f"Your payment for invoice {invoice['number']} did not go through",
        f"Receipt: 100.00 USD paid for invoice {invoice['number']}",
        "Your subscription ends on 2027-12-01",
    ])
    log = logged(api)
    assert sorted(e["template"] for e in log) == [
        "cancellation_scheduled", "invoice_issued", "payment_failed", "payment_receipt"]
    assert {e["status"] for e in log} == {"sent"} and {e["attempts"] for e in log} == {1}
    assert all(e["to"] == [EMAIL] for e in log)
    # The consumer reads every event again (a replay), then runs on the same events once more
    # by hand: nothing new is composed, queued or sent.
    assert outbox.replay(kassa.engine, customer_emails.CONSUMER, None) > 0
    ran = advance(api, f"{START}T00:02:00Z")
    assert [i for i in ran if i["type"] == "customer_email.queued"] == []
    with kassa.engine.connect() as conn:
        events = conn.execute(select(outbox_events).order_by(outbox_events.c.seq)).mappings().all()
    with kassa.ctx("sandbox").uow() as uow:
        assert customer_emails.consume(uow, events) == []
        uow.commit()
    advance(api, f"{START}T00:03:00Z")
    assert len(smtp_server.messages) == 4 and len(logged(api)) == 4
    assert _count(kassa, emails_table) == 4


def test_an_overridden_template_changes_the_email(api, smtp_server) -> None:
    setup(api, {"send_invoice_emails": True})
    ok(api.put("/email-templates/invoice_issued", json={
        "subject": "Acme invoice {{ invoice.number }}: {{ invoice.total }} {{ invoice.currency }}",
        "body": "<p>Dear {{ customer.name }}, here is invoice {{ invoice.number }}.</p>"}), 201)
    subscribe(api)
    [invoice] = invoices(api)
    advance(api, f"{START}T00:00:02Z")
    [received] = smtp_server.messages
    assert str(received.message["Subject"]) == f"Acme invoice {invoice['number']}: 100.00 USD"
    assert f"here is invoice {invoice['number']}." in text(received.message)
    assert len(list(received.message.iter_attachments())) == 1  # still with its PDF
    [email] = logged(api)
    assert email["subject"] == f"Acme invoice {invoice['number']}: 100.00 USD"


def test_a_customer_without_an_address_gets_a_failed_entry(api, smtp_server) -> None:
    setup(api, {"send_invoice_emails": True}, email=None)
    subscribe(api)
    advance(api, f"{START}T00:00:02Z")
    assert smtp_server.messages == []
    [email] = logged(api)
    assert (email["status"], email["template"], email["to"], email["error"]) == (
        "failed", "invoice_issued", [], customer_emails.NO_ADDRESS)


def test_a_mail_server_that_refuses_is_tried_again_later(api, smtp_server) -> None:
    setup(api, {"send_invoice_emails": True})
    accept = smtp_server.handle_DATA
    refused = []

    async def refuse_once(server, session, envelope) -> str:
        if not refused:
            refused.append(envelope.rcpt_tos)
            return "451 4.3.0 Try again later"
        return await accept(server, session, envelope)

    smtp_server.handle_DATA = refuse_once
    subscribe(api)
    ran = advance(api, f"{START}T00:00:02Z")
    [failed] = [i for i in ran if i["type"] == customer_emails.SEND_JOB]
    assert failed["retry_at"] == f"{START}T00:01:01Z"  # a minute after the first attempt
    [email] = logged(api)
    assert (email["status"], email["attempts"]) == ("failed", 1) and "451" in email["error"]
    assert refused == [[EMAIL]] and smtp_server.messages == []
    advance(api, f"{START}T00:01:00Z")
    assert smtp_server.messages == []
    advance(api, f"{START}T00:01:01Z")
    [received] = smtp_server.messages
    assert len(list(received.message.iter_attachments())) == 1
    [email] = logged(api)
    assert (email["status"], email["attempts"], email["error"]) == ("sent", 2, None)


def test_the_billing_email_receives_them_when_it_is_set(api, smtp_server) -> None:
    setup(api, {"send_invoice_emails": True})
    ok(api.patch(f"/customers/{CUSTOMER}", json={"billing_email": "ap@billing.example"}))
    subscribe(api)
    advance(api, f"{START}T00:00:02Z")
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["ap@billing.example"]
    assert received.message["To"] == "ap@billing.example"
    assert logged(api)[0]["to"] == ["ap@billing.example"]
