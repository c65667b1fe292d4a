"""Screenshots of every dashboard page, to look at after changing a page or the stylesheet.

    .venv/bin/python scripts/dashboard_screenshots.py [OUT_DIR]   (default: ./screenshots)

Starts Kassa on a scratch SQLite database on a free loopback port, fills it with a little data,
signs in with Debian's Chromium (/usr/bin/chromium) and saves one PNG per page, as an admin and
as a viewer, in the sandbox and in production.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from kassa.services import customers  # noqa: E402
from tests.conftest import API_VERSION_HEADERS  # noqa: E402
from tests.scenarios.seed_catalog import fixed  # noqa: E402
from tests.web.server import PASSWORD, start  # noqa: E402

PAGES = ["", "customers", "subscriptions", "invoices", "approvals", "catalog", "automations",
         "events", "settings", "settings/api-keys", "settings/team", "settings/invoicing",
         "settings/subscriptions", "settings/customer-portal", "clock"]


def main(out: Path) -> None:
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
            seeded = _seed_billing(server, admin)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
                for who, email in (("admin", admin), ("viewer", viewer)):
                    page = browser.new_page(base_url=server.url,
                                            viewport={"width": 1280, "height": 860})
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
                    if who == "admin":
                        _actions(page, out)
                    page.close()
                browser.close()
        finally:
            server.stop()
    print(f"Screenshots in {out}")


def _seed_billing(server, admin: str) -> dict[str, str]:  # noqa: ANN001
    """Invoices (one whose card was declined, one paid with a partial refund), a subscription
    held for approval by a rule naming ``admin``, and usage events, through the API."""
    api = httpx.Client(base_url=server.url, headers={
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
    ok(api.post("/metrics", json={
        "name": "API calls", "event_name": "api_call", "aggregation": {"method": "sum", "field": "n"},
        "filter_groups": [{"operator": "and", "filters": [
            {"field": "region", "operator": "equal", "value": "eu"}]}]}))
    ok(api.post("/events", json={"events": [
        {"account": acme["id"], "event_name": "api_call", "unique_id": f"evt-{n:03d}",
         "properties": {"n": n, "region": "eu" if n % 3 else "us"}} for n in range(1, 8)]
        + [{"account": "unknown-account", "event_name": "api_call", "unique_id": "evt-orphan",
            "properties": {"n": 1, "region": "eu"}}]}))
    approval = ok(api.get("/approvals"))["data"][0]
    api.close()
    return {"failed": failed["id"], "paid": paid["id"], "approval": approval["id"],
            "rule": approval["rule_id"]}


def _billing_pages(page, out: Path, who: str, seeded: dict[str, str]) -> None:  # noqa: ANN001
    """The invoice, approval and event pages with data, and (admins) the action forms."""
    shots = [("invoices-payment-failed", "invoices?status=payment_failed"),
             ("invoice-failed", f"invoices/{seeded['failed']}"),
             ("invoice-paid", f"invoices/{seeded['paid']}"),
             ("approval-review", f"approvals/{seeded['approval']}"),
             ("approval-rules", "settings/approval-rules"),
             ("approval-rule", f"settings/approval-rules/{seeded['rule']}"),
             ("event-filtered-out", "events/evt-003"), ("event-no-customer", "events/evt-orphan")]
    if who == "admin":
        shots += [("invoice-refund-form", f"invoices/{seeded['paid']}?open=refund"),
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
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("screenshots"))
