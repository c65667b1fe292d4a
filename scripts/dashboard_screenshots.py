"""Screenshots of every dashboard page, to look at after changing a page or the stylesheet.

    .venv/bin/python scripts/dashboard_screenshots.py [OUT_DIR]   (default: ./screenshots)

Starts Kassa on a scratch SQLite database on a free loopback port, fills it with a little data,
signs in with Debian's Chromium (/usr/bin/chromium) and saves one PNG per page, as an admin and
as a viewer, in the sandbox and in production; a customer's and a subscription's pages are named
``*-customer-*.png`` and ``*-subscription-*.png``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kassa.services import customers  # noqa: E402
from tests.web.server import PASSWORD, Server, start  # noqa: E402

PAGES = ["", "customers", "subscriptions", "invoices", "approvals", "catalog", "automations",
         "events", "settings", "settings/api-keys", "settings/team", "clock"]


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
            server.key("sandbox")
            pages = PAGES + _billing(server)
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
                    for path in pages:
                        page.goto(f"/dashboard/{path}")
                        name = _name(path)
                        page.screenshot(path=out / f"{who}-{name}.png", full_page=True)
                    if who == "admin":
                        _actions(page, out)
                    page.close()
                browser.close()
        finally:
            server.stop()
    print(f"Screenshots in {out}")


def _name(path: str) -> str:
    """The PNG's name of ``path``: ids replaced by what they are."""
    for ident, what in IDS.items():
        path = path.replace(ident, what)
    return path.replace("/", "-").replace("?", "-").replace("=", "-") or "home"


IDS: dict[str, str] = {}


def _billing(server: Server) -> list[str]:
    """A customer on a plan with seats and usage, at day 16 of June 2026 (the sandbox clock
    frozen), and the pages of the customer and the subscription."""
    import httpx

    from tests.scenarios.seed_catalog import fixed, per_seat

    headers = {"Alguna-Version": "2026-04-01", "Authorization": f"Bearer {server.key('sandbox')}"}
    api = httpx.Client(base_url=server.url, headers=headers)

    def post(path: str, body: dict) -> dict:
        answer = api.post(path, json=body)
        assert answer.status_code < 300, answer.text
        return answer.json()

    post("/clock/freeze", {"at": "2026-06-01T00:00:00Z"})
    customer = post("/customers", {"name": "Initech", "email": "ap@initech.example",
                                   "segment": "enterprise", "tags": ["vip"]})
    metric = post("/metrics", {"name": "API calls", "event_name": "api_call",
                               "aggregation": {"method": "count"}})
    platform, seats = (post("/products", {"name": name, "fee_type": "fixed",
                                          "billing_frequency": "recurring"})
                       for name in ("Platform", "Seats"))
    usage = post("/products", {"name": "API usage", "fee_type": "metered",
                               "metric_ids": [metric["id"]]})
    metered = {"type": "unit", "billing_interval": "monthly", "fee_type": "metered",
               "billing_direction": "arrears", "metric_ids": [metric["id"]],
               "unit_pricing_model": {"price_per_unit": "0.01"}}
    team = post("/plans", {"name": "Team", "currency": "USD", "items": [
        {"product_id": platform["id"], "price": fixed("99.00", "advance")},
        {"product_id": seats["id"], "price": per_seat("20.00", "advance"), "quantity": 10},
        {"product_id": usage["id"], "price": metered}]})
    post("/plans", {"name": "Business", "currency": "USD", "items": [
        {"product_id": platform["id"], "price": fixed("199.00", "advance")},
        {"product_id": seats["id"], "price": per_seat("20.00", "advance"), "quantity": 10},
        {"product_id": usage["id"], "price": metered}]})
    sub = post("/subscriptions", {"customer_id": customer["id"], "plan_id": team["id"],
                                  "auto_activate": True})
    post("/subscriptions", {"customer_id": customer["id"], "plan_id": team["id"],
                            "name": "Team (EMEA)"})
    post("/clock/freeze", {"at": "2026-06-16T00:00:00Z"})
    post("/events", {"events": [{"account": customer["id"], "event_name": "api_call",
                                 "unique_id": f"call-{n}",
                                 "timestamp": f"2026-06-{1 + n % 16:02d}T{n % 24:02d}:00:00Z"}
                                for n in range(300) if n % 16 < 15 - n % 5]})
    post(f"/customers/{customer['id']}/payment-methods",
         {"type": "card", "details": {"brand": "visa", "last4": "4242"}, "test_behavior": "succeed"})
    post("/credit-grants", {"customer_id": customer["id"], "amount": "30.00",
                            "reason": "Service outage on June 10"})
    wallet = post("/wallets", {"customer_id": customer["id"]})
    post(f"/wallets/{wallet['id']}/top-up", {"amount": "50.00"})
    api.close()
    IDS.update({customer["id"]: "customer", sub["id"]: "subscription"})
    return [f"customers/{customer['id']}{tab}" for tab in (
        "", "/invoices", "/usage", "/credits", "/credits/grant", "/wallets", "/payment-methods",
        "/edit", "/subscriptions/new")] + [f"subscriptions/{sub['id']}{part}" for part in (
        "", "/change-plan", "/update-quantity", "/edit", "/pause", "/cancel")] + [
        "subscriptions?status=active"]


def _subscription_actions(page, out: Path) -> None:  # noqa: ANN001
    """Change Plan's preview, a refused input, and a scheduled cancellation."""
    sub = next(ident for ident, what in IDS.items() if what == "subscription")
    page.goto(f"/dashboard/subscriptions/{sub}/change-plan")
    page.get_by_label("New plan").select_option(label="Business")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Confirm").wait_for()
    page.screenshot(path=out / "admin-change-plan-preview.png", full_page=True)
    page.goto(f"/dashboard/subscriptions/{sub}/update-quantity")
    page.get_by_label("New seat count").fill("-2")
    page.get_by_role("button", name="Preview").click()
    page.get_by_text("greater than or equal to 0").wait_for()
    page.screenshot(path=out / "admin-update-quantity-error.png", full_page=True)
    page.goto(f"/dashboard/subscriptions/{sub}/cancel")
    page.get_by_label("Cancellation reason (optional)").select_option(label="Price")
    page.get_by_label("Note (optional)").fill("Budget cut for Q3")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**?done=cancel_scheduled")
    page.screenshot(path=out / "admin-subscription-cancel-scheduled.png", full_page=True)


def _actions(page, out: Path) -> None:  # noqa: ANN001
    """The pages as an action leaves them: a new key, an invitation, an error, an advance."""
    _subscription_actions(page, out)
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
