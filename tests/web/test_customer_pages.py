"""A customer's page, procedure by procedure, each checked through the API afterwards:

- subscription-lifecycle.txt, Creating a Subscription: "Navigate to Customers → select customer;
  Click Add Subscription; Select the plan; Configure billing details: Start date (immediate or
  scheduled), Billing frequency, Contract term (if applicable); Click Create. The subscription is
  created in Draft status." (``test_add_subscription_then_activate``)
- subscription-lifecycle.txt, Activating a Subscription: "Open the subscription; Review the
  configuration; Click Activate." (same test)
- faq.txt: "Navigate to Customers → [Customer] → Subscriptions to view all subscriptions for a
  customer." (same test)
- faq.txt, preferred currency: "Navigate to Customers → [Customer]; Edit customer details; Set
  preferred currency." (``test_edit_customer_details``)
- faq.txt, Grant Credits: "Navigate to Customers → [Customer] → Credits; Click Grant Credits;
  Enter the amount and type (monetary or units); Set expiration (optional); Add a reason for the
  grant; Click Grant." (``test_grant_credits``)
- faq.txt, usage in the dashboard: "Navigate to Customers; Open the customer account; View Usage
  tab for current period." (``test_usage_wallets_and_payment_methods``, with the Wallets tab's
  top up and the Payment methods tab)
- faq.txt: "send the customer a billing portal link to update their payment method"
  (``test_create_portal_link_shows_a_link_that_opens_once``)
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web import billing_setup
from tests.web.billing_setup import DAY_16, PERIOD_START, corrected
from tests.web.conftest import error_beside, nav
from tests.web.test_accessibility import UNNAMED

server = billing_setup.server
api = billing_setup.api


def _open_customer(page, customer: dict) -> None:
    """Customers → search → the customer's page."""
    nav(page, "Customers").click()
    page.get_by_label("Search customers").fill(customer["id"])
    page.get_by_label("Search customers").press("Enter")
    page.wait_for_url(f"**/customers?q={customer['id']}")
    page.get_by_role("link", name=customer["name"]).click()
    page.wait_for_url(f"**/customers/{customer['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(customer["name"])


def test_add_subscription_then_activate(api, admin) -> None:
    api.freeze(PERIOD_START)
    customer = api.customer()
    plan = api.catalog.team
    _open_customer(admin, customer)
    expect(admin.get_by_role("cell", name="No subscriptions yet. Add one with Add Subscription.")
           ).to_be_visible()
    admin.get_by_role("link", name="Add Subscription").click()
    form = admin.get_by_role("region", name="Add Subscription")
    # A fixed term needs its length: the service's refusal is shown beside the field.
    form.get_by_label("Plan").select_option(label=plan["name"])
    form.get_by_label("Scheduled", exact=True).check()
    form.get_by_label("Scheduled start date").fill("2026-07-01")
    form.get_by_label("Billing frequency").select_option(label="Quarterly")
    form.get_by_label("Contract term").select_option(label="Fixed term")
    with admin.expect_response(lambda r: r.request.method == "POST") as answer:
        form.get_by_role("button", name="Create").click()
    assert answer.value.status == 422
    error_beside(admin, admin.get_by_label("Term length (months)"),
                 "Required for a fixed contract.")
    assert api.get("/subscriptions", customer_id=customer["id"])["data"] == []
    form = admin.get_by_role("region", name="Add Subscription")
    expect(form.get_by_label("Scheduled start date")).to_have_value("2026-07-01")  # kept
    form.get_by_label("Term length (months)").fill("12")
    form.get_by_role("button", name="Create").click()
    admin.wait_for_url("**/subscriptions/*?done=created")
    expect(admin.get_by_role("status")).to_have_text(
        "Created the subscription, in draft: review it, then Activate.")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("Draft")

    [sub] = api.get("/subscriptions", customer_id=customer["id"])["data"]
    assert (sub["status"], sub["plan_id"]) == ("draft", plan["id"])
    assert sub["contract"] == {"period_type": "fixed", "duration_months": 12,
                               "start_date": "2026-07-01", "end_date": None}
    [version] = api.get(f"/subscriptions/{sub['id']}/versions")["data"]
    assert [(i["product_id"], i["price"]["billing_interval"], i.get("quantity"))
            for i in version["items"]] == [
        (api.catalog.platform["id"], "quarterly", None),
        (api.catalog.seats["id"], "quarterly", 10),
        (api.catalog.api_usage["id"], "quarterly", None)]
    assert admin.url.endswith(f"/dashboard/subscriptions/{sub['id']}?done=created")

    # Activate: the contract starts on its scheduled day, and the first invoice with it.
    admin.get_by_role("button", name="Activate").click()
    admin.wait_for_url("**?done=activated")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("Active")
    after = api.get(f"/subscriptions/{sub['id']}")
    assert after["status"] == "active" and after["current_term"] == {
        "start": "2026-07-01", "end": "2027-07-01"}
    # Customers → [Customer] → Subscriptions lists it.
    admin.get_by_role("link", name=customer["name"]).click()
    row = admin.get_by_role("row").filter(has_text=sub["id"])
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text(plan["name"])
    expect(admin.get_by_role("link", name="Subscriptions", exact=True).last).to_have_attribute(
        "aria-current", "page")


def test_edit_customer_details(api, admin) -> None:
    customer = api.customer(email="ap@example.com")
    _open_customer(admin, customer)
    admin.get_by_role("link", name="Edit", exact=True).click()
    form = admin.get_by_role("region", name="Edit customer details")
    form.get_by_label("Preferred currency").fill("EURO")
    with admin.expect_response(lambda r: r.request.method == "POST") as answer:
        form.get_by_role("button", name="Save").click()
    assert answer.value.status == 422
    error_beside(admin, admin.get_by_label("Preferred currency"),
                 "'EURO' is not an ISO 4217 currency code.")
    assert api.get(f"/customers/{customer['id']}")["currency"] == "USD"
    form = admin.get_by_role("region", name="Edit customer details")
    form.get_by_label("Preferred currency").fill("eur")
    form.get_by_label("Segment").fill("enterprise")
    form.get_by_label("Tags").fill("vip, emea")
    form.get_by_label("Aliases").fill(f"crm-{customer['id']}")
    form.get_by_role("button", name="Save").click()
    admin.wait_for_url("**?done=updated")
    expect(admin.get_by_role("status")).to_have_text("Saved the customer's details.")
    after = api.get(f"/customers/{customer['id']}")
    assert {k: after[k] for k in ("name", "email", "currency", "segment", "tags", "aliases")} == {
        "name": customer["name"], "email": "ap@example.com", "currency": "EUR",
        "segment": "enterprise", "tags": ["vip", "emea"], "aliases": [f"crm-{customer['id']}"]}
    assert api.get(f"/customers/crm-{customer['id']}")["id"] == customer["id"]  # the alias works


def test_grant_credits(api, admin) -> None:
    api.freeze(DAY_16)
    customer = api.customer()
    _open_customer(admin, customer)
    admin.get_by_role("link", name="Credits").click()
    expect(admin.get_by_role("cell", name="No credits granted yet.")).to_be_visible()
    admin.get_by_role("link", name="Grant Credits").click()
    form = admin.get_by_role("region", name="Grant Credits")
    corrected(admin, "Amount", "-30", "Must be positive.", "30.00", "Grant")
    form = admin.get_by_role("region", name="Grant Credits")
    form.get_by_label("Monetary", exact=True).check()
    form.get_by_label("Expiration (UTC, optional)").fill("2026-12-31T00:00")
    form.get_by_label("Reason").fill("Service outage on June 10")
    form.get_by_role("button", name="Grant").click()
    admin.wait_for_url(f"**/customers/{customer['id']}/credits?done=granted")
    expect(admin.get_by_role("status")).to_have_text("Granted the credits.")
    expect(admin.get_by_role("region", name="Credit balance")).to_contain_text("30.00 USD")
    # Units, tied to a metric.
    admin.get_by_role("link", name="Grant Credits").click()
    form = admin.get_by_role("region", name="Grant Credits")
    form.get_by_label("Amount").fill("500")
    form.get_by_label("Units", exact=True).check()
    form.get_by_label("Metric (for unit credit)").select_option(label="API calls")
    form.get_by_label("Reason").fill("Referral")
    form.get_by_role("button", name="Grant").click()
    admin.wait_for_url("**?done=granted")

    assert api.get(f"/customers/{customer['id']}/credit-balance") == {
        "customer_id": customer["id"],
        "monetary": [{"currency": "USD", "amount": "30.00"}],
        "units": [{"metric_id": api.catalog.metric["id"], "amount": "500"}]}
    grants = api.get("/credit-grants", customer_id=customer["id"], sort="created_at:asc")["data"]
    assert [(g["type"], g["amount"], g["currency"], g["expires_at"], g["reason"], g["status"])
            for g in grants] == [
        ("monetary", "30.00", "USD", "2026-12-31T00:00:00Z", "Service outage on June 10",
         "active"),
        ("units", "500", None, None, "Referral", "active")]
    rows = admin.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("500 units")


def test_usage_wallets_and_payment_methods(api, admin) -> None:
    api.freeze(PERIOD_START)
    customer = api.customer()
    sub = api.subscription(customer, api.catalog.team)
    api.freeze(DAY_16)
    event = api.catalog.metric["event_name"]
    api.post("/events", {"events": [
        {"account": customer["id"], "event_name": event, "unique_id": f"{sub['id']}-{n}",
         "timestamp": f"2026-06-{1 + n % 3:02d}T12:00:00Z"} for n in range(7)]})
    api.post(f"/customers/{customer['id']}/payment-methods",
             {"type": "card", "details": {"brand": "visa", "last4": "4242"},
              "test_behavior": "succeed"}, 201)
    _open_customer(admin, customer)

    admin.get_by_role("link", name="Usage").click()
    usage = api.get(f"/customers/{customer['id']}/usage", group_by="day")["data"]
    assert [(u["metric_id"], u["value"]) for u in usage] == [(api.catalog.metric["id"], "7")]
    card = admin.get_by_role("region", name="API calls")
    expect(card).to_contain_text("Usage so far7 (count of")
    expect(card).to_contain_text("2026-06-01 00:00 UTC – 2026-07-01 00:00 UTC")
    chart = card.get_by_role("img", name="Daily API calls")
    bars = chart.locator("rect.bar title").all_text_contents()
    assert bars == [f"{point['date']}: {point['value']}" for point in usage[0]["series"]]
    assert bars[:4] == ["2026-06-01: 3", "2026-06-02: 2", "2026-06-03: 2", "2026-06-04: 0"]
    assert len(bars) == 30

    admin.get_by_role("link", name="Payment methods").click()
    row = admin.get_by_role("row").filter(has_text="Card")
    expect(row).to_contain_text("brand: visa, last4: 4242")
    expect(row).to_contain_text("Default")

    admin.get_by_role("link", name="Wallets").click()
    expect(admin.get_by_text("No wallets yet.")).to_be_visible()
    admin.get_by_role("button", name="Create Wallet").click()
    admin.wait_for_url("**/wallets?done=wallet")
    [wallet] = api.get("/wallets", customer_id=customer["id"])["data"]
    corrected(admin, "Top-up amount (USD)", "ten",
              'Money must be a decimal string such as "500.00".', "50.00", "Top up")
    admin.get_by_role("button", name="Top up").click()
    admin.wait_for_url("**/wallets?topped_up=*")
    [top_up] = api.get("/invoices", customer_id=customer["id"], kind="top_up")["data"]
    assert (top_up["total"], top_up["status"]) == ("50.00", "paid")
    expect(admin.get_by_role("status")).to_have_text(
        f"Top-up invoice {top_up['number']} for 50.00 USD: paid, and the wallet credited.")
    assert api.get(f"/wallets/{wallet['id']}")["current_balance"] == "50.00"
    expect(admin.get_by_role("region", name=f"USD wallet {wallet['id']}")).to_contain_text(
        "50.00 USD")


def test_every_control_on_these_pages_is_named(api, admin) -> None:
    """As on every other page: each input labelled, each button and link named, one heading,
    the sidebar marking the area."""
    customer = api.customer()
    sub = api.started(customer, api.catalog.team)
    customer_tabs = ["", "/invoices", "/usage", "/credits", "/credits/grant", "/wallets",
                     "/payment-methods", "/edit", "/subscriptions/new"]
    subscription_pages = ["", "/change-plan", "/update-quantity", "/edit", "/pause", "/cancel"]
    paths = ([(f"/dashboard/customers/{customer['id']}{tab}", "Customers") for tab in customer_tabs]
             + [(f"/dashboard/subscriptions/{sub['id']}{part}", "Subscriptions")
                for part in subscription_pages]
             + [("/dashboard/subscriptions?status=active", "Subscriptions")])
    for path, area in paths:
        assert admin.goto(path).status == 200, path
        assert admin.evaluate(UNNAMED) == [], path
        assert admin.locator("h1").count() == 1, path
        current = admin.get_by_role("navigation", name="Main").locator("[aria-current=page]")
        expect(current).to_have_text(area)


def test_create_portal_link_shows_a_link_that_opens_once(api, admin, open_page) -> None:
    customer = api.customer(email="ops@globex.example")
    _open_customer(admin, customer)
    admin.get_by_role("button", name="Create Portal Link").click()
    shown = admin.get_by_role("status").filter(has_text="Portal link created.")
    expect(shown).to_contain_text(f"Send it to {customer['name']}: it opens their billing "
                                  "portal once, until")
    url = admin.get_by_label("Portal link").text_content().strip()
    assert url.startswith(admin.url.split("/dashboard/")[0] + "/portal/open/")
    customer_page = open_page()
    customer_page.goto(url)
    customer_page.wait_for_url("**/portal/plan")
    expect(customer_page.get_by_role("heading", level=1)).to_have_text("Plan overview")
    again = open_page()
    assert again.goto(url).status == 410
