"""Moves of the Stripe stories: a customer adds a payment method through the portal's Billing
information page and Stripe's hosted setup (the fake's page), Stripe's webhooks delivered."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from tests.fakes.stripe_fake import FakeStripe
from tests.scenarios.seed_catalog import ok


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def open_portal(api: TestClient, customer_id: str) -> None:
    """Sign the test client in to the customer's portal (its cookie kept by the client)."""
    link = ok(api.post("/customer-portal-sessions", json={"customer_id": customer_id}), 201)
    opened = api.get(link["url"])
    assert opened.status_code == 200, opened.text


def start_setup(api: TestClient, customer_id: str) -> str:
    """Billing information → Add a payment method: the address of Stripe's hosted page."""
    open_portal(api, customer_id)
    page = api.get("/portal/billing")
    assert page.status_code == 200 and "payment provider" in page.text, page.text
    answer = api.post("/portal/billing/payment-methods/hosted",
                      data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def add_method(api: TestClient, fake: FakeStripe, customer_id: str, method: str) -> dict:
    """The customer saves ``method`` on Stripe's page; Stripe's webhooks attach it. The new
    payment method as the API shows it."""
    target = start_setup(api, customer_id)
    assert target.startswith(fake.base + "/setup/cs_test_")
    saved = httpx.post(target, data={"method": method}, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("/portal/billing?done=setup")
    statuses = fake.deliver()
    assert [s for _, s in statuses] == [200, 200], statuses
    methods = ok(api.get(f"/customers/{customer_id}/payment-methods"))["data"]
    return methods[-1]


def payments_of(api: TestClient, invoice_id: str) -> list[dict]:
    return ok(api.get("/payments", params={"invoice_id": invoice_id,
                                           "sort": "created_at:asc"}))["data"]
