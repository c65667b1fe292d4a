"""The emails log on both databases: prepare renders and queues, send mails through a real SMTP
server and records the outcome, a sent email is never sent twice, no SMTP URL fails clearly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from kassa.bootstrap import Kassa
from kassa.channels.wiring import build_channels
from kassa.config import Settings
from kassa.domain.errors import InvalidRequest, NotFound
from kassa.services import emails
from tests.channels.smtp import SmtpServer

CONTEXT = {
    "customer": {"id": "wcqYrqfE", "name": "Ada Lovelace", "email": "ada@example.com"},
    "invoice": {"id": "INV-1", "total": Decimal("100.00"), "currency": "EUR",
                "customer": {"name": "Ada Lovelace", "email": "ada@example.com"}},
    "payment": {"failureReason": "card_declined", "failureCount": 1},
}
SOURCE = {"execution_id": "exec_1", "step": "steps[0].then[0]"}


@pytest.fixture
def mailing(kassa: Kassa, smtp_server: SmtpServer) -> Iterator[SmtpServer]:
    """``kassa`` sending through ``smtp_server``."""
    kassa.channels = build_channels(
        Settings(database_url=kassa.settings.database_url, smtp_url=smtp_server.url(),
                 email_from="Acme Billing <billing@acme.test>"),
        outbound=kassa.outbound)
    yield smtp_server


def _prepare(kassa: Kassa, environment: str = "sandbox", **changes: object) -> str:
    arguments: dict[str, object] = {"template_key": "payment_failed_first", "context": CONTEXT,
                                    "to": "Ada Lovelace <ada@example.com>", "source": SOURCE}
    arguments.update(changes)
    with kassa.ctx(environment).uow() as uow:
        row = emails.compose(uow, **arguments)  # type: ignore[arg-type]
        emails.insert_many(uow, [row])
        uow.commit()
    return str(row["id"])


def test_an_email_is_queued_sent_and_logged(
    kassa: Kassa, mailing: SmtpServer, api: TestClient
) -> None:
    email_id = _prepare(kassa, cc=["books@example.com"])
    queued = api.get(f"/emails/{email_id}").json()
    assert (queued["status"], queued["attempts"], queued["sent_at"]) == ("queued", 0, None)
    assert queued["subject"] == "Your payment for invoice INV-1 did not go through"

    outcome = emails.send(kassa.ctx("sandbox"), email_id)
    assert (outcome.status, outcome.error) == ("sent", None)
    [received] = mailing.messages
    assert received.rcpt_tos == ["ada@example.com", "books@example.com"]
    message = received.message
    assert message["From"] == "Acme Billing <billing@acme.test>"
    assert message["Subject"] == "Your payment for invoice INV-1 did not go through"
    assert message["Message-ID"] == f"<{email_id}@acme.test>"
    assert "100.00 EUR for invoice INV-1 (card_declined)" in message.get_body(
        ("plain",)).get_content()
    assert "Hi Ada Lovelace," in message.get_body(("html",)).get_content()

    shown = api.get(f"/emails/{email_id}").json()
    assert shown["status"] == "sent" and shown["attempts"] == 1 and shown["error"] is None
    assert shown["to"] == ["Ada Lovelace <ada@example.com>"] and shown["cc"] == [
        "books@example.com"]
    assert shown["source"] == SOURCE and shown["template"] == "payment_failed_first"
    assert shown["message_id"] == f"<{email_id}@acme.test>" and shown["sent_at"]
    assert "INV-1" in shown["html"] and "INV-1" in shown["text"]
    listed = api.get("/emails").json()
    assert [e["id"] for e in listed["data"]] == [email_id]
    assert "html" not in listed["data"][0]


def test_a_sent_email_is_never_sent_again(kassa: Kassa, mailing: SmtpServer) -> None:
    email_id = _prepare(kassa)
    assert emails.send(kassa.ctx("sandbox"), email_id).status == "sent"
    assert emails.send(kassa.ctx("sandbox"), email_id).status == "sent"
    assert len(mailing.messages) == 1
    assert emails.get_email(kassa.ctx("sandbox"), email_id)["attempts"] == 1


def test_without_smtp_the_send_fails_clearly_and_a_retry_can_succeed(
    kassa: Kassa, smtp_server: SmtpServer, api: TestClient
) -> None:
    email_id = _prepare(kassa)
    outcome = emails.send(kassa.ctx("sandbox"), email_id)
    assert outcome == emails.EmailOutcome("failed", "SMTP is not configured (set KASSA_SMTP_URL)")
    failed = api.get(f"/emails/{email_id}").json()
    assert (failed["status"], failed["error"], failed["attempts"]) == (
        "failed", "SMTP is not configured (set KASSA_SMTP_URL)", 1)
    assert api.get("/emails?status=failed").json()["pagination"]["total"] == 1
    assert api.get("/emails?status=sent").json()["data"] == []

    kassa.channels = build_channels(
        Settings(database_url=kassa.settings.database_url, smtp_url=smtp_server.url()),
        outbound=kassa.outbound)
    assert emails.send(kassa.ctx("sandbox"), email_id).status == "sent"
    sent = api.get(f"/emails/{email_id}").json()
    assert (sent["status"], sent["error"], sent["attempts"]) == ("sent", None, 2)
    assert len(smtp_server.messages) == 1


def test_sent_at_is_the_environments_clock(
    kassa: Kassa, mailing: SmtpServer, api: TestClient
) -> None:
    at = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)
    assert api.post("/clock/advance", json={"to": at.isoformat()}).status_code == 200
    email_id = _prepare(kassa)
    emails.send(kassa.ctx("sandbox"), email_id)
    assert api.get(f"/emails/{email_id}").json()["sent_at"] == "2031-05-01T12:00:00Z"
    assert mailing.messages[0].message["Date"].datetime == at


def test_an_override_is_what_gets_rendered(kassa: Kassa, api: TestClient) -> None:
    api.put("/email-templates/payment_failed_first",
            json={"subject": "Acme: {{ invoice.id }} failed", "body": "<p>Custom</p>"})
    sandbox = _prepare(kassa)
    production = _prepare(kassa, "production")
    assert emails.get_email(kassa.ctx("sandbox"), sandbox)["subject"] == "Acme: INV-1 failed"
    assert emails.get_email(kassa.ctx("production"), production)["subject"] == (
        "Your payment for invoice INV-1 did not go through")
    assert api.get("/emails?template=payment_failed_first").json()["pagination"]["total"] == 1


@pytest.mark.parametrize(("changes", "field"), [
    ({"template_key": "no_such_template"}, "template"),
    ({"to": ""}, "to"),
    ({"to": "{{trigger.customer.email}} rendered empty"}, "to"),
    ({"to": ["ada@example.com", "not an address"]}, "to"),
    ({"cc": "@example.com"}, "cc"),
])
def test_prepare_refuses_bad_input_naming_the_field(
    kassa: Kassa, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidRequest) as raised:
        _prepare(kassa, **changes)
    assert raised.value.field == field
    assert emails.list_emails(kassa.ctx("sandbox"), emails.ListQuery()).total == 0


def test_the_emails_api_refuses_unknown_ids_and_filters(api: TestClient, kassa: Kassa) -> None:
    r = api.get("/emails/em_nope")
    assert r.status_code == 404 and r.json() == {"status": 404,
                                                 "detail": "Email 'em_nope' was not found."}
    r = api.get("/emails?colour=red")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "colour"
    with pytest.raises(NotFound):
        emails.send(kassa.ctx("sandbox"), "em_nope")
