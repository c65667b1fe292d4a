"""The fake speaks Stripe's shapes: every object it answers is constructed by the ``stripe``
package's own types, carries no field those types do not declare, holds the fields Kassa reads,
and every enumerated field (``status``, ``mode``, ``type``...) takes a value the package
declares; its events verify with ``stripe.Webhook.construct_event`` and their objects come out
as the right classes; its errors are raised as the package's error classes."""

from __future__ import annotations

import json
import typing
from decimal import Decimal
from typing import Any

import pytest
import stripe

from kassa.integrations.stripe.processor import StripeProcessor
from tests.fakes.stripe_fake import TEST_METHODS, FakeStripe, sign

TYPES = {"payment_intent": stripe.PaymentIntent, "refund": stripe.Refund,
         "setup_intent": stripe.SetupIntent, "checkout.session": stripe.checkout.Session,
         "payment_method": stripe.PaymentMethod, "customer": stripe.Customer,
         "charge": stripe.Charge, "event": stripe.Event}
# What Kassa reads of each (kassa.integrations.stripe).
READ = {"payment_intent": {"id", "status", "metadata", "last_payment_error", "latest_charge"},
        "refund": {"id", "status", "payment_intent", "failure_reason"},
        "setup_intent": {"id", "status", "payment_method", "customer"},
        "checkout.session": {"id", "url", "mode", "setup_intent", "customer"},
        "payment_method": {"id", "type", "customer"},
        "customer": {"id"}, "charge": {"id", "payment_intent", "amount_refunded"},
        "event": {"id", "type", "data", "created", "livemode"}}


def literals(annotation: Any) -> set[str]:
    """The string literals an annotation allows (empty: not an enumeration)."""
    if typing.get_origin(annotation) is typing.Literal:
        return {a for a in typing.get_args(annotation) if isinstance(a, str)}
    found: set[str] = set()
    for arg in typing.get_args(annotation):
        found |= literals(arg)
    return found


def check(obj: dict[str, Any]) -> None:
    cls = TYPES[obj["object"]]
    annotations = cls.__annotations__
    assert set(obj) <= set(annotations), (obj["object"], set(obj) - set(annotations))
    assert READ[obj["object"]] <= set(obj), (obj["object"], READ[obj["object"]] - set(obj))
    for name, value in obj.items():
        allowed = literals(annotations[name])
        if allowed and isinstance(value, str):
            assert value in allowed, (obj["object"], name, value, allowed)
    built = cls.construct_from(json.loads(json.dumps(obj)), "sk_test_contract")
    assert isinstance(built, cls) and built.id == obj["id"]


@pytest.fixture
def fake():
    running = FakeStripe()
    running.start()
    yield running
    running.stop()


def test_the_check_catches_a_wrong_shape() -> None:
    good = {"id": "pi_1", "object": "payment_intent", "status": "succeeded", "metadata": {},
            "last_payment_error": None, "latest_charge": None}
    check(good)
    for bad in [{**good, "status": "done"}, {**good, "invented": 1},
                {k: v for k, v in good.items() if k != "latest_charge"}]:
        with pytest.raises(AssertionError):
            check(bad)


def test_every_object_and_event_of_every_flow_has_stripes_shape(fake) -> None:
    processor = StripeProcessor("sk_test_contract", api_base=fake.base, environment="sandbox",
                                method_types=("card", "us_bank_account", "sepa_debit"))
    customer = processor.create_customer({"id": "c1", "name": "Acme"}, idempotency_key="c1")
    for n, name in enumerate(TEST_METHODS):
        url = processor.setup_session(customer, kassa_customer_id="c1",
                                      success_url="https://x.test/ok", cancel_url="https://x.test/")
        pm = fake.complete_setup(url.rsplit("/", 1)[1], name)
        method = processor.collected(payment_method=pm)
        assert method is not None and method.customer_reference == customer
        result = processor.charge({"type": method.type, "processor_ref": pm,
                                   "processor_customer": customer}, Decimal("12.50"), "EUR",
                                  idempotency_key=f"inv_{n}:1", previous_failures=0)
        if result.status == "processing":
            fake.finish(str(result.reference))
        if fake.objects[str(result.reference)]["status"] == "succeeded":
            refund = processor.refund({"processor_ref": result.reference, "currency": "EUR"},
                                      Decimal("2.50"), idempotency_key=f"re_{n}")
            if refund.status == "processing":
                fake.finish_refund(str(refund.reference))
    kinds = {o["object"] for o in fake.objects.values()}
    assert kinds == set(TYPES) - {"event"}
    for obj in fake.objects.values():
        check(obj)
    assert {e["type"] for e in fake.events} >= {
        "payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.processing",
        "payment_intent.requires_action", "charge.refunded", "setup_intent.succeeded",
        "checkout.session.completed"}
    for e in fake.events:
        check(e)
        check(e["data"]["object"])
        body = json.dumps(e).encode()
        event = stripe.Webhook.construct_event(body, sign(body, fake.webhook_secret),
                                               fake.webhook_secret)
        assert isinstance(event.data.object, TYPES[e["data"]["object"]["object"]])
        assert event.type == e["type"]


def test_errors_are_the_packages_error_classes_and_keys_are_honoured(fake) -> None:
    client = stripe.StripeClient("sk_test_contract", base_addresses={"api": fake.base},
                                 http_client=stripe.RequestsClient())
    customer = client.v1.customers.create(params={"name": "Acme"})
    session = client.v1.checkout.sessions.create(params={
        "mode": "setup", "customer": customer.id, "success_url": "https://x.test/ok",
        "cancel_url": "https://x.test/"})
    pm = fake.complete_setup(session.id, "card_declined")
    params = {"amount": 500, "currency": "usd", "customer": customer.id, "payment_method": pm,
              "confirm": True, "off_session": True}
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.create(params=params, options={"idempotency_key": "k1"})
    assert (declined.value.code, declined.value.http_status) == ("card_declined", 402)
    assert declined.value.error.payment_intent.status == "requires_payment_method"
    with pytest.raises(stripe.CardError):  # the same key: the same answer, no second attempt
        client.v1.payment_intents.create(params=params, options={"idempotency_key": "k1"})
    assert fake.intents_created == 1
    with pytest.raises(stripe.IdempotencyError):
        client.v1.payment_intents.create(params={**params, "amount": 600},
                                         options={"idempotency_key": "k1"})
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.create(params={**params, "payment_method": "pm_nope"})
    assert missing.value.code == "resource_missing"
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("pk_nope", base_addresses={"api": fake.base},
                            http_client=stripe.RequestsClient()).v1.customers.create()
