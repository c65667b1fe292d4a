"""Approval flows: a matching rule holds activation until approvers agree, or sends it back."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.helpers import events
from tests.scenarios.seed_catalog import ok


@pytest.fixture
def catalog(api: TestClient) -> TestClient:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    return api


def big_deal(api: TestClient, **extra) -> dict:
    body = {
        "customer_id": "wcqYrqfE",
        "plan_id": sc.PLAN,  # 500.00 a month, 12-month contract: TCV 6000.00
        "discount": {"type": "percentage", "amount": "25"},
        **extra,
    }
    return ok(api.post("/subscriptions", json=body), 201)


RULE = {
    "name": "Large discounts",
    "conditions": [
        {"type": "discount_percentage_exceeds", "value": "20"},
        {"type": "tcv_exceeds", "value": "5000.00"},
    ],
    "match": "all",
    "priority": 10,
    "approvers": {"strategy": "min_n", "names": ["cfo", "vp_sales", "ceo"], "min_approvals": 2},
}


def test_approval_then_activation(kassa, catalog: TestClient) -> None:
    rule = ok(catalog.post("/approval-rules", json=RULE), 201)
    assert rule["conditions"][1] == {"type": "tcv_exceeds", "value": "5000.00"}
    sub = big_deal(catalog)
    held = ok(catalog.post(f"/subscriptions/{sub['id']}/activate"))
    assert held["status"] == "pending_approval" and held["current_version_id"] is None
    pending = ok(catalog.get("/approvals?status=pending"))["data"]
    assert len(pending) == 1
    approval = pending[0]
    assert approval["subscription_id"] == sub["id"] and approval["rule_id"] == rule["id"]
    assert approval["reasons"] == ["discount above 20%", "total contract value above 5000.00"]

    first = ok(catalog.post(f"/approvals/{approval['id']}/approve", json={"approver": "cfo"}))
    assert first["status"] == "pending"
    assert ok(catalog.get(f"/subscriptions/{sub['id']}"))["status"] == "pending_approval"
    r = catalog.post(f"/approvals/{approval['id']}/approve", json={"approver": "cfo"})
    assert r.status_code == 409
    r = catalog.post(f"/approvals/{approval['id']}/approve", json={"approver": "intern"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "approver"
    second = ok(catalog.post(f"/approvals/{approval['id']}/approve", json={"approver": "ceo", "note": "ok"}))
    assert second["status"] == "approved"
    assert [d["approver"] for d in second["decisions"]] == ["cfo", "ceo"]
    live = ok(catalog.get(f"/subscriptions/{sub['id']}"))
    assert live["status"] == "active" and live["current_version_id"] is not None
    assert [t for t, _ in events(kassa, prefix="subscription.", subscription_id=sub["id"])] == [
        "subscription.created",
        "subscription.updated",
        "subscription.activated",
        "subscription.started",
    ]
    r = catalog.post(f"/approvals/{approval['id']}/approve", json={"approver": "vp_sales"})
    assert r.status_code == 422 and r.json()["detail"] == f"Approval {approval['id']} is already approved."


def test_rejection_returns_the_subscription_to_draft(catalog: TestClient) -> None:
    ok(catalog.post("/approval-rules", json={**RULE, "approvers": {"strategy": "any", "names": ["cfo"]}}), 201)
    sub = big_deal(catalog, auto_activate=True)
    assert sub["status"] == "pending_approval"
    approval = ok(catalog.get(f"/approvals?subscription_id={sub['id']}"))["data"][0]
    r = catalog.post(f"/approvals/{approval['id']}/reject", json={"approver": "cfo"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    rejected = ok(catalog.post(f"/approvals/{approval['id']}/reject",
                               json={"approver": "cfo", "reason": "Discount too deep"}))
    assert rejected["status"] == "rejected" and rejected["rejection_reason"] == "Discount too deep"
    assert ok(catalog.get(f"/subscriptions/{sub['id']}"))["status"] == "draft"
    # Fix the deal and try again: without the discount no rule matches.
    ok(catalog.patch(f"/subscriptions/{sub['id']}", json={"discount": None}))
    assert ok(catalog.post(f"/subscriptions/{sub['id']}/activate"))["status"] == "active"


def test_rules_by_priority_and_conditions(catalog: TestClient) -> None:
    ok(catalog.post("/approval-rules", json={
        "name": "Enterprise segment", "priority": 5, "match": "any",
        "conditions": [{"type": "customer_segment_equals", "value": "enterprise"},
                       {"type": "product_present", "value": sc.SUPPORT}],
        "approvers": {"strategy": "all", "names": ["legal", "finance"]},
    }), 201)
    ok(catalog.post("/approval-rules", json={
        "name": "New customers", "priority": 50,
        "conditions": [{"type": "customer_is_new", "value": True}],
        "approvers": {"strategy": "any", "names": ["sales_ops"]},
    }), 201)
    first = big_deal(catalog, discount=None, auto_activate=True)
    assert first["status"] == "pending_approval"  # new customer rule
    approval = ok(catalog.get(f"/approvals?subscription_id={first['id']}"))["data"][0]
    assert approval["reasons"] == ["new customer"]
    ok(catalog.post(f"/approvals/{approval['id']}/approve", json={"approver": "sales_ops"}))
    # The customer is no longer new; a support add-on matches the higher-priority rule.
    second = ok(catalog.post("/subscriptions", json={
        "customer_id": "wcqYrqfE", "plan_id": sc.PLAN, "auto_activate": True,
        "items": [{"product_id": sc.SUPPORT, "price": sc.fixed("100.00")}],
    }), 201)
    assert second["status"] == "pending_approval"
    approval = ok(catalog.get(f"/approvals?subscription_id={second['id']}"))["data"][0]
    assert approval["reasons"] == [f"includes product {sc.SUPPORT}"]
    ok(catalog.post(f"/approvals/{approval['id']}/approve", json={"approver": "legal"}))
    assert ok(catalog.get(f"/subscriptions/{second['id']}"))["status"] == "pending_approval"
    ok(catalog.post(f"/approvals/{approval['id']}/approve", json={"approver": "finance"}))
    assert ok(catalog.get(f"/subscriptions/{second['id']}"))["status"] == "active"
    third = ok(catalog.post("/subscriptions", json={"customer_id": "wcqYrqfE", "plan_id": sc.PLAN,
                                                    "auto_activate": True}), 201)
    assert third["status"] == "active"


def test_rule_validation(catalog: TestClient) -> None:
    cases = [
        ({**RULE, "conditions": []}, "conditions"),
        ({**RULE, "conditions": [{"type": "tcv_exceeds", "value": "lots"}]}, "conditions[0].value"),
        ({**RULE, "conditions": [{"type": "moon_phase", "value": "full"}]}, "conditions[0].type"),
        ({**RULE, "approvers": {"strategy": "min_n", "names": ["a"], "min_approvals": 2}},
         "approvers.min_approvals"),
        ({**RULE, "approvers": {"strategy": "min_n", "names": ["a"]}}, "approvers.min_approvals"),
        ({**RULE, "conditions": [{"type": "contract_months_exceed", "value": "12"}]}, "conditions[0].value"),
        # Past 64 bits the JSON column could not store it (a 500).
        ({**RULE, "conditions": [{"type": "payment_terms_days_exceed", "value": 10**30}]},
         "conditions[0].value"),
    ]
    for body, field in cases:
        r = catalog.post("/approval-rules", json=body)
        assert r.status_code == 422, body
        assert r.json()["errors"][0]["field"] == field, r.json()
    assert catalog.get("/approvals/apr_nope").status_code == 404
    assert catalog.post("/approvals/apr_nope/approve", json={"approver": "x"}).status_code == 404


def test_patching_a_rule_cannot_null_what_it_needs(catalog: TestClient) -> None:
    """A null used to be written as is: a 500 on the spot (NOT NULL), or a stored rule that made
    every later GET of it, and of the list, a 500."""
    rule = ok(catalog.post("/approval-rules", json=RULE), 201)
    for name in ("name", "conditions", "match", "priority", "approvers", "enabled"):
        r = catalog.patch(f"/approval-rules/{rule['id']}", json={name: None})
        assert r.status_code == 422, (name, r.text)
        assert r.json()["errors"] == [{"field": name, "message": "cannot be null"}]
    assert ok(catalog.get(f"/approval-rules/{rule['id']}")) == rule
    assert [r["id"] for r in ok(catalog.get("/approval-rules"))["data"]] == [rule["id"]]
    # description is optional: null clears it.
    described = ok(catalog.patch(f"/approval-rules/{rule['id']}", json={"description": "x"}))
    assert described["description"] == "x"
    assert ok(catalog.patch(f"/approval-rules/{rule['id']}", json={"description": None}))[
        "description"] is None
