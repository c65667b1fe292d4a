"""GET/PATCH /settings/invoicing, /settings/subscriptions and /settings/customer-portal: the
defaults, partial updates, bad input answered 422 naming the field, and each environment its own."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok

INVOICING = {"payment_terms": "due_on_receipt", "auto_issue": True, "auto_pay": False,
             "payment_retry_hours": [], "send_invoice_emails": False,
             "customer_emails": {"payment_receipt": False, "payment_failed": False,
                                 "cancellation_scheduled": False, "renewal_notice": False},
             "updated_at": None}
SUBSCRIPTIONS = {"auto_renew": True, "renewal_notice_days": None,
                 "renewal_notice_days_in_effect": 30, "failed_payment_automation_id": None,
                 "failed_payment_handling": "retry_schedule", "updated_at": None}
PORTAL = {
    "plan_overview_settings": {"show_section": True, "allow_subscription_cancel": False,
                               "allow_plan_change": False},
    "invoice_list_settings": {"show_section": True},
    "billing_details_settings": {"show_section": True},
    "usage_settings": {"show_section": False},
    "retention_offer_text": None,
    "available_plan_ids": [],
    "updated_at": None,
}


def test_defaults_are_what_kassa_does_without_settings(api: TestClient) -> None:
    assert ok(api.get("/settings/invoicing")) == INVOICING
    assert ok(api.get("/settings/subscriptions")) == SUBSCRIPTIONS
    assert ok(api.get("/settings/customer-portal")) == PORTAL


def test_patch_changes_the_given_fields_only(api: TestClient) -> None:
    ok(api.post("/clock/freeze", json={"at": "2026-05-01T10:00:00Z"}))
    first = ok(api.patch("/settings/invoicing", json={"payment_terms": "net_30"}))
    assert first == {**INVOICING, "payment_terms": "net_30", "updated_at": "2026-05-01T10:00:00Z"}
    second = ok(api.patch("/settings/invoicing", json={"auto_pay": True,
                                                       "payment_retry_hours": [24, 48]}))
    assert second == {**first, "auto_pay": True, "payment_retry_hours": [24, 48]}
    assert ok(api.get("/settings/invoicing")) == second


def test_customer_emails_merge_field_by_field(api: TestClient) -> None:
    ok(api.patch("/settings/invoicing", json={"send_invoice_emails": True,
                                              "customer_emails": {"payment_failed": True}}))
    view = ok(api.patch("/settings/invoicing", json={
        "customer_emails": {"renewal_notice": True}}))
    assert view["send_invoice_emails"] is True
    assert view["customer_emails"] == {"payment_receipt": False, "payment_failed": True,
                                       "cancellation_scheduled": False, "renewal_notice": True}
    assert ok(api.get("/settings/invoicing")) == view


def test_portal_sections_merge_field_by_field(api: TestClient) -> None:
    sc.build(api)
    ok(api.patch("/settings/customer-portal", json={
        "plan_overview_settings": {"allow_subscription_cancel": True},
        "usage_settings": {"show_section": True},
        "retention_offer_text": "Stay with us: 20% off for three months.",
        "available_plan_ids": [sc.PLAN, sc.PLAN_2027]}))
    view = ok(api.patch("/settings/customer-portal", json={
        "plan_overview_settings": {"allow_plan_change": True}}))
    assert view["plan_overview_settings"] == {"show_section": True,
                                              "allow_subscription_cancel": True,
                                              "allow_plan_change": True}
    assert view["usage_settings"] == {"show_section": True}
    assert view["retention_offer_text"] == "Stay with us: 20% off for three months."
    assert view["available_plan_ids"] == [sc.PLAN, sc.PLAN_2027]
    cleared = ok(api.patch("/settings/customer-portal", json={"retention_offer_text": None,
                                                               "available_plan_ids": []}))
    assert (cleared["retention_offer_text"], cleared["available_plan_ids"]) == (None, [])


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/settings/subscriptions", {"renewal_notice_days": -1}, "renewal_notice_days"),
    ("/settings/subscriptions", {"renewal_notice_days": "soon"}, "renewal_notice_days"),
    ("/settings/subscriptions", {"auto_renew": None}, "auto_renew"),
    ("/settings/invoicing", {"payment_terms": "net_31"}, "payment_terms"),
    ("/settings/invoicing", {"payment_retry_hours": [24, 0]}, "payment_retry_hours[1]"),
    ("/settings/invoicing", {"payment_retry_hours": [1] * 11}, "payment_retry_hours"),
    ("/settings/invoicing", {"memo": "x"}, "memo"),
    ("/settings/invoicing", {"send_invoice_emails": None}, "send_invoice_emails"),
    ("/settings/invoicing", {"customer_emails": {"receipts": True}}, "customer_emails.receipts"),
    ("/settings/invoicing", {}, "body"),
    ("/settings/customer-portal", {"usage_settings": {"show": True}}, "usage_settings.show"),
    ("/settings/customer-portal", {"plan_overview_settings": None}, "plan_overview_settings"),
    ("/settings/customer-portal", {"available_plan_ids": ["pln_nope"]}, "available_plan_ids[0]"),
])
def test_bad_input_is_a_422_naming_the_field(api: TestClient, path: str, body: dict,
                                             field: str) -> None:
    response = api.patch(path, json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["status"] == 422 and problem["detail"]
    assert [e["field"] for e in problem["errors"]] == [field]
    assert ok(api.get(path))["updated_at"] is None


def test_an_archived_plan_is_not_available_in_the_portal(api: TestClient) -> None:
    sc.build(api)
    ok(api.delete(f"/plans/{sc.PLAN_2027}"))
    response = api.patch("/settings/customer-portal",
                         json={"available_plan_ids": [sc.PLAN, sc.PLAN_2027]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "available_plan_ids[1]"


def test_a_sandbox_patch_never_changes_production(api: TestClient, prod_api: TestClient) -> None:
    ok(api.patch("/settings/invoicing", json={"payment_terms": "net_90", "auto_pay": True}))
    ok(api.patch("/settings/subscriptions", json={"auto_renew": False, "renewal_notice_days": 3}))
    ok(api.patch("/settings/customer-portal", json={"usage_settings": {"show_section": True}}))
    assert ok(prod_api.get("/settings/invoicing")) == INVOICING
    assert ok(prod_api.get("/settings/subscriptions")) == SUBSCRIPTIONS
    assert ok(prod_api.get("/settings/customer-portal")) == PORTAL
    ok(prod_api.patch("/settings/invoicing", json={"payment_terms": "net_7"}))
    assert ok(api.get("/settings/invoicing"))["payment_terms"] == "net_90"
    assert ok(prod_api.get("/settings/invoicing"))["payment_terms"] == "net_7"
