"""Approvals in the browser: the FAQ's procedure (faq.txt, "If your organization has approval
flows configured, subscriptions may require approval before activation"), clicked by role and
visible name, its effect read back through the API; and the rules under Settings.

- "Navigate to Approvals in the sidebar → Find the pending subscription → Review the details →
  Click Approve or Reject": ``test_approve_the_pending_subscription`` (Approve: the
  subscription is active) and ``test_reject_the_pending_subscription`` (Reject, a reason
  required: it stays out, in draft, with the reason).
- "See Approval Flows for configuration" (Settings → Approval rules: list, create, edit,
  delete, admins only): ``test_approval_rules_under_settings``.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.scenarios.seed_catalog import fixed, ok
from tests.web.conftest import error_beside, nav, sign_in, text_of
from tests.web.server import form_token


@pytest.fixture(scope="module")
def server(own_server):
    """This module's own server: its live subscriptions stay out of other tests' way."""
    return own_server


def held(api, approvers: list[str], strategy: str = "any") -> tuple[dict, dict]:
    """A 24-month 7,500.00/month subscription held by a rule for deals above 5,000.00 MRR
    (only this test's customer segment, so other tests' subscriptions pass)."""
    tag = uuid.uuid4().hex[:8]
    rule = ok(api.post("/approval-rules", json={
        "name": f"Large deals {tag}", "match": "all",
        "conditions": [{"type": "mrr_exceeds", "value": "5000.00"},
                       {"type": "customer_segment_equals", "value": tag}],
        "approvers": {"names": approvers, "strategy": strategy}}), 201)
    customer = ok(api.post("/customers", json={"name": f"Northwind {tag}", "segment": tag}), 201)
    product = ok(api.post("/products", json={"name": f"Platform {tag}", "fee_type": "fixed",
                                             "billing_frequency": "recurring"}), 201)
    sub = ok(api.post("/subscriptions", json={
        "customer_id": customer["id"], "currency": "USD", "name": f"Enterprise {tag}",
        "contract": {"period_type": "fixed", "duration_months": 24},
        "items": [{"product_id": product["id"], "price": fixed("7500.00")}]}), 201)
    assert ok(api.post(f"/subscriptions/{sub['id']}/activate"))["status"] == "pending_approval"
    return rule, sub


def find_and_review(page, sub: dict, customer_name: str) -> None:
    """Approvals in the sidebar → the pending subscription's row → its review page."""
    nav(page, "Approvals").click()
    page.wait_for_url("**/dashboard/approvals")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=sub["name"]))
    cells = row.get_by_role("cell")
    expect(cells.nth(0)).to_contain_text(customer_name)
    expect(cells.nth(2)).to_have_text("7500.00 USD/mo TCV 180000.00 USD", use_inner_text=True)
    expect(cells.nth(3)).to_contain_text("monthly recurring revenue above 5000.00")
    expect(cells.nth(4)).to_have_text("Pending")
    row.get_by_role("link", name=sub["name"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Review: {sub['name']} Pending")
    deal = page.get_by_role("region", name="The deal").inner_text()
    assert "MRR\n7500.00 USD" in deal and "ACV\n90000.00 USD" in deal, deal
    assert "TCV\n180000.00 USD (24 months)" in deal, deal


def test_approve_the_pending_subscription(server, sandbox_api, page) -> None:
    api = sandbox_api
    approver, other = server.user("member"), server.user("admin")
    rule, sub = held(api, [approver])
    customer = ok(api.get(f"/customers/{sub['customer_id']}"))
    # Someone who is not among the rule's approvers is told so, with no button to press.
    sign_in(page, other)
    find_and_review(page, sub, customer["name"])
    expect(page.get_by_text(f"You ({other}) are not an approver of this rule; its approvers: "
                            f"{approver}.")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, approver)
    find_and_review(page, sub, customer["name"])
    page.get_by_label("Note (optional)").fill("Within the Q3 discount policy")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Approved as {approver}: subscription {sub['name']} is now active.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Review: {sub['name']} Approved")
    [approval] = ok(api.get("/approvals", params={"subscription_id": sub["id"]}))["data"]
    assert approval["status"] == "approved" and approval["rule_id"] == rule["id"]
    assert [(d["approver"], d["decision"], d["note"]) for d in approval["decisions"]] == [
        (approver, "approved", "Within the Q3 discount policy")]
    assert ok(api.get(f"/subscriptions/{sub['id']}"))["status"] == "active"
    nav(page, "Approvals").click()
    expect(page.get_by_role("link", name=sub["name"])).to_have_count(0)  # no longer pending


def test_reject_the_pending_subscription(server, sandbox_api, admin, admin_email) -> None:
    api = sandbox_api
    _, sub = held(api, [admin_email, "cfo@example.com"], strategy="all")
    customer = ok(api.get(f"/customers/{sub['customer_id']}"))
    find_and_review(admin, sub, customer["name"])
    admin.get_by_role("button", name="Reject").click()  # without a reason: refused
    error_beside(admin, admin.get_by_label("Reason"),
                 "Give the reason for the rejection: the requester sees it.")
    assert ok(api.get(f"/subscriptions/{sub['id']}"))["status"] == "pending_approval"
    admin.get_by_label("Reason").fill("Payment terms beyond policy")
    admin.get_by_role("button", name="Reject").click()
    expect(admin.get_by_role("status")).to_have_text(
        f"Rejected as {admin_email}: subscription {sub['name']} is back in draft.")
    expect(admin.get_by_text("Rejected because: Payment terms beyond policy")).to_be_visible()
    [approval] = ok(api.get("/approvals", params={"subscription_id": sub["id"]}))["data"]
    assert (approval["status"], approval["rejection_reason"]) == ("rejected",
                                                                "Payment terms beyond policy")
    assert [(d["approver"], d["decision"]) for d in approval["decisions"]] == [
        (admin_email, "rejected")]
    assert ok(api.get(f"/subscriptions/{sub['id']}"))["status"] == "draft"
    expect(admin.get_by_role("button", name="Approve")).to_have_count(0)


def test_approval_rules_under_settings(server, sandbox_api, admin, open_page) -> None:
    api = sandbox_api
    tag = uuid.uuid4().hex[:8]  # its segment condition keeps the rule off other subscriptions
    name = f"Long contracts {tag}"

    def named() -> list[dict]:
        return [r for r in ok(api.get("/approval-rules", params={"limit": 100}))["data"]
                if r["name"] == name]

    nav(admin, "Settings").click()
    admin.get_by_role("link", name="Approval rules").click()
    admin.get_by_role("link", name="New rule").click()
    admin.get_by_label("Name", exact=True).fill(name)
    admin.get_by_label("Condition 1", exact=True).select_option(label="Contract longer than (months)")
    admin.get_by_label("Value of condition 1").fill("twelve")
    admin.get_by_label("Condition 3", exact=True).select_option(label="Customer segment is")
    admin.get_by_label("Value of condition 3").fill(tag)
    admin.get_by_label("Approvers' emails (one per line)").fill("cfo@example.com\nceo@example.com")
    admin.get_by_label("Who must approve").select_option(label="At least N approvers")
    admin.get_by_label("N (with at least N)").fill("3")
    admin.get_by_role("button", name="Create rule").click()
    # Each refusal is shown beside its field, named as the form names it.
    error_beside(admin, admin.get_by_label("Value of condition 1"),
                 "contract_months_exceed compares with a whole number from 0 to 1000000")
    assert named() == []
    admin.get_by_label("Value of condition 1").fill("12")
    admin.get_by_role("button", name="Create rule").click()
    error_beside(admin, admin.get_by_label("N (with at least N)"), "cannot exceed the 2 approvers")
    assert admin.get_by_label("Value of condition 3").input_value() == tag  # kept as typed
    admin.get_by_label("N (with at least N)").fill("2")
    admin.get_by_role("button", name="Create rule").click()
    expect(admin.get_by_role("status")).to_have_text(f"Created rule {name}.")
    [rule] = named()
    assert rule["conditions"] == [{"type": "contract_months_exceed", "value": 12},
                                  {"type": "customer_segment_equals", "value": tag}]
    assert rule["approvers"] == {"strategy": "min_n", "min_approvals": 2,
                                 "names": ["cfo@example.com", "ceo@example.com"]}
    assert (rule["match"], rule["priority"], rule["enabled"]) == ("all", 100, True)
    row = admin.get_by_role("row").filter(has=admin.get_by_role("link", name=name))
    expect(row).to_contain_text(f"All conditions hold: contract longer than 12 months; customer "
                                f"segment is {tag}")
    expect(row).to_contain_text("At least 2 approvers: cfo@example.com, ceo@example.com")

    # Edit: a description, a new priority, disabled.
    admin.get_by_role("link", name=name).click()
    expect(admin.get_by_label("Value of condition 2")).to_have_value(tag)  # rows as stored
    admin.get_by_label("Description (optional)").fill("Multi-year deals")
    admin.get_by_label("Priority").fill("5")
    admin.get_by_label("Enabled").uncheck()
    admin.get_by_role("button", name="Save rule").click()
    expect(admin.get_by_role("status")).to_have_text(f"Saved rule {name}.")
    saved = ok(api.get(f"/approval-rules/{rule['id']}"))
    assert (saved["description"], saved["priority"], saved["enabled"]) == ("Multi-year deals", 5,
                                                                           False)
    assert (saved["conditions"], saved["approvers"]) == (rule["conditions"], rule["approvers"])

    # A member sees the rules and cannot change them, even with a forged POST.
    member = open_page()
    sign_in(member, server.user("member"))
    member.goto(f"/dashboard/settings/approval-rules/{rule['id']}")
    expect(member.get_by_text("Only admins create, edit and delete approval rules.")).to_be_visible()
    for button in ("Save rule", "Delete rule"):
        expect(member.get_by_role("button", name=button)).to_have_count(0)
    forged = member.request.post(f"/dashboard/settings/approval-rules/{rule['id']}/delete",
                                 form={"csrf_token": form_token(member.content())},
                                 max_redirects=0)
    assert forged.status == 403
    assert "Only admins manage API keys, users and settings." in text_of(forged)
    assert ok(api.get(f"/approval-rules/{rule['id']}"))["priority"] == 5

    # Delete.
    admin.get_by_role("link", name=name).click()
    admin.get_by_role("button", name="Delete rule").click()
    expect(admin.get_by_role("status")).to_have_text(f"Deleted rule {name}.")
    assert api.get(f"/approval-rules/{rule['id']}").status_code == 404
