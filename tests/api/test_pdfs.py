"""PDF invoices and credit notes through HTTP (issue 15, "PDF invoices"), read back with pypdf:
the number, dates, seller (Settings → Company) and customer, every line with its period and
quantity, tax, credits, total, paid and due, amounts in the currency's minor units, "Page x of
y"; an issued invoice's PDF rendered once by the job its issue enqueues and served unchanged
after the settings change; a draft marked as one and rendered as it stands; bad input."""

from __future__ import annotations

import base64
import io
import re

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select

from kassa.config import Settings
from kassa.services.billing import documents
from kassa.store.tables import documents as documents_table
from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok

# A 1x1 PNG.
LOGO = "data:image/png;base64," + base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")).decode()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, embedded_worker=False, render_pdfs_on_issue=True)


@pytest.fixture
def customer(api: TestClient) -> TestClient:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T12:00:00Z"}))
    ok(api.patch("/settings/company", json={
        "name": "Kassa Test GmbH", "address": "Hauptstrasse 1\n10115 Berlin",
        "email": "billing@kassa.test", "tax_id": "DE123456789", "logo": LOGO,
        "footer": "Kassa Test GmbH, registered in Berlin"}))
    return api


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_of(api: TestClient, path: str) -> bytes:
    answer = api.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    return answer.content


def stored(kassa) -> int:
    with kassa.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(documents_table)).scalar_one()


def test_an_issued_invoice_pdf_prints_everything_and_never_changes(kassa, customer) -> None:
    ok(customer.patch("/customers/wcqYrqfE", json={"tax_rate": "10"}))
    invoice = ok(customer.post("/invoices", json={
        "customer_id": "wcqYrqfE", "payment_terms": "net_15", "memo": "Kick-off workshop",
        "lines": [{"description": "Onboarding", "amount": "1500.00"},
                  {"description": "Training days", "quantity": "3", "unit_amount": "400.00"}]}),
        201)
    assert stored(kassa) == 0
    ran = ok(customer.post("/clock/advance", json={"to": "2026-07-01T12:00:01Z"}))["ran"]
    assert [r for r in ran if r["type"] == documents.RENDER_JOB] != []
    assert stored(kassa) == 1  # rendered by the job the issue enqueued
    text = text_of(pdf_of(customer, f"/invoices/{invoice['id']}/pdf"))
    for expected in (f"Invoice {invoice['number']}", "Issue date", "2026-07-01", "2026-07-16",
                     "Kassa Test GmbH", "Hauptstrasse 1", "10115 Berlin", "DE123456789",
                     "billing@kassa.test", "Onboarding", "1,500.00 USD", "Training days",
                     "400.00 USD", "1,200.00 USD", "Tax 10%", "270.00 USD", "2,970.00 USD",
                     "Amount due", "Kick-off workshop", "Page 1 of 1",
                     "registered in Berlin"):
        assert expected in text, expected
    customer_name = ok(customer.get("/customers/wcqYrqfE"))["name"]
    assert customer_name in text
    assert "DRAFT" not in text
    before = pdf_of(customer, f"/invoices/{invoice['id']}/pdf")
    # Settings change, and the invoice is paid: the document the customer got stays as it was.
    ok(customer.patch("/settings/company", json={"name": "Renamed AG"}))
    ok(customer.post(f"/invoices/{invoice['id']}/payments", json={"amount": "2970.00"}), 201)
    assert pdf_of(customer, f"/invoices/{invoice['id']}/pdf") == before
    assert stored(kassa) == 1


def test_a_draft_is_marked_and_rendered_as_it_stands(kassa, customer) -> None:
    draft = ok(customer.post("/invoices", json={
        "customer_id": "wcqYrqfE", "auto_issue": False,
        "lines": [{"description": "Setup", "amount": "99.00"}]}), 201)
    text = text_of(pdf_of(customer, f"/invoices/{draft['id']}/pdf"))
    assert "DRAFT" in text and "not numbered yet" in text and "99.00 USD" in text
    ok(customer.patch("/settings/company", json={"name": "Renamed AG", "logo": None}))
    assert "Renamed AG" in text_of(pdf_of(customer, f"/invoices/{draft['id']}/pdf"))
    assert stored(kassa) == 0  # a draft is never stored
    issued = ok(customer.post(f"/invoices/{draft['id']}/issue"))
    text = text_of(pdf_of(customer, f"/invoices/{draft['id']}/pdf"))
    assert f"Invoice {issued['number']}" in text and "DRAFT" not in text


