"""Sign-in in a real browser: required everywhere, wrong passwords refused, guessing throttled,
sign out; the session cookie never opens the API."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import expect

from kassa.services.sign_in import MAX_FAILURES_PER_EMAIL, THROTTLE_WINDOW
from tests.web.conftest import sign_in
from tests.web.server import PASSWORD

PAGES = ["/dashboard/", "/dashboard/customers", "/dashboard/subscriptions", "/dashboard/invoices",
         "/dashboard/approvals", "/dashboard/catalog", "/dashboard/catalog/plans",
         "/dashboard/catalog/metrics", "/dashboard/catalog/bundles",
         "/dashboard/catalog/products/new", "/dashboard/catalog/plans/new",
         "/dashboard/catalog/metrics/new", "/dashboard/catalog/bundles/new",
         "/dashboard/automations",
         "/dashboard/events", "/dashboard/settings", "/dashboard/settings/api-keys",
         "/dashboard/settings/team", "/dashboard/settings/approval-rules",
         "/dashboard/settings/approval-rules/new", "/dashboard/settings/invoicing",
         "/dashboard/settings/subscriptions", "/dashboard/settings/customer-portal",
         "/dashboard/clock", "/dashboard/automations/new", "/dashboard/automations/builder",
         "/dashboard/settings/email-templates",
         "/dashboard/settings/email-templates/payment_failed_first"]


def test_every_page_sends_a_stranger_to_sign_in_and_back(server, page) -> None:
    for path in PAGES:
        response = page.goto(path)
        assert response.status == 200 and page.url == (
            f"{server.url}/dashboard/sign-in?next={quote(path, safe='')}"), path
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.goto("/").url == f"{server.url}/dashboard/sign-in?next=%2Fdashboard%2F"
    # Signing in lands on the page that was asked for.
    page.goto("/dashboard/settings/team")
    page.get_by_label("Email").fill(server.user("viewer"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/settings/team")
    expect(page.get_by_role("heading", name="Team")).to_be_visible()


def test_a_wrong_password_is_refused(server, page) -> None:
    email = server.user("admin")
    page.goto("/dashboard/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    with page.expect_response("**/dashboard/sign-in") as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Email")).to_have_value(email)  # kept; the password is not
    expect(page.get_by_label("Password")).to_have_value("")
    assert [c["name"] for c in page.context.cookies()] == ["kassa_sign_in"]
    assert page.goto("/dashboard/customers").url.startswith(f"{server.url}/dashboard/sign-in")


def _attempt(page, email: str, password: str) -> int:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_response("**/dashboard/sign-in*") as answer:
        page.get_by_role("button", name="Sign in").click()
    return answer.value.status


def test_sign_in_is_throttled_after_repeated_failures(server, page) -> None:
    email = server.user("member")
    page.goto("/dashboard/sign-in")
    assert [_attempt(page, email, f"guess {i}") for i in range(MAX_FAILURES_PER_EMAIL)] == [
        401] * MAX_FAILURES_PER_EMAIL
    # Now even the right password is refused until the window has passed.
    with page.expect_response("**/dashboard/sign-in") as answer:
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 429
    assert 0 < int(answer.value.headers["retry-after"]) <= THROTTLE_WINDOW.total_seconds()
    expect(page.get_by_role("alert")).to_have_text(
        "Too many failed sign-ins. Try again in 15 minutes.")
    # Another user is not held up by this one's failures.
    assert _attempt(page, server.user("member"), PASSWORD) == 303
    page.wait_for_url("**/dashboard/")
    page.context.clear_cookies()
    server.clock.move(THROTTLE_WINDOW + timedelta(seconds=1))
    sign_in(page, email)
    expect(page.get_by_role("heading", name="Home")).to_be_visible()


def test_sign_out_ends_the_session(server, page) -> None:
    sign_in(page, server.user("viewer"))
    cookie = next(c for c in page.context.cookies() if c["name"] == "kassa_session")
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Lax", "/dashboard")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/dashboard/sign-in")
    assert page.goto("/dashboard/").url.startswith(f"{server.url}/dashboard/sign-in")
    # The old token is dead on the server too, not just forgotten by the browser.
    replay = httpx.get(f"{server.url}/dashboard/",
                       headers={"Cookie": f"kassa_session={cookie['value']}"})
    assert replay.status_code == 303 and "/dashboard/sign-in" in replay.headers["location"]


@pytest.mark.parametrize("path", ["/customers", "/clock"])
def test_a_dashboard_session_never_authenticates_the_api(server, page, path: str) -> None:
    sign_in(page, server.user("admin"))
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "kassa_session")
    cookie = {"Cookie": f"kassa_session={token}"}
    assert httpx.get(f"{server.url}/dashboard/", headers=cookie).status_code == 200
    # The browser keeps the cookie to /dashboard; sent to the API anyway, it opens nothing.
    answer = httpx.get(f"{server.url}{path}", headers=cookie)
    assert answer.status_code == 401
    assert answer.json()["detail"] == "Missing API key: send 'Authorization: Bearer <key>'."
