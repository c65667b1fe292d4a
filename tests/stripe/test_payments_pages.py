"""Settings → Payments in the dashboard, and the portal's Billing information page with Stripe:
the hosted setup in place of test cards, its link, and what a customer cannot do through it."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from kassa.bootstrap import asgi_app, build
from kassa.clock import utcnow
from kassa.config import Settings
from kassa.services import users
from tests.scenarios.seed_catalog import ok
from tests.stripe.helpers import csrf, open_portal, start_setup
from tests.web.server import PASSWORD, form_token

CUSTOMER = "wcqYrqfE"


def signed_in(kassa) -> TestClient:
    client = TestClient(asgi_app(kassa), follow_redirects=False, raise_server_exceptions=False)
    users.create_user(kassa.engine, "viewer@example.com", "viewer", utcnow(), PASSWORD)
    token = form_token(client.get("/dashboard/sign-in").text)
    assert client.post("/dashboard/sign-in", data={
        "csrf_token": token, "email": "viewer@example.com", "password": PASSWORD,
    }).status_code == 303
    return client


def words(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_settings_payments_shows_each_environments_processor_and_methods(kassa) -> None:
    client = signed_in(kassa)
    page = client.get("/dashboard/settings/payments")
    assert page.status_code == 200
    text = words(page.text)
    assert "Sandbox: Stripe (test mode)" in text and "Production: Stripe (test mode)" in text
    assert re.findall(r'data-method="(\w+)"', page.text) == ["card", "ach", "sepa", "wire"] * 2
    assert ("http://testserver/integrations/stripe/webhooks/sandbox" in text
            and "http://testserver/integrations/stripe/webhooks/production" in text)
    assert "Signing secret: configured" in text
    assert "Payments" in words(client.get("/dashboard/settings").text)


@pytest.fixture
def plain(settings: Settings, engine):
    """An installation without Stripe: the sandbox simulator and no production processor."""
    from tests.conftest import wipe

    wipe(engine)
    app = build(Settings(database_url=settings.database_url, embedded_worker=False),
                engine=engine)
    yield app
    app.outbound.close()


def test_without_stripe_the_page_says_the_simulator_and_none(plain) -> None:
    text = words(signed_in(plain).get("/dashboard/settings/payments").text)
    assert "Sandbox: Kassa's payment simulator" in text and "Production: None" in text
    assert "KASSA_STRIPE_SECRET_KEY_PRODUCTION" in text and "webhooks/" not in text


def test_the_portal_offers_stripes_page_not_test_cards(api, webhooks) -> None:
    ok(api.post("/customers", json={"id": CUSTOMER, "name": "Acme"}), 201)
    open_portal(api, CUSTOMER)
    page = api.get("/portal/billing")
    assert "payment provider's secure page" in page.text and "Test card" not in page.text
    # The test cards' form is closed when Stripe collects the methods.
    posted = api.post("/portal/billing/payment-methods",
                      data={"csrf_token": csrf(page.text), "card": "visa_succeeds"})
    assert posted.status_code == 404
    assert ok(api.get(f"/customers/{CUSTOMER}/payment-methods"))["data"] == []
    target = start_setup(api, CUSTOMER)
    session = webhooks.objects[target.rsplit("/", 1)[1]]
    assert (session["success_url"], session["cancel_url"]) == (
        "http://testserver/portal/billing?done=setup", "http://testserver/portal/billing")
    assert session["metadata"] == {"kassa_customer_id": CUSTOMER, "kassa_environment": "sandbox"}


def test_a_forged_setup_post_is_refused(api, webhooks) -> None:
    ok(api.post("/customers", json={"id": CUSTOMER, "name": "Acme"}), 201)
    open_portal(api, CUSTOMER)
    answer = api.post("/portal/billing/payment-methods/hosted", data={"csrf_token": "forged"},
                      follow_redirects=False)
    assert answer.status_code == 403
    assert [r for r in webhooks.requests if r[1] == "/v1/checkout/sessions"] == []


def test_stripe_unreachable_is_said_on_the_page(api, webhooks) -> None:
    ok(api.post("/customers", json={"id": CUSTOMER, "name": "Acme"}), 201)
    open_portal(api, CUSTOMER)
    page = api.get("/portal/billing")
    webhooks.stop()
    answer = api.post("/portal/billing/payment-methods/hosted",
                      data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    assert answer.status_code == 503
    assert "could not be reached" in answer.text
    webhooks.start()  # for the fixture's stop