def test_amounts_in_the_currency_minor_units_and_many_pages(customer) -> None:
    ok(customer.post("/customers", json={"id": "cus_jp", "name": "Tokyo KK",
                                         "currency": "JPY"}), 201)
    lines = [{"description": f"Seat block {n}", "quantity": "2", "unit_amount": "1500"}
             for n in range(60)]
    invoice = ok(customer.post("/invoices", json={
        "customer_id": "cus_jp", "currency": "JPY", "lines": lines}), 201)
    text = text_of(pdf_of(customer, f"/invoices/{invoice['id']}/pdf"))
    assert "1,500 JPY" in text and "180,000 JPY" in text
    assert not re.search(r"\d\.\d\d JPY", text)  # no decimals in yen
    pages = re.findall(r"Page (\d+) of (\d+)", text)
    assert len(pages) >= 2 and {total for _, total in pages} == {str(len(pages))}
    assert "Seat block 59" in text


def test_a_credit_note_pdf(kassa, customer) -> None:
    invoice = ok(customer.post("/invoices", json={
        "customer_id": "wcqYrqfE", "lines": [{"description": "Onboarding", "amount": "500.00"}]}),
        201)
    ok(customer.post("/clock/advance", json={"to": "2026-07-01T12:00:01Z"}))  # the invoice's PDF
    assert stored(kassa) == 1
    note = ok(customer.post("/credit-notes", json={
        "invoice_id": invoice["id"], "amount": "120.00", "reason": "product_unsatisfactory",
        "memo": "Partial refund", "resolution": "credit"}), 201)
    ran = ok(customer.post("/clock/advance", json={"to": "2026-07-01T12:00:02Z"}))["ran"]
    assert [r for r in ran if r["type"] == documents.RENDER_JOB] != []
    assert stored(kassa) == 2  # the note's, rendered by the job its application enqueued
    ok(customer.patch("/settings/company", json={"name": "Renamed AG"}))
    text = text_of(pdf_of(customer, f"/credit-notes/{note['id']}/pdf"))
    for expected in (f"Credit note {note['number']}", invoice["number"], "120.00 USD",
                     "product unsatisfactory", "Partial refund", "Kassa Test GmbH"):
        assert expected in text, expected


def test_unknown_ids_and_bad_company_settings(customer) -> None:
    answer = customer.get("/invoices/inv_nope/pdf")
    assert answer.status_code == 404
    assert answer.json()["detail"] == "Invoice 'inv_nope' was not found."
    assert customer.get("/credit-notes/cn_nope/pdf").status_code == 404
    bad = customer.patch("/settings/company", json={"logo": "https://cdn.example.com/logo.png"})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["logo"]
    long = customer.patch("/settings/company", json={"name": "x" * 201})
    assert long.status_code == 422 and long.json()["errors"][0]["field"] == "name"
    assert customer.patch("/settings/company", json={}).status_code == 422
    assert ok(customer.get("/settings/company"))["name"] == "Kassa Test GmbH"


def test_the_other_environment_cannot_read_the_pdf(customer, prod_api) -> None:
    invoice = ok(customer.post("/invoices", json={
        "customer_id": "wcqYrqfE", "lines": [{"description": "Onboarding", "amount": "5.00"}]}),
        201)
    assert prod_api.get(f"/invoices/{invoice['id']}/pdf").status_code == 404


def test_without_pango_a_pdf_is_a_clear_503(customer, monkeypatch) -> None:
    """WeasyPrint installed, the system's Pango missing: its import raises OSError."""
    import builtins

    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    draft = ok(customer.post("/invoices", json={
        "customer_id": "wcqYrqfE", "auto_issue": False,
        "lines": [{"description": "Setup", "amount": "9.00"}]}), 201)
    monkeypatch.setattr(builtins, "__import__", no_pango)
    answer = customer.get(f"/invoices/{draft['id']}/pdf")
    assert answer.status_code == 503
    assert answer.json()["status"] == 503
    assert answer.json()["detail"].startswith("PDFs need the system's Pango library")


def test_a_converted_invoice_pdf_prints_the_rate_locked_at_its_date(customer) -> None:
    ok(customer.post("/customers", json={"id": "cus_eu", "name": "Berlin GmbH",
                                         "currency": "EUR"}), 201)
    ok(customer.post("/plans", json={"id": "pln_usd_only", "name": "Dollar plan", "currency": "USD",
                                     "items": [{"product_id": sc.PLATFORM,
                                                "price": sc.fixed("100.00", "advance")}]}), 201)
    ok(customer.post("/fx-rates", json={"base": "EUR", "quote": "USD", "rate": "1.25",
                                        "valid_from": "2026-06-30"}), 201)
    sub = ok(customer.post("/subscriptions", json={
        "customer_id": "cus_eu", "plan_id": "pln_usd_only", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-07-01"}}), 201)
    [invoice] = ok(customer.get(f"/invoices?subscription_id={sub['id']}"))["data"]
    assert (invoice["currency"], invoice["total"]) == ("EUR", "80.00")  # 100 / 1.25
    assert invoice["fx"] == {"base_currency": "USD", "currency": "EUR", "rate": "0.8",
                             "rate_date": "2026-06-30", "via": None}
    text = text_of(pdf_of(customer, f"/invoices/{invoice['id']}/pdf"))
    assert "1 USD = 0.8 EUR, the rate of 2026-06-30" in text
    assert "80.00 EUR" in text
