"""``POST /integrations/stripe/webhooks[/{environment}]``: Stripe's signature verified with the
``stripe`` package against the environment's signing secret (a bad one is a 400 in the
documented error shape, and changes nothing), the environment told by the path or by the secret
that verifies, events Kassa does not act on acknowledged, methods attached once."""

from __future__ import annotations

import json
import time

import httpx
from sqlalchemy import select

from kassa.store.tables import processor_events
from tests.fakes.stripe_fake import sign
from tests.scenarios.seed_catalog import ok
from tests.stripe.conftest import PRODUCTION_SECRET
from tests.stripe.helpers import add_method, start_setup

CUSTOMER = "wcqYrqfE"


def customer(api, name: str = "Acme") -> str:
    return ok(api.post("/customers", json={"id": CUSTOMER, "name": name,
                                           "email": "billing@acme.test"}), 201)["id"]


def event(kind: str = "customer.created", obj: dict | None = None) -> bytes:
    return json.dumps({"id": f"evt_test_{kind}", "object": "event", "type": kind,
                       "api_version": "2026-10-28.endive", "created": int(time.time()),
                       "livemode": False, "pending_webhooks": 1, "request": {"id": None},
                       "data": {"object": obj or {"id": "cus_x", "object": "customer"}}}).encode()


def post(anon, body: bytes, signature: str | None, path: str = "/integrations/stripe/webhooks"):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return anon.post(path, content=body, headers=headers)


def stored(kassa) -> list[tuple]:
    with kassa.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(
            processor_events.c.environment, processor_events.c.event_id,
            processor_events.c.outcome).order_by(processor_events.c.received_at))]


def test_a_signature_that_does_not_verify_is_a_400_and_changes_nothing(anon, kassa,
                                                                         stripe_fake) -> None:
    body = event()
    for signature, path in [
            (None, "/integrations/stripe/webhooks"),
            ("", "/integrations/stripe/webhooks/sandbox"),
            ("t=1,v1=deadbeef", "/integrations/stripe/webhooks"),
            (sign(body, "whsec_someone_else"), "/integrations/stripe/webhooks"),
            (sign(body, stripe_fake.webhook_secret, int(time.time()) - 3600),
             "/integrations/stripe/webhooks"),  # a replay of an hour-old delivery
            (sign(body, stripe_fake.webhook_secret), "/integrations/stripe/webhooks/production"),
            (sign(body + b" ", stripe_fake.webhook_secret), "/integrations/stripe/webhooks")]:
        answer = post(anon, body, signature, path)
        assert answer.status_code == 400, (signature, path, answer.text)
        problem = answer.json()
        assert problem["status"] == 400 and problem["errors"][0]["field"] == "Stripe-Signature"
        assert "Stripe-Signature" in problem["detail"] or "signature" in problem["detail"].lower()
    assert stored(kassa) == []


def test_the_environment_is_the_path_or_the_secret_that_verifies(anon, kassa,
                                                                  stripe_fake) -> None:
    body = event()
    sandbox = post(anon, body, sign(body, stripe_fake.webhook_secret))
    assert ok(sandbox) == {"received": True, "environment": "sandbox",
                           "event_id": "evt_test_customer.created", "outcome": "ignored"}
    again = post(anon, body, sign(body, stripe_fake.webhook_secret),
                 "/integrations/stripe/webhooks/sandbox")
    assert ok(again)["outcome"] == "duplicate"
    production = post(anon, body, sign(body, PRODUCTION_SECRET))
    assert (ok(production)["environment"], ok(production)["outcome"]) == ("production", "ignored")
    assert sorted(stored(kassa)) == [("production", "evt_test_customer.created", "ignored"),
                                     ("sandbox", "evt_test_customer.created", "ignored")]
    missing = post(anon, body, sign(body, stripe_fake.webhook_secret),
                   "/integrations/stripe/webhooks/staging")
    assert missing.status_code == 404 and missing.json()["status"] == 404


def test_signed_garbage_is_a_400(anon, stripe_fake) -> None:
    body = b"not json at all"
    answer = post(anon, body, sign(body, stripe_fake.webhook_secret))
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "Stripe-Signature"


