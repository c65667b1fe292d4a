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

from kassa.services import customers  # noqa: E402
from tests.web.server import PASSWORD, start  # noqa: E402

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
                    if who == "admin":
                        _actions(page, out)
                    page.close()
                browser.close()
        finally:
            server.stop()
    print(f"Screenshots in {out}")


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
