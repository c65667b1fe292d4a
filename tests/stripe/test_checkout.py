"""The hosted checkout with Stripe: no card form; "Add a payment method" makes the customer and
sends the browser to Stripe's hosted setup, which sends it back; once Stripe's webhook attached
the method, Subscribe and pay creates the subscription and charges the first invoice through
Stripe. A decline keeps the session open for another method."""

from __future__ import annotations

import re

import httpx

from tests.api.test_checkout_sessions import CANCEL, PLAN, SUCCESS, catalog  # noqa: F401
from tests.scenarios.seed_catalog import ok
from tests.stripe.helpers import csrf


def start(api, session: dict, **form: str):
    page = api.get(f"/checkout/{session['id']}")
    assert page.status_code == 200
    assert "Card number" not in page.text
    assert ("Add a payment method" in page.text) != ("Use another payment method" in page.text)
    return api.post(f"/checkout/{session['id']}/payment-method",
                    data={"csrf_token": csrf(page.text), **form}, follow_redirects=False)


def save(api, webhooks, session: dict, method: str, **form: str) -> None:
    answer = start(api, session, **form)
    assert answer.status_code == 303, answer.text
    back = httpx.post(answer.headers["location"], data={"method": method},
                      follow_redirects=False)
    assert back.headers["location"] == f"http://testserver/checkout/{session['id']}?setup=done"
    delivered = webhooks.deliver()
    assert [t for t, _ in delivered][-2:] == ["setup_intent.succeeded",
                                              "checkout.session.completed"]
    assert {s for _, s in delivered} == {200}


def pay(api, session: dict):
    page = api.get(f"/checkout/{session['id']}?setup=done")
    return api.post(f"/checkout/{session['id']}", data={"csrf_token": csrf(page.text)},
                    follow_redirects=False), page


def test_a_checkout_collects_the_card_on_stripes_page_and_charges_it(api, webhooks,
                                                                      catalog) -> None:
    session = ok(api.post("/checkout-sessions", json={
        "plan_id": PLAN, "success_url": SUCCESS, "cancel_url": CANCEL}), 201)
    refused = start(api, session, name="", email="nope")
    assert refused.status_code == 422 and "Enter the name to bill." in refused.text
    save(api, webhooks, session, "card_declined", name="Acme", email="billing@acme.test")
    customer_id = ok(api.get(f"/checkout-sessions/{session['id']}"))["customer_id"]
    assert customer_id and ok(api.get(f"/customers/{customer_id}"))["name"] == "Acme"
    declined, page = pay(api, session)
    assert "Visa ending 0002" in page.text
    assert declined.status_code == 402 and "card_declined" in declined.text
    # Another card on Stripe's page; the same first invoice is charged with it.
    save(api, webhooks, session, "card_visa")
    paid, page = pay(api, session)
    assert "Visa ending 4242" in page.text
    assert (paid.status_code, paid.headers["location"]) == (
        303, SUCCESS.replace("{CHECKOUT_SESSION_ID}", session["id"]))
    done = ok(api.get(f"/checkout-sessions/{session['id']}"))
    assert done["status"] == "complete"
    invoice = ok(api.get(f"/invoices/{done['invoice_id']}"))
    assert (invoice["status"], invoice["total"], invoice["amount_paid"]) == ("paid", "49.00",
                                                                            "49.00")
    payments = ok(api.get("/payments", params={"invoice_id": invoice["id"],
                                               "sort": "created_at:asc"}))["data"]
    assert [(p["status"], p["amount"]) for p in payments] == [("failed", "49.00"),
                                                               ("succeeded", "49.00")]
    keys = [h["idempotency-key"] for m, path, _, h in webhooks.requests
            if (m, path) == ("POST", "/v1/payment_intents")]
    assert keys == [f"{invoice['id']}:1", f"{invoice['id']}:2"]
    assert len(ok(api.get("/subscriptions"))["data"]) == 1
    made = [r for r in webhooks.requests if r[:2] == ("POST", "/v1/customers")]
    assert len(made) == 1  # one Stripe customer for both setups


def test_subscribe_and_pay_before_a_method_is_saved_charges_nothing(api, webhooks,
                                                                     catalog) -> None:
    session = ok(api.post("/checkout-sessions", json={
        "plan_id": PLAN, "success_url": SUCCESS, "cancel_url": CANCEL}), 201)
    answer = start(api, session, name="Acme", email="billing@acme.test")
    assert answer.status_code == 303  # gone to Stripe, never came back
    early, page = pay(api, session)
    assert early.status_code == 422 and "Add a payment method first." in early.text
    assert "being saved" in page.text
    assert ok(api.get("/subscriptions"))["data"] == []
    assert not [r for r in webhooks.requests if r[1] == "/v1/payment_intents"]
    forged = api.post(f"/checkout/{session['id']}/payment-method", data={"csrf_token": "x"})
    assert forged.status_code == 403
    assert re.search("Subscribe to Starter", api.get(f"/checkout/{session['id']}").text)
