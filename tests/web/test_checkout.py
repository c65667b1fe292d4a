"""The hosted checkout in Chromium: a customer opens a checkout session's page, fills in the
billing details and a test card, is declined, tries a good card and lands on the seller's
success_url; every control named. On SQLite and PostgreSQL (the completion locks the session's
row and runs SQL of its own).

The success_url is the seller's site (https://shop.example.com), which the browser never
reaches: the context answers it itself (``context.route``), and every other request must stay
on Kassa's origin. Set KASSA_CHECKOUT_SHOTS to a directory to keep screenshots of the page at
1280 and 390 px.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import API_VERSION_HEADERS, BACKENDS
from tests.scenarios.seed_catalog import fixed
from tests.web.conftest import serve
from tests.web.server import Server
from tests.web.test_accessibility import UNNAMED

pytestmark = pytest.mark.both_backends

SHOP = "https://shop.example.com"
SUCCESS = f"{SHOP}/welcome?session={{CHECKOUT_SESSION_ID}}"
CANCEL = f"{SHOP}/pricing"
SHOTS = os.environ.get("KASSA_CHECKOUT_SHOTS")


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The module's own server: it freezes the sandbox clock and leaves subscriptions behind."""
    yield from serve(request.param, tmp_path_factory)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    headers = {**API_VERSION_HEADERS, "Authorization": f"Bearer {server.key('sandbox')}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        ok(client.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))
        ok(client.patch("/settings/company", json={"name": "Acme Analytics",
                                                    "email": "billing@acme.example"}))
        product = ok(client.post("/products", json={
            "name": "Analytics platform", "fee_type": "fixed",
            "billing_frequency": "recurring"}), 201)
        seats = ok(client.post("/products", json={
            "name": "Seats", "fee_type": "fixed", "billing_frequency": "recurring"}), 201)
        ok(client.post("/plans", json={
            "id": "pln_browserCheckout00000001", "name": "Growth", "currency": "USD",
            "description": "For teams that ship every week.", "items": [
                {"product_id": product["id"], "price": fixed("49.00", "advance")},
                {"product_id": seats["id"], "price": fixed("10.00", "advance", units=3)}]}), 201)
        yield client


@pytest.fixture
def shop_page(browser: Any, server: Server) -> Iterator[Any]:
    """``shop_page(width)``: a page in a new context whose requests stay on Kassa's origin but
    for the seller's site, which the context answers itself."""
    contexts: list = []
    outside: list[str] = []
    origin = urlsplit(server.url).netloc

    def new(width: int = 1280) -> Any:
        context = browser.new_context(base_url=server.url,
                                      viewport={"width": width, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        context.route(f"{SHOP}/**", lambda route: route.fulfill(
            status=200, content_type="text/html",
            body="<!doctype html><title>Welcome</title><h1>Welcome to Acme Analytics</h1>"))
        context.on("request", lambda r: None if urlsplit(r.url).netloc == origin
                   or r.url.startswith(SHOP) else outside.append(r.url))
        return context.new_page()

    yield new
    for context in contexts:
        context.close()
    assert outside == [], "the checkout loaded something from another host"


def new_session(api: httpx.Client, **fields: Any) -> dict:
    return ok(api.post("/checkout-sessions", json={
        "plan_id": "pln_browserCheckout00000001", "success_url": SUCCESS, "cancel_url": CANCEL,
        **fields}), 201)


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def fill_card(page: Any, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry date (MM/YY)").fill("12/30")
    page.get_by_label("Security code (CVC)").fill("123")


def test_checkout_declined_then_paid(api, shop_page, backend_name) -> None:
    session = new_session(api, customer={"email": "grace@example.com"})
    page = shop_page()
    page.goto(session["url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Subscribe to Growth")
    summary = page.get_by_role("region", name="Growth")
    expect(summary).to_contain_text("79.00 USD per month")
    expect(summary.get_by_role("table")).to_contain_text("Analytics platform")
    expect(page.get_by_role("link", name="Cancel and go back")).to_have_attribute("href", CANCEL)
    assert page.evaluate(UNNAMED) == []
    expect(page.get_by_label("Email")).to_have_value("grace@example.com")
    shot(page, f"checkout-desktop-{backend_name}")

    page.get_by_label("Name").fill("Grace Hopper")
    fill_card(page, "4000 0000 0000 0002")
    page.get_by_role("button", name="Subscribe and pay").click()
    number = page.get_by_label("Card number")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{number.get_attribute('aria-describedby')}")).to_have_text(
        "Your card was declined (card_declined: the test card was declined). Try another card.")
    expect(page.get_by_role("region", name="Growth")).to_contain_text("Due now: 79.00 USD")
    assert page.evaluate(UNNAMED) == []
    shot(page, f"checkout-declined-{backend_name}")
    assert ok(api.get(f"/checkout-sessions/{session['id']}"))["status"] == "open"

    fill_card(page, "4242 4242 4242 4242")
    page.get_by_role("button", name="Subscribe and pay").click()
    page.wait_for_url(f"{SHOP}/welcome?session={session['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to Acme Analytics")

    done = ok(api.get(f"/checkout-sessions/{session['id']}"))
    assert done["status"] == "complete"
    customer = ok(api.get(f"/customers/{done['customer_id']}"))
    assert (customer["name"], customer["email"]) == ("Grace Hopper", "grace@example.com")
    sub = ok(api.get(f"/subscriptions/{done['subscription_id']}"))
    assert sub["status"] == "active"
    invoice = ok(api.get(f"/invoices/{done['invoice_id']}"))
    assert (invoice["status"], invoice["total"], invoice["amount_paid"]) == (
        "paid", "79.00", "79.00")

    # Back on the page afterwards: it is complete, and says so.
    page.goto(session["url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout complete")
    expect(page.get_by_role("link", name="Continue to Acme Analytics")).to_have_attribute(
        "href", f"{SHOP}/welcome?session={session['id']}")
    shot(page, f"checkout-complete-{backend_name}")


def test_checkout_on_a_phone(api, shop_page, backend_name) -> None:
    session = new_session(api)
    page = shop_page(390)
    page.goto(session["url"])
    expect(page.get_by_role("button", name="Subscribe and pay")).to_be_visible()
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, f"checkout-phone-{backend_name}")
    page.get_by_label("Name").fill("Alan Turing")
    page.get_by_label("Email").fill("alan@example.com")
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name="Subscribe and pay").click()
    page.wait_for_url(f"{SHOP}/welcome?session={session['id']}")
    assert ok(api.get(f"/checkout-sessions/{session['id']}"))["status"] == "complete"


def test_an_expired_checkout_is_a_410_page(api, shop_page, server) -> None:
    from datetime import timedelta

    session = new_session(api, expires_in=1800)
    page = shop_page()
    server.clock.move(timedelta(minutes=31))
    answer = page.goto(session["url"])
    assert answer.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This checkout has expired")
    # In the seller's layout, the way back its cancel_url.
    expect(page.get_by_role("link", name="Back to Acme Analytics")).to_have_attribute(
        "href", CANCEL)
    shot(page, f"checkout-expired-{server.kassa.engine.dialect.name}")


@pytest.fixture
def backend_name(server: Server) -> str:
    return server.kassa.engine.dialect.name
