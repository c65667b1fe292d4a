"""Subscriptions, procedure by procedure, each checked through the API afterwards (amounts are
the lifecycle document's: a 30-day June, changes on day 16 with 15 days left):

- faq.txt, changing a plan: "Navigate to Subscriptions; Open the subscription; Click Change Plan
  or Edit; Select the new plan; Choose proration behavior: Full proration / No proration; Review
  the prorated amount and confirm." (``test_upgrade_with_the_documented_proration``)
- subscription-lifecycle.txt, Upgrading a Customer: "Open the subscription; Click Change Plan;
  Select the new (higher) plan; Choose when the change takes effect: Immediately / At renewal;
  Review the proration preview; Click Confirm." (same test)
- subscription-lifecycle.txt, Downgrading a Customer: "Open the subscription; Click Change
  Plan; Select the new (lower) plan; Choose timing: Immediately - Credit applied to balance / At
  renewal; Click Confirm." (``test_downgrade_at_renewal_and_immediately``)
- subscription-lifecycle.txt, Adding or Removing Seats: "Open the subscription; Click Update
  Quantity; Enter the new seat count; Choose when the change applies; Review proration (for
  immediate changes); Click Confirm." (``test_update_quantity``)
- subscription-lifecycle.txt, For Individual Subscriptions: "Open the subscription; Click Edit →
  Contract Terms; Toggle Auto-renew; Set renewal term length (if different from initial)."
  (``test_edit_contract_terms_then_pause_and_resume``)
- faq.txt, pausing: "Navigate to Subscriptions; Open the subscription; Click Pause Subscription;
  Set pause duration; Confirm. To resume, open the paused subscription and click Resume."
  (same test)
- faq.txt, canceling: "Navigate to Subscriptions; Find and open the subscription; Click Cancel
  Subscription; Select Cancel at end of period; Add cancellation reason (optional); Confirm."
  (``test_cancel_at_end_of_period_undo_and_on_a_date``, with undoing it and a scheduled date)
- subscription-lifecycle.txt, Canceling from Dashboard: "Open the subscription; Click Cancel
  Subscription; Select cancellation type; Add cancellation reason (for analytics); Choose refund
  option (if immediate); Click Confirm." (``test_cancel_immediately_with_the_refund_option``)

And a viewer sees none of the buttons, gets a 403 for the forms and for a forged POST.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web import billing_setup
from tests.web.billing_setup import DAY_16, PERIOD_START, corrected
from tests.web.conftest import error_beside, nav, sign_in, text_of
from tests.web.server import form_token

server = billing_setup.server
api = billing_setup.api

ACTIONS = ["Activate", "Change Plan", "Update Quantity", "Edit", "Pause Subscription", "Resume",
           "Cancel Subscription", "Undo scheduled cancellation"]


def _find_and_open(page, sub: dict, status: str = "Active") -> None:
    """Navigate to Subscriptions, filter by status and customer, open the subscription."""
    nav(page, "Subscriptions").click()
    page.get_by_role("navigation", name="Status").get_by_role("link", name=status).click()
    page.wait_for_url("**/subscriptions?status=*")
    page.get_by_label("Customer").fill(sub["customer_id"])
    page.get_by_role("button", name="Filter").click()
    link = page.get_by_role("link", name=sub["name"])
    expect(link).to_have_count(1)
    link.click()
    # The document is what the test reads (expect waits for it); a busy machine once held the
    # window's load event past the timeout after the page had arrived.
    page.wait_for_url(f"**/subscriptions/{sub['id']}", wait_until="domcontentloaded")


def _preview(page) -> None:
    """Click Preview and wait for the new preview (an earlier one is taken away first)."""
    page.evaluate("document.querySelector('section.preview')?.remove()")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()


def _lines(page) -> list[list[str]]:
    table = page.get_by_role("table", name="Proration")
    return [[" ".join(cell.split()) for cell in row.get_by_role("cell").all_inner_texts()]
            for row in table.locator("tbody tr").all()]


def _previewed(page, lines: list[list[str]], says: str) -> None:
    """Preview: the proration table holds ``lines`` and the preview says ``says``."""
    _preview(page)
    assert _lines(page) == lines
    expect(page.get_by_role("region", name="Preview")).to_contain_text(says)


def _confirm_at_renewal(page, api, sub: dict) -> dict:
    """At renewal, Preview, Confirm: the change waits for July 1; the version it publishes."""
    page.get_by_label("At renewal").check()
    _preview(page)
    expect(page.get_by_role("region", name="Preview")).to_contain_text(
        "Takes effect 2026-07-01 00:00 UTC.")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**?done=scheduled")
    [change] = api.get(f"/subscriptions/{sub['id']}")["pending_changes"]
    version = api.get(f"/subscriptions/{sub['id']}/versions/{change['version_id']}")
    assert change["effective_at"] == version["effective_at"] == "2026-07-01T00:00:00Z"
    return version


def test_upgrade_with_the_documented_proration(api, admin) -> None:
    sub = api.started(api.customer(), api.catalog.basic)
    _find_and_open(admin, sub)
    admin.get_by_role("link", name="Change Plan").click()
    # Nothing chosen: the refusal is beside the plan.
    admin.get_by_role("button", name="Preview").click()
    error_beside(admin, admin.get_by_label("New plan"), "Choose the new plan.")
    admin.get_by_label("New plan").select_option(label=api.catalog.pro["name"])
    admin.get_by_label("Immediately").check()
    admin.get_by_label("No proration").check()
    _preview(admin)
    expect(admin.get_by_role("region", name="Preview")).to_contain_text(
        "No proration: nothing is billed or credited for this change.")
    admin.get_by_label("Full proration").check()
    _preview(admin)
    preview = admin.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("Takes effect 2026-06-16 00:00 UTC.")
    expect(preview).to_contain_text("Changes Platform: 99.00 USD / month")
    assert _lines(admin) == [["Platform 2026-06-16 – 2026-07-01", "15 of 30", "49.50 15 × 3.30",
                              "99.45 15 × 6.63", "49.95"]]
    expect(preview).to_contain_text("Net amount billed immediately: 49.95 USD.")
    assert api.get(f"/subscriptions/{sub['id']}/versions")["data"][-1]["number"] == 1  # previewed
    preview.get_by_role("button", name="Confirm").click()
    admin.wait_for_url("**?done=changed")
    expect(admin.get_by_role("status")).to_have_text("Changed the plan.")

    versions = api.get(f"/subscriptions/{sub['id']}/versions")["data"]
    assert [(v["number"], v["plan_id"], v["effective"], v["proration"]) for v in versions] == [
        (1, api.catalog.basic["id"], "2026-06-01", "full"),
        (2, api.catalog.pro["id"], "immediate", "full")]
    assert api.get(f"/subscriptions/{sub['id']}")["current_version_id"] == versions[1]["id"]
    assert api.invoices(sub) == [("subscription", "99.00", "issued"),
                                 ("proration", "49.95", "issued")]
    history = admin.get_by_role("table", name="Version history")
    expect(history.locator("tbody tr").first).to_contain_text("current")
    expect(admin.get_by_role("table", name="Invoices of this subscription")).to_contain_text(
        "49.95 USD")


def test_downgrade_at_renewal_and_immediately(api, admin) -> None:
    api.freeze(PERIOD_START)
    customer = api.customer()
    later = api.subscription(customer, api.catalog.pro, name="Pro, down at renewal")
    now = api.subscription(customer, api.catalog.pro, name="Pro, down now")
    api.freeze(DAY_16)
    _find_and_open(admin, later)
    admin.get_by_role("link", name="Change Plan").click()
    admin.get_by_label("New plan").select_option(label=api.catalog.basic["name"])
    assert _confirm_at_renewal(admin, api, later)["plan_id"] == api.catalog.basic["id"]
    pending = admin.get_by_role("region", name="Pending changes")
    expect(pending).to_contain_text("Version 2 takes effect 2026-07-01 00:00 UTC")
    expect(pending).to_contain_text("99.00 USD / month")
    assert api.invoices(later) == [("subscription", "199.00", "issued")]

    admin.goto(f"/dashboard/subscriptions/{now['id']}")
    admin.get_by_role("link", name="Change Plan").click()
    admin.get_by_label("New plan").select_option(label=api.catalog.basic["name"])
    # Immediately and Full proration are the defaults.
    _previewed(admin, [["Platform 2026-06-16 – 2026-07-01", "15 of 30", "99.45 15 × 6.63",
                        "49.50 15 × 3.30", "-49.95"]],
               "Net credit to the customer's balance: 49.95 USD.")
    admin.get_by_role("button", name="Confirm").click()
    admin.wait_for_url("**?done=changed")
    assert api.get(f"/customers/{customer['id']}/credit-balance")["monetary"] == [
        {"currency": "USD", "amount": "49.95"}]


def test_update_quantity(api, admin) -> None:
    sub = api.started(api.customer(), api.catalog.team)
    admin.goto(f"/dashboard/subscriptions/{sub['id']}")
    admin.get_by_role("link", name="Update Quantity").click()
    expect(admin.get_by_label("Seat item")).to_have_text("Seats (10 now)")
    corrected(admin, "New seat count", "-1", "Input should be greater than or equal to 0.", "15",
              "Preview")
    admin.get_by_label("Immediately").check()
    # 10 seats = 200.00 a month (6.67 a day), 15 seats = 300.00 (10.00 a day), 15 days left.
    _previewed(admin, [["Seats 2026-06-16 – 2026-07-01", "15 of 30", "100.05 15 × 6.67",
                        "150.00 15 × 10.00", "49.95"]], "Changes Seats: quantity 10 → 15")
    admin.get_by_role("button", name="Confirm").click()
    admin.wait_for_url("**?done=quantity")
    current = api.get(f"/subscriptions/{sub['id']}/versions/current")
    assert [i.get("quantity") for i in current["items"]] == [None, 15, None]
    assert api.invoices(sub)[-1] == ("proration", "49.95", "issued")
    # Removing seats at renewal: the lower count is billed from the next cycle.
    admin.get_by_role("link", name="Update Quantity").click()
    admin.get_by_label("New seat count").fill("12")
    version = _confirm_at_renewal(admin, api, sub)
    assert [i.get("quantity") for i in version["items"]] == [None, 12, None]


def test_edit_contract_terms_then_pause_and_resume(api, admin) -> None:
    sub = api.started(api.customer(), api.catalog.basic,
                      contract={"period_type": "fixed", "duration_months": 12})
    _find_and_open(admin, sub)
    admin.get_by_role("link", name="Edit", exact=True).click()
    terms = admin.get_by_role("region", name="Contract Terms")
    expect(terms.get_by_role("switch", name="Auto-renew")).to_be_checked()
    terms.get_by_role("switch", name="Auto-renew").uncheck()
    terms.get_by_label("Renewal term (months)").fill("0")
    terms.get_by_role("button", name="Save contract terms").click()
    error_beside(admin, admin.get_by_label("Renewal term (months)"),
                 "Input should be greater than or equal to 1.")
    assert api.get(f"/subscriptions/{sub['id']}")["renewal"]["auto_renew"] is True
    terms = admin.get_by_role("region", name="Contract Terms")
    expect(terms.get_by_role("switch", name="Auto-renew")).not_to_be_checked()  # as sent
    terms.get_by_label("Renewal term (months)").fill("6")
    terms.get_by_role("button", name="Save contract terms").click()
    admin.wait_for_url("**?done=terms")
    expect(admin.get_by_role("region", name="Contract and billing")).to_contain_text(
        "Auto-renewOff")
    assert api.get(f"/subscriptions/{sub['id']}")["renewal"] == {
        "auto_renew": False, "duration_months": 6, "period_type": None}

    admin.get_by_role("link", name="Pause Subscription").click()
    admin.get_by_label("Pause duration").select_option(label="2 months")
    admin.get_by_role("button", name="Confirm").click()
    admin.wait_for_url("**?done=paused")
    expect(admin.get_by_text("Paused since 2026-06-16 00:00 UTC; resumes on 2026-08-16.")
           ).to_be_visible()
    paused = api.get(f"/subscriptions/{sub['id']}")
    assert (paused["status"], paused["pause"]) == (
        "paused", {"paused_at": "2026-06-16T00:00:00Z", "resume_at": "2026-08-16"})
    # To resume, open the paused subscription and click Resume.
    _find_and_open(admin, sub, status="Paused")
    admin.get_by_role("button", name="Resume").click()
    admin.wait_for_url("**?done=resumed")
    resumed = api.get(f"/subscriptions/{sub['id']}")
    assert (resumed["status"], resumed["pause"]) == ("active", None)


def test_cancel_at_end_of_period_undo_and_on_a_date(api, admin) -> None:
    sub = api.started(api.customer(), api.catalog.basic)
    _find_and_open(admin, sub)
    admin.get_by_role("link", name="Cancel Subscription").click()
    admin.get_by_label("Cancel at end of period").check()
    admin.get_by_label("Cancellation reason (optional)").select_option(label="Price")
    admin.get_by_label("Note (optional)").fill("Budget cut for Q3")
    admin.get_by_role("button", name="Confirm").click()
    admin.wait_for_url("**?done=cancel_scheduled")
    notice = admin.get_by_role("region", name="Scheduled cancellation")
    expect(notice).to_contain_text("Cancellation scheduled for 2026-07-01 00:00 UTC (pricing): "
                                   "“Budget cut for Q3”.")
    after = api.get(f"/subscriptions/{sub['id']}")
    assert after["status"] == "active"
    assert {k: after["cancellation"][k] for k in ("reason", "timing", "note", "effective_at")} == {
        "reason": "pricing", "timing": "end_of_term", "note": "Budget cut for Q3",
        "effective_at": "2026-07-01T00:00:00Z"}
    expect(admin.get_by_role("link", name="Cancel Subscription")).to_have_count(0)

    notice.get_by_role("button", name="Undo scheduled cancellation").click()
    admin.wait_for_url("**?done=uncanceled")
    assert api.get(f"/subscriptions/{sub['id']}")["cancellation"] is None

    # On a date: the date is required, then the cancellation waits for it.
    admin.get_by_role("link", name="Cancel Subscription").click()
    admin.get_by_label("Cancel on a date").check()
    corrected(admin, "Cancellation date", "", "Give the date the subscription ends on.",
              "2026-06-20", "Confirm")
    admin.get_by_role("button", name="Confirm").click()
    admin.wait_for_url("**?done=cancel_scheduled")
    cancellation = api.get(f"/subscriptions/{sub['id']}")["cancellation"]
    assert (cancellation["reason"], cancellation["timing"], cancellation["effective_at"]) == (
        "other", "2026-06-20", "2026-06-20T00:00:00Z")


def test_cancel_immediately_with_the_refund_option(api, admin) -> None:
    customer = api.customer()
    sub = api.started(customer, api.catalog.pro)
    admin.goto(f"/dashboard/subscriptions/{sub['id']}")
    admin.get_by_role("link", name="Cancel Subscription").click()
    # The refund option is for immediate cancellations only.
    admin.get_by_label("Cancel at end of period").check()
    admin.get_by_label("Refund the unused time (immediate only)").check()
    admin.get_by_role("button", name="Confirm").click()
    error_beside(admin, admin.get_by_label("Refund the unused time (immediate only)"),
                 "A refund of the unused time applies to an immediate cancellation only.")
    assert api.get(f"/subscriptions/{sub['id']}")["cancellation"] is None
    admin.get_by_label("Cancel immediately").check()
    admin.get_by_label("Cancellation reason (optional)").select_option(
        label="Switching to a competitor")
    admin.get_by_role("button", name="Confirm").click()
    admin.wait_for_url("**?done=canceled")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("Canceled")
    for name in ACTIONS:
        expect(admin.get_by_role("main").get_by_role("button", name=name, exact=True)
               ).to_have_count(0)
    after = api.get(f"/subscriptions/{sub['id']}")
    assert (after["status"], after["canceled_at"], after["cancellation"]["reason"],
            after["cancellation"]["credit_unused_time"]) == (
        "canceled", "2026-06-16T00:00:00Z", "moving_provider", True)
    # The unused half of the prepaid 199.00: 15 days × 6.63.
    assert api.get(f"/customers/{customer['id']}/credit-balance")["monetary"] == [
        {"currency": "USD", "amount": "99.45"}]


def test_a_viewer_sees_no_action_and_cannot_forge_one(server, api, page) -> None:
    api.freeze(PERIOD_START)
    customer = api.customer()
    draft = api.post("/subscriptions", {"customer_id": customer["id"],
                                        "plan_id": api.catalog.basic["id"]}, 201)
    live = api.subscription(customer, api.catalog.team)
    api.post(f"/subscriptions/{live['id']}/cancel", {"timing": "end_of_term"})
    sign_in(page, server.user("viewer"))
    for path in (f"/dashboard/subscriptions/{draft['id']}", f"/dashboard/subscriptions/{live['id']}",
                 f"/dashboard/customers/{customer['id']}",
                 f"/dashboard/customers/{customer['id']}/credits",
                 f"/dashboard/customers/{customer['id']}/wallets"):
        page.goto(path)
        main = page.get_by_role("main")
        for name in ACTIONS + ["Grant Credits", "Add Subscription", "Create Wallet"]:
            assert main.get_by_role("button", name=name, exact=True).count() == 0, (path, name)
            assert main.get_by_role("link", name=name, exact=True).count() == 0, (path, name)
    token = form_token(page.content())
    refused = "Viewers can look at everything but change nothing."
    for path in (f"/dashboard/subscriptions/{live['id']}/change-plan",
                 f"/dashboard/subscriptions/{live['id']}/cancel",
                 f"/dashboard/customers/{customer['id']}/credits/grant"):
        answer = page.request.get(path)
        assert answer.status == 403 and refused in text_of(answer), path
    forged = [
        (f"/dashboard/subscriptions/{draft['id']}/activate", {}),
        (f"/dashboard/subscriptions/{live['id']}/uncancel", {}),
        (f"/dashboard/subscriptions/{live['id']}/cancel", {"timing": "immediate"}),
        (f"/dashboard/subscriptions/{live['id']}/change-plan", {"plan_id": api.catalog.pro["id"]}),
        (f"/dashboard/customers/{customer['id']}/credits/grant", {"amount": "10"}),
        (f"/dashboard/customers/{customer['id']}/edit", {"name": "Forged", "currency": "USD"}),
    ]
    for path, fields in forged:
        answer = page.request.post(path, form={**fields, "csrf_token": token}, max_redirects=0)
        assert answer.status == 403 and refused in text_of(answer), path
    assert api.get(f"/subscriptions/{draft['id']}")["status"] == "draft"
    after = api.get(f"/subscriptions/{live['id']}")
    assert (after["status"], after["cancellation"]["timing"]) == ("active", "end_of_term")
    assert len(api.get(f"/subscriptions/{live['id']}/versions")["data"]) == 1
    assert api.get(f"/customers/{customer['id']}")["name"] == customer["name"]
    assert api.get("/credit-grants", customer_id=customer["id"])["data"] == []

