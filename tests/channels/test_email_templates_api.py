"""The email templates API on both databases: built-ins, overrides that POST or PUT never
refuse, DELETE restoring the built-in, custom templates, and bad input in the documented shape."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kassa.bootstrap import Kassa
from kassa.domain.errors import InvalidRequest
from kassa.services import email_templates
from kassa.services.email_builtins import BUILTINS
from kassa.services.email_rendering import html_to_text, render_parts

DESIGN_KEYS = {
    "payment_failed_first", "payment_failed_gentle", "payment_failed_second",
    "payment_failed_urgent", "payment_failed_final", "welcome", "welcome_getting_started",
    "welcome_check_in", "renewal_reminder_30", "renewal_reminder_7", "renewal_receipt",
    "usage_alert", "win_back",
    # The customer emails Kassa sends by itself (kassa.services.customer_emails).
    "invoice_issued", "payment_receipt", "payment_failed", "cancellation_scheduled",
    "renewal_notice",
}


def _errors(r) -> list[str]:
    body = r.json()
    assert set(body) == {"status", "detail", "errors"} and body["status"] == r.status_code
    return [e["field"] for e in body["errors"]]


def test_the_built_ins_are_listed_flagged_and_readable(api: TestClient) -> None:
    listed = api.get("/email-templates?limit=100").json()
    assert {t["key"] for t in listed["data"]} == DESIGN_KEYS == set(BUILTINS)
    assert listed["pagination"] == {"per_page": 100, "total_pages": 1, "total": len(DESIGN_KEYS)}
    assert all(t["source"] == "builtin" and t["builtin"] and not t["overridden"]
               for t in listed["data"])
    first = api.get("/email-templates/payment_failed_first").json()
    assert first["subject"] == (
        "Your payment for invoice {{ invoice.number or invoice.id }} did not go through")
    assert (first["created_at"], first["text"]) == (None, None)
    page = api.get("/email-templates?limit=5&offset=5&sort=key:desc").json()
    assert [t["key"] for t in page["data"]] == sorted(DESIGN_KEYS, reverse=True)[5:10]


def test_an_override_is_saved_by_post_or_put_and_delete_restores_the_built_in(
    api: TestClient,
) -> None:
    body = {"key": "welcome", "subject": "Hello {{ customer.name }}",
            "body": "<p>Welcome to Acme, {{ customer.name }}!</p>"}
    created = api.post("/email-templates", json=body)
    assert created.status_code == 201, created.text
    assert (created.json()["source"], created.json()["overridden"]) == ("override", True)
    again = api.post("/email-templates", json={**body, "subject": "Hi {{ customer.name }}"})
    assert again.status_code == 200 and again.json()["subject"] == "Hi {{ customer.name }}"
    put = api.put("/email-templates/welcome",
                  json={"subject": "Hey", "body": "<p>Hey</p>", "text": "Hey there"})
    assert put.status_code == 200 and put.json()["text"] == "Hey there"
    assert api.get("/email-templates/welcome").json()["subject"] == "Hey"
    assert api.get("/email-templates?source=override").json()["pagination"]["total"] == 1

    deleted = api.delete("/email-templates/welcome")
    assert deleted.status_code == 200
    assert deleted.json()["deleted"] is True
    assert deleted.json()["current"]["subject"] == BUILTINS["welcome"].subject
    assert api.get("/email-templates/welcome").json()["source"] == "builtin"
    refused = api.delete("/email-templates/welcome")
    assert refused.status_code == 409 and _errors(refused) == ["key"]


def test_custom_templates_and_the_environments_are_separate(
    api: TestClient, prod_api: TestClient
) -> None:
    put = api.put("/email-templates/quarterly_review",
                  json={"subject": "Your quarter", "body": "<p>{{ customer.name }}</p>"})
    assert put.status_code == 201 and put.json()["source"] == "custom"
    assert put.json()["name"] == "quarterly_review" and put.json()["builtin"] is False
    assert api.put("/email-templates/quarterly_review",
                   json={"subject": "Q", "body": "<p>x</p>"}).status_code == 200
    assert prod_api.get("/email-templates/quarterly_review").status_code == 404
    assert api.get("/email-templates?source=custom").json()["pagination"]["total"] == 1
    deleted = api.delete("/email-templates/quarterly_review")
    assert deleted.status_code == 200 and deleted.json()["current"] is None
    assert api.get("/email-templates/quarterly_review").status_code == 404
    assert api.delete("/email-templates/quarterly_review").status_code == 404


def test_bad_templates_and_inputs_name_their_field(api: TestClient) -> None:
    r = api.post("/email-templates", json={"key": "x", "subject": "Hi", "body": "<p>{{ a </p>"})
    assert r.status_code == 422 and _errors(r) == ["body"]
    assert "body is not a valid template" in r.json()["detail"]
    r = api.put("/email-templates/x", json={"subject": "{% if %}", "body": "<p>ok</p>"})
    assert r.status_code == 422 and _errors(r) == ["subject"]
    r = api.put("/email-templates/x", json={"subject": "ok", "body": "ok", "text": "{{ }}"})
    assert r.status_code == 422 and _errors(r) == ["text"]
    r = api.post("/email-templates", json={"key": "x", "body": "<p>ok</p>"})
    assert r.status_code == 422 and _errors(r) == ["subject"]
    r = api.post("/email-templates", json={"key": "Bad Key", "subject": "s", "body": "b"})
    assert r.status_code == 422 and _errors(r) == ["key"]
    r = api.put("/email-templates/Bad%20Key", json={"subject": "s", "body": "b"})
    assert r.status_code == 422 and _errors(r) == ["key"]
    r = api.post("/email-templates", json={"key": "x", "subject": "s", "body": "b", "html": 1})
    assert r.status_code == 422 and _errors(r) == ["html"]
    assert api.get("/email-templates/nope").status_code == 404
    r = api.get("/email-templates?colour=red")
    assert r.status_code == 422 and _errors(r) == ["colour"]
    r = api.get("/email-templates?source=elsewhere")
    assert r.status_code == 422 and _errors(r) == ["source"]
    r = api.get("/email-templates?sort=subject:asc")
    assert r.status_code == 422 and _errors(r) == ["sort"]
    assert api.get("/email-templates").json()["pagination"]["total"] == len(BUILTINS)


def test_rendering_escapes_html_only_and_reads_the_override(kassa: Kassa, api: TestClient) -> None:
    api.put("/email-templates/notice", json={
        "subject": "For {{ customer.name }}\nnext line",
        "body": '<p>Dear {{ customer.name }},</p><p><a href="{{ invoice.paymentUrl }}">Pay '
                "{{ invoice.total }} {{ invoice.currency }}</a> {{ missing.value }}</p>",
    })
    context = {"customer": {"name": "<Ada & Co>"},
               "invoice": {"total": "100.00", "currency": "EUR", "paymentUrl": "https://p.io/1"}}
    with kassa.engine.connect() as conn:
        rendered = email_templates.render(conn, "sandbox", "notice", context)
        assert email_templates.find(conn, "production", "notice") is None
    assert rendered.subject == "For <Ada & Co> next line"
    assert "Dear &lt;Ada &amp; Co&gt;," in rendered.html
    assert rendered.text == "Dear <Ada & Co>,\n\nPay 100.00 EUR (https://p.io/1)\n"


def test_every_built_in_renders_with_the_documents_variables(kassa: Kassa) -> None:
    context = {
        "customer": {"id": "wcqYrqfE", "name": "Ada", "email": "ada@example.com"},
        "invoice": {"id": "INV-7", "total": "100.00", "currency": "USD", "status": "unpaid",
                    "dueDate": "2026-03-01", "paymentUrl": "",
                    "customer": {"name": "Ada", "email": "ada@example.com"}},
        "payment": {"amount": "100.00", "failureReason": "card_declined", "failureCount": 2},
    }
    with kassa.engine.connect() as conn:
        for key in BUILTINS:
            rendered = email_templates.render(conn, "sandbox", key, context)
            assert rendered.subject and "{{" not in rendered.html and rendered.text.strip()
            assert "Hi Ada," in rendered.text, key
        first = email_templates.render(conn, "sandbox", "payment_failed_first", context)
        second = email_templates.render(conn, "sandbox", "payment_failed_second",
                                        {**context, "invoice": {**context["invoice"],
                                                                "paymentUrl": "https://pay/7"}})
        bare = email_templates.render(conn, "sandbox", "welcome", {})
    assert first.subject == "Your payment for invoice INV-7 did not go through"
    assert "100.00 USD for invoice INV-7 (card_declined)" in first.text
    assert "https://pay/7" in second.html and "https://pay/7" in second.text
    assert bare.subject == "Welcome" and bare.text.startswith("Hi there,")


def test_none_renders_as_nothing() -> None:
    rendered = render_parts("Hi {{ customer.name }}", "<p>{{ customer.segment }}</p>", None,
                            {"customer": {"name": None, "segment": None}})
    assert (rendered.subject, rendered.html, rendered.text) == ("Hi", "<p></p>", "\n")


def test_html_to_text_keeps_blocks_lists_and_links() -> None:
    html = ("<html><head><style>p {}</style></head><body><h1>Title</h1><p>One&nbsp;two</p>"
            "<ul><li>a</li><li>b</li></ul><p><a href='https://x.io'>https://x.io</a></p>"
            "<script>no()</script></body></html>")
    assert html_to_text(html) == "Title\n\nOne two\n\n- a\n- b\n\nhttps://x.io\n"
    assert html_to_text('<p>Hi <a href="https://a.io">pay</a>.</p>one<br>two') == (
        "Hi pay (https://a.io).\none\ntwo\n")


def test_the_sandbox_refuses_unsafe_access_and_keys_win_over_methods(kassa: Kassa) -> None:
    with pytest.raises(InvalidRequest) as raised:
        render_parts("s", "{{ customer.__class__.__mro__ }}{{ ''.__class__.__subclasses__() }}",
                     None, {"customer": {}})
    assert raised.value.field == "template"
    with pytest.raises(InvalidRequest):
        render_parts("s", "{{ customer.update({'name': 'x'}) }}", None, {"customer": {}})
    rendered = render_parts("{{ usage.values }}", "<p>{{ usage.items }}</p>", None,
                            {"usage": {"values": "3 of 5", "items": "two"}})
    assert (rendered.subject, rendered.html) == ("3 of 5", "<p>two</p>")
    with kassa.engine.begin() as conn:
        assert email_templates.known_keys(conn, "sandbox", ["welcome", "nope"]) == {"welcome"}
