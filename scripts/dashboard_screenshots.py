"""Screenshots of every dashboard page, to look at after changing a page or the stylesheet.

    .venv/bin/python scripts/dashboard_screenshots.py [OUT_DIR] [--narrow]   (default: ./screenshots)

``--narrow``: a phone's window (390 px wide) instead of a desktop's (1280 px).

Starts Kassa on a scratch SQLite database on a free loopback port, fills it with a little data,
signs in with Debian's Chromium (/usr/bin/chromium) and saves one PNG per page, as an admin and
as a viewer, in the sandbox and in production.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from kassa.services import customers  # noqa: E402
from tests.conftest import API_VERSION_HEADERS  # noqa: E402
from tests.scenarios.mrr_story import story  # noqa: E402
from tests.scenarios.seed_catalog import fixed  # noqa: E402
from tests.web.server import PASSWORD, start  # noqa: E402

PAGES = ["", "customers", "subscriptions", "invoices", "approvals", "catalog", "catalog/plans",
         "catalog/metrics", "catalog/bundles", "automations", "events", "settings",
         "settings/api-keys", "settings/team", "settings/invoicing", "settings/subscriptions",
         "settings/customer-portal", "settings/company", "clock", "automations/new",
         "settings/email-templates",
         "settings/email-templates/payment_failed_first"]
# The catalog's forms (members and admins only).
FORMS = ["catalog/products/new", "catalog/plans/new", "catalog/metrics/new", "catalog/bundles/new"]


def main(out: Path, width: int = 1280) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        server = start(f"sqlite:///{scratch}/kassa.db")
        try:
            admin, viewer = server.user("admin"), server.user("viewer")
            ctx = server.kassa.ctx("sandbox")
            for n, (name, email) in enumerate([("Acme Corp", "billing@acme.example"),
                                                ("Big Co", "ap@bigco.example"),
                                                ("Globex", None)] * 10):
                customers.create_customer(ctx, {"name": f"{name} {n + 1}", "email": email,
                                                "segment": "enterprise" if n % 3 else None})
            _seed_history(server)
            seeded = _seed_billing(server, admin)
            seeded |= _seed_automations(server)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
                for who, email in (("admin", admin), ("viewer", viewer)):
                    page = browser.new_page(base_url=server.url,
                                            viewport={"width": width, "height": 860})
                    page.goto("/dashboard/sign-in")
                    page.screenshot(path=out / "sign-in.png")
                    page.get_by_label("Email").fill(email)
                    page.get_by_label("Password").fill(PASSWORD)
                    page.get_by_role("button", name="Sign in").click()
                    page.wait_for_url("**/dashboard/")
                    for path in PAGES:
                        page.goto(f"/dashboard/{path}")
                        name = path.replace("/", "-") or "home"
                        page.screenshot(path=out / f"{who}-{name}.png", full_page=True)
                    _billing_pages(page, out, who, seeded)
                    _automation_pages(page, out, who, seeded)
                    if who == "admin":
                        _actions(page, out)
                    page.close()
                browser.close()
        finally:
            server.stop()
    print(f"Screenshots in {out}")


def _seed_history(server) -> None:  # noqa: ANN001
    """Home's figures: tests/scenarios/mrr_story.py from January, then the clock advanced to
    now, so the months since bill their renewals."""
    with httpx.Client(base_url=server.url, timeout=120, headers={
            **API_VERSION_HEADERS, "Authorization": f"Bearer {server.key('sandbox')}"}) as api:
        story(api)
        now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        assert api.post("/clock/advance", json={"to": now}).status_code == 200


def _seed_billing(server, admin: str) -> dict[str, str]:  # noqa: ANN001
    """Invoices (one whose card was declined, one paid with a partial refund), a subscription
    held for approval by a rule naming ``admin``, and usage events, through the API."""
    api = httpx.Client(base_url=server.url, timeout=60, headers={
        **API_VERSION_HEADERS, "Authorization": f"Bearer {server.key('sandbox')}"})

    def ok(answer: httpx.Response) -> dict:
        assert answer.status_code < 300, answer.text
        return answer.json()

    acme = ok(api.post("/customers", json={"name": "Northwind Traders",
                                           "email": "ap@northwind.example"}))
    ok(api.post(f"/customers/{acme['id']}/payment-methods", json={
        "type": "card", "details": {"brand": "visa", "last4": "4242"},
        "test_behavior": "decline_once"}))
    failed = ok(api.post("/invoices", json={"customer_id": acme["id"], "auto_pay": True, "lines": [
        {"description": "Onboarding workshop", "amount": "1200.00"},
        {"description": "Data migration", "quantity": "3", "unit_amount": "150.00"}]}))
    paid = ok(api.post("/invoices", json={"customer_id": acme["id"], "auto_pay": True, "lines": [
        {"description": "Support retainer", "amount": "300.00"}]}))
    assert paid["status"] == "paid"  # the card declines only its first charge
    ok(api.post("/credit-notes", json={"invoice_id": paid["id"], "amount": "50.00",
                                       "reason": "service_issue", "resolution": "refund"}))
    ok(api.post("/approval-rules", json={
        "name": "Large deals", "conditions": [{"type": "mrr_exceeds", "value": "5000.00"}],
        "approvers": {"names": [admin, "cfo@example.com"], "strategy": "any"}}))
    product = ok(api.post("/products", json={"name": "Platform", "fee_type": "fixed",
                                             "billing_frequency": "recurring"}))
    sub = ok(api.post("/subscriptions", json={
        "customer_id": acme["id"], "currency": "USD", "name": "Northwind Enterprise",
        "contract": {"period_type": "fixed", "duration_months": 24},
        "items": [{"product_id": product["id"], "price": fixed("7500.00")}]}))
    ok(api.post(f"/subscriptions/{sub['id']}/activate"))
    metric = ok(api.post("/metrics", json={
        "name": "API calls", "event_name": "api_call", "aggregation": {"method": "sum", "field": "n"},
        "filter_groups": [{"operator": "and", "filters": [
            {"field": "region", "operator": "equal", "value": "eu"}]}]}))
    ok(api.post("/events", json={"events": [
        {"account": acme["id"], "event_name": "api_call", "unique_id": f"evt-{n:03d}",
         "properties": {"n": n, "region": "eu" if n % 3 else "us"}} for n in range(1, 8)]
        + [{"account": "unknown-account", "event_name": "api_call", "unique_id": "evt-orphan",
            "properties": {"n": 1, "region": "eu"}}]}))
    approval = ok(api.get("/approvals"))["data"][0]
    # A webhook endpoint nobody listens at: its deliveries fail six times over three days.
    endpoint = ok(api.post("/webhook-endpoints", json={
        "url": "http://127.0.0.1:9/hooks", "description": "Provisioning",
        "event_types": ["customer.created", "invoice.paid"]}))
    now = ok(api.get("/clock"))["now"]
    ok(api.post("/clock/freeze", json={"at": now}))
    ok(api.post("/customers", json={"name": "Initech", "email": "ap@initech.example"}))
    later = (datetime.fromisoformat(now) + timedelta(days=3)).isoformat()
    ok(api.post("/clock/advance", json={"to": later}))
    message = ok(api.get(f"/webhook-endpoints/{endpoint['id']}/messages"))["data"][0]
    catalog = _seed_catalog(api, product, metric)
    api.close()
    return {"failed": failed["id"], "paid": paid["id"], "approval": approval["id"],
            "rule": approval["rule_id"], "endpoint": endpoint["id"], "message": message["id"],
            "customer": acme["id"], "subscription": sub["id"], **catalog}


def _seed_catalog(api: httpx.Client, platform: dict, metric: dict) -> dict[str, str]:
    """A metered product, a plan with a flat fee and volume tiers, and a bundle."""
    def ok(answer: httpx.Response) -> dict:
        assert answer.status_code < 300, answer.text
        return answer.json()

    usage = ok(api.post("/products", json={"name": "API usage", "fee_type": "metered",
                                           "metric_ids": [metric["id"]], "sku": "API-1"}))
    support = ok(api.post("/products", json={"name": "Premium support", "fee_type": "fixed",
                                             "billing_frequency": "recurring"}))
    tiers = [{"min_units": 0, "max_units": 10000, "price_per_unit": "0.010"},
             {"min_units": 10001, "max_units": 100000, "price_per_unit": "0.008"},
             {"min_units": 100001, "price_per_unit": "0.005", "fixed_fee": "25.00"}]
    plan = ok(api.post("/plans", json={
        "name": "Growth", "description": "Platform fee and API usage", "currency": "USD",
        "contract": {"period_type": "fixed", "duration_months": 12},
        "billing": {"payment_terms": "net_30"},
        "items": [{"product_id": platform["id"], "price": fixed("499.00", "advance")},
                  {"product_id": usage["id"], "price": {
                      "type": "tiered", "metric_ids": [metric["id"]],
                      "tiered_pricing_model": {"tiers": tiers}}}]}))
    bundle = ok(api.post("/bundles", json={"name": "Success pack", "items": [
        {"product_id": platform["id"], "price": fixed("99.00", "advance")},
        {"product_id": support["id"], "price": {
            "type": "unit", "fee_type": "fixed", "billing_frequency": "recurring",
            "unit_pricing_model": {"price_per_unit": "15.00"}}, "quantity": 5}]}))
    return {"product": usage["id"], "plan": plan["id"], "bundle": bundle["id"],
            "metric": metric["id"]}


def _seed_automations(server) -> dict[str, str]:  # noqa: ANN001
    """The dunning template (active), a manual automation run once with a second version in
    draft, and a paused one, through the API."""
    api = httpx.Client(base_url=server.url, headers={
        **API_VERSION_HEADERS, "Authorization": f"Bearer {server.key('sandbox')}"})

    def ok(answer: httpx.Response) -> dict:
        assert answer.status_code < 300, answer.text
        return answer.json()

    dunning = ok(api.post("/automations", json={"template": "payment_dunning"}))
    ok(api.post(f"/automations/{dunning['id']}/activate"))
    tagging = ok(api.post("/automations", json={
        "name": "Tag reviewed accounts", "trigger": {"type": "manual"},
        "conditions": {"field": "customer.segment", "operator": "equals", "value": "enterprise"},
        "steps": [{"type": "action", "action": "add_tag", "tag": "reviewed"},
                  {"type": "action", "action": "sync_to_crm",
                   "onError": [{"type": "action", "action": "create_task",
                                "message": "Sync {{customer.name}} by hand"}]}]}))
    ok(api.post(f"/automations/{tagging['id']}/activate"))
    customer = ok(api.get("/customers", params={"limit": 1, "segment": "enterprise"}))["data"][0]
    run = ok(api.post(f"/automations/{tagging['id']}/run",
                      json={"trigger": {"customer": {"id": customer["id"]}}}))
    ok(api.post(f"/automations/{tagging['id']}/versions", json={
        "name": "Tag reviewed accounts", "trigger": {"type": "schedule", "cron": "0 9 * * 1",
                                                     "timezone": "Europe/Berlin"},
        "steps": [{"type": "action", "action": "add_tag", "tag": "reviewed"}]}))
    welcome = ok(api.post("/automations", json={"template": "welcome_series"}))
    ok(api.post(f"/automations/{welcome['id']}/activate"))
    ok(api.post(f"/automations/{welcome['id']}/pause"))
    api.close()
    return {"dunning": dunning["id"], "tagging": tagging["id"], "run": run["execution_id"]}


def _automation_pages(page, out: Path, who: str, seeded: dict[str, str]) -> None:  # noqa: ANN001
    """An automation's tabs, a run's step log and (admins) a test result and a refused
    definition."""
    base = f"automations/{seeded['tagging']}"
    for name, path in [("automation-dunning", f"automations/{seeded['dunning']}"),
                       ("automation", base), ("automation-executions", f"{base}/executions"),
                       ("automation-execution", f"{base}/executions/{seeded['run']}"),
                       ("automation-versions", f"{base}/versions")]:
        page.goto(f"/dashboard/{path}")
        page.screenshot(path=out / f"{who}-{name}.png", full_page=True)
    if who != "admin":
        return
    page.goto(f"/dashboard/automations/{seeded['dunning']}")
    page.get_by_role("button", name="Test Automation").click()
    page.get_by_role("heading", name="Test result").wait_for()
    page.screenshot(path=out / "admin-automation-tested.png", full_page=True)
    page.goto("/dashboard/automations/new")
    editor = page.get_by_label("Definition (YAML or JSON)")
    editor.fill(editor.input_value().replace("create_task", "create_tsk"))
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("alert", name="Errors in the definition").wait_for()
    page.screenshot(path=out / "admin-automation-editor-error.png", full_page=True)
    page.goto(f"/dashboard/{base}/versions/new")
    page.screenshot(path=out / "admin-automation-new-version.png", full_page=True)
    page.goto("/dashboard/settings/email-templates/payment_failed_first")
    page.get_by_label("Body (HTML)").fill("<p>{% if %}</p>")
    page.get_by_role("button", name="Save template").click()
    page.get_by_text("is not a valid template").wait_for()
    page.screenshot(path=out / "admin-email-template-error.png", full_page=True)
    _builder_pages(page, out)


def _builder_pages(page, out: Path) -> None:  # noqa: ANN001
    """Create Automation → From Scratch, each step of the guided builder (a refusal too)."""
    def shot(name: str) -> None:
        page.screenshot(path=out / f"admin-automation-builder-{name}.png", full_page=True)

    page.goto("/dashboard/automations/builder")
    shot("trigger")
    page.get_by_label("Name").fill("Big invoices")
    page.get_by_label("Event", exact=True).select_option("invoice.issued")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Add Condition").click()
    page.get_by_label("Field").fill("invoice.amount")
    page.get_by_label("Operator").select_option("greater_than")
    page.get_by_label("Value").fill("a lot")
    page.get_by_role("button", name="Next").click()
    shot("conditions-error")
    page.get_by_label("Value").fill("1000")
    page.get_by_role("button", name="Next").click()
    for kind, label, value in [("Send Email", None, None), ("Wait", "Wait for", "3d"),
                               ("Add Condition", "If", "{{invoice.status}} == 'unpaid'"),
                               ("Retry Payment", None, None)]:
        page.get_by_label(kind, exact=True).check()
        page.get_by_role("button", name="Add Action").click()
        if label:
            page.get_by_label(label, exact=True).fill(value)
        if kind == "Retry Payment":
            shot("configure")
        page.get_by_role("button", name="Add step").click()
    shot("actions")


def _billing_pages(page, out: Path, who: str, seeded: dict[str, str]) -> None:  # noqa: ANN001
    """The invoice, approval and event pages with data, and (admins) the action forms."""
    shots = [("invoices-payment-failed", "invoices?status=payment_failed"),
             ("invoice-failed", f"invoices/{seeded['failed']}"),
             ("invoice-paid", f"invoices/{seeded['paid']}"),
             ("approval-review", f"approvals/{seeded['approval']}"),
             ("approval-rules", "settings/approval-rules"),
             ("approval-rule", f"settings/approval-rules/{seeded['rule']}"),
             ("event-filtered-out", "events/evt-003"), ("event-no-customer", "events/evt-orphan"),
             ("customer", f"customers/{seeded['customer']}"),
             ("customer-invoices", f"customers/{seeded['customer']}/invoices"),
             ("customer-usage", f"customers/{seeded['customer']}/usage"),
             ("customer-credits", f"customers/{seeded['customer']}/credits"),
             ("customer-wallets", f"customers/{seeded['customer']}/wallets"),
             ("customer-payment-methods", f"customers/{seeded['customer']}/payment-methods"),
             ("subscription", f"subscriptions/{seeded['subscription']}"),
             ("webhooks", "settings/webhooks"),
             ("webhook-failed-events", f"settings/webhooks/{seeded['endpoint']}"),
             ("webhook-delivery-logs", f"settings/webhooks/{seeded['endpoint']}?tab=logs"),
             ("webhook-message",
              f"settings/webhooks/{seeded['endpoint']}/messages/{seeded['message']}"),
             ("catalog-product", f"catalog/products/{seeded['product']}"),
             ("catalog-plan", f"catalog/plans/{seeded['plan']}"),
             ("catalog-metric", f"catalog/metrics/{seeded['metric']}"),
             ("catalog-bundle", f"catalog/bundles/{seeded['bundle']}")]
    if who == "admin":
        shots += [(path.replace("/", "-"), path) for path in FORMS]
        shots += [(f"catalog-{kind}-edit", f"catalog/{kind}s/{seeded[kind]}/edit")
                  for kind in ("product", "plan", "metric", "bundle")]
    if who == "admin":
        sub = f"subscriptions/{seeded['subscription']}"
        shots += [("customer-edit", f"customers/{seeded['customer']}/edit"),
                  ("customer-grant-credits", f"customers/{seeded['customer']}/credits/grant"),
                  ("add-subscription", f"customers/{seeded['customer']}/subscriptions/new"),
                  ("subscription-change-plan", f"{sub}/change-plan"),
                  ("subscription-update-quantity", f"{sub}/update-quantity"),
                  ("subscription-edit", f"{sub}/edit"), ("subscription-pause", f"{sub}/pause"),
                  ("subscription-cancel", f"{sub}/cancel"),
                  ("invoice-refund-form", f"invoices/{seeded['paid']}?open=refund"),
                  ("invoice-void-form", f"invoices/{seeded['failed']}?open=void")]
    for name, path in shots:
        page.goto(f"/dashboard/{path}")
        page.screenshot(path=out / f"{who}-{name}.png", full_page=True)
    if who == "admin":
        page.goto(f"/dashboard/invoices/{seeded['paid']}?open=refund")
        page.get_by_label("Refund amount (USD)").fill("500.00")
        page.get_by_role("button", name="Confirm").click()
        page.get_by_text("left to credit").wait_for()
        page.screenshot(path=out / "admin-invoice-refund-error.png", full_page=True)
        _new_plan(page, out)


def _new_plan(page, out: Path) -> None:  # noqa: ANN001
    """New Plan filled in, with a volume-tiered item whose tier amount is refused."""
    page.goto("/dashboard/catalog/plans/new")
    page.get_by_label("Name", exact=True).fill("Scale")
    item = page.get_by_role("group", name="Item 1", exact=True)
    item.get_by_label("Product").select_option(label="API usage (metered)")
    with page.expect_response(lambda r: r.request.method == "POST"):
        item.get_by_label("Price type").select_option(label="Volume tiers")
    item.get_by_label("Fee type").select_option("metered")
    item.get_by_label("Metric (metered prices)").select_option(label="API calls")
    item.get_by_label("Tier 1 from").fill("0")
    item.get_by_label("Tier 1 up to").fill("1000")
    item.get_by_label("Tier 1 price per unit").fill("0.10")
    item.get_by_label("Tier 2 from").fill("1000")
    item.get_by_label("Tier 2 price per unit").fill("ten cents")
    page.get_by_role("button", name="Create Plan", exact=True).click()
    page.get_by_text("Money must be").wait_for()
    page.screenshot(path=out / "admin-catalog-plan-errors.png", full_page=True)


def _actions(page, out: Path) -> None:  # noqa: ANN001
    """The pages as an action leaves them: a new key, an invitation, an error, an advance."""
    page.goto("/dashboard/settings/api-keys")
    page.get_by_label("Key name").fill("Billing sync")
    page.get_by_role("button", name="Create API Key").click()
    page.get_by_label("New API key").wait_for()
    page.screenshot(path=out / "admin-api-key-created.png", full_page=True)
    page.goto("/dashboard/settings/team")
    page.get_by_role("region", name="Invite a user").get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Invite user").click()
    page.get_by_text("is not an email address").wait_for()
    page.screenshot(path=out / "admin-team-error.png", full_page=True)
    page.get_by_role("region", name="Invite a user").get_by_label("Email").fill("new@example.com")
    page.get_by_role("button", name="Invite user").click()
    page.get_by_label("Password of new@example.com").wait_for()
    page.screenshot(path=out / "admin-team-invited.png", full_page=True)
    clock = page.get_by_role("form", name="Sandbox clock")
    clock.get_by_label("Sandbox time (UTC)").fill("2031-01-01T00:00:00")
    clock.get_by_role("button", name="Freeze").click()
    page.wait_for_url("**/dashboard/clock")
    clock = page.get_by_role("form", name="Sandbox clock")
    clock.get_by_label("Sandbox time (UTC)").fill("2031-03-01T00:00:00")
    clock.get_by_role("button", name="Advance").click()
    page.get_by_role("heading", name="Advanced to 2031-03-01 00:00 UTC").wait_for()
    page.screenshot(path=out / "admin-clock-advanced.png", full_page=True)
    page.goto("/dashboard/customers?q=acme")
    page.get_by_role("button", name="Production").click()
    page.wait_for_url("**/dashboard/customers?q=acme")
    page.screenshot(path=out / "admin-production-customers.png", full_page=True)
    page.goto("/dashboard/nowhere")
    page.screenshot(path=out / "admin-not-found.png", full_page=True)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--narrow"]
    main(Path(args[0]) if args else Path("screenshots"), 390 if "--narrow" in sys.argv else 1280)