def test_a_payment_kassa_has_not_recorded_yet_is_asked_again_later(anon, kassa,
                                                                    stripe_fake) -> None:
    """A PaymentIntent with Kassa's marks that Kassa has no payment of (the event overtook the
    collect job's commit): a 503, so Stripe delivers it again; not stored as seen."""
    intent = {"id": "pi_unrecorded", "object": "payment_intent", "status": "succeeded",
              "amount": 100, "currency": "usd",
              "metadata": {"kassa_invoice_id": "inv_x", "kassa_attempt": "1"}}
    body = event("payment_intent.succeeded", intent)
    answer = post(anon, body, sign(body, stripe_fake.webhook_secret))
    assert answer.status_code == 503 and answer.headers["Transient-Error"] == "true"
    assert stored(kassa) == []
    foreign = event("payment_intent.payment_failed", {**intent, "id": "pi_foreign",
                                                      "metadata": {}})
    assert ok(post(anon, foreign, sign(foreign, stripe_fake.webhook_secret)))["outcome"] == (
        "ignored")


def test_a_wallet_card_is_attached_once_for_both_setup_events(api, webhooks, kassa) -> None:
    customer(api)
    method = add_method(api, webhooks, CUSTOMER, "apple_pay")
    assert (method["type"], method["details"]) == (
        "card", {"brand": "Visa", "last4": "4242", "exp": "12/34", "wallet": "Apple Pay"})
    assert [o for _, _, o in stored(kassa)] == ["applied", "unchanged"]
    for e in webhooks.events:  # redelivered: still one method
        assert webhooks.send(e["id"]) == 200
    assert len(ok(api.get(f"/customers/{CUSTOMER}/payment-methods"))["data"]) == 1
    page = api.get("/portal/billing")
    assert "Visa ending 4242 (Apple Pay)" in page.text
    # One Stripe customer, made on first need and kept: a second setup reuses it.
    start_setup(api, CUSTOMER)
    made = [r for r in webhooks.requests if r[:2] == ("POST", "/v1/customers")]
    assert len(made) == 1
    assert made[0][2]["metadata"] == {"kassa_customer_id": CUSTOMER,
                                      "kassa_environment": "sandbox"}
    sessions = [r[2] for r in webhooks.requests if r[:2] == ("POST", "/v1/checkout/sessions")]
    assert len(sessions) == 2 and len({s["customer"] for s in sessions}) == 1
    assert sessions[0]["mode"] == "setup"
    assert sessions[0]["payment_method_types"] == ["card", "us_bank_account", "sepa_debit"]


def test_a_setup_for_another_stripe_customer_attaches_nothing(api, webhooks, kassa) -> None:
    customer(api)
    target = start_setup(api, CUSTOMER)
    session = webhooks.objects[target.rsplit("/", 1)[1]]
    session["customer"] = webhooks._store({"id": "cus_not_kassas", "object": "customer"})["id"]
    webhooks.objects[session["setup_intent"]]["customer"] = "cus_not_kassas"
    assert httpx.post(target, data={"method": "card_visa"}).status_code in (200, 303, 404)
    assert [s for _, s in webhooks.deliver()] == [200, 200]
    assert ok(api.get(f"/customers/{CUSTOMER}/payment-methods"))["data"] == []
    assert [o for _, _, o in stored(kassa)] == ["ignored", "ignored"]


def test_an_archived_customer_takes_no_method(api, webhooks, kassa) -> None:
    customer(api)
    target = start_setup(api, CUSTOMER)
    ok(api.delete(f"/customers/{CUSTOMER}"))
    httpx.post(target, data={"method": "card_visa"})
    assert [s for _, s in webhooks.deliver()] == [200, 200]
    assert [o for _, _, o in stored(kassa)] == ["refused", "refused"]


def test_an_event_stripe_cannot_be_asked_about_is_a_503_to_deliver_again(api, webhooks,
                                                                          kassa) -> None:
    customer(api)
    target = start_setup(api, CUSTOMER)
    httpx.post(target, data={"method": "card_visa"})
    webhooks.stop()  # Stripe unreachable while Kassa retrieves the SetupIntent
    try:
        assert [s for _, s in webhooks.deliver()] == [503, 503]
    finally:
        webhooks.start()
    assert stored(kassa) == []
    assert ok(api.get(f"/customers/{CUSTOMER}/payment-methods"))["data"] == []
