"""Issue 16's "Done means" for Stripe, clock-driven through HTTP with exact amounts: a card
paid at once, a SEPA debit processing then succeeding by webhook, a failing ACH debit feeding the
dunning automation, a refund through a credit note by the Refund API, and replayed and reordered
Stripe webhooks changing nothing twice. Stripe is the local fake; Kassa's sandbox uses it
through a Stripe test key; Kassa's own webhooks go to a real receiver on loopback."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

from sqlalchemy import select

from kassa.store.tables import payment_methods, processor_events
from tests.automations.helpers import EMAIL, activate, executions, mail, text
from tests.fakes.stripe_fake import sign
from tests.automations.test_dunning import DUNNING
from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import advance, invoices
from tests.scenarios.helpers import event_data, events
from tests.scenarios.seed_catalog import ok
from tests.stripe.conftest import PRODUCTION_SECRET
from tests.stripe.helpers import add_method, csrf, open_portal, payments_of

CUSTOMER = "wcqYrqfE"


def subscribe(api, amount: str, start: str = "2026-12-01") -> dict:
    """A monthly auto-pay subscription of ``amount`` in advance from ``start``; its first
    invoice, as issued and charged at ``start``."""
    ok(api.post("/subscriptions", json={
        "customer_id": CUSTOMER, "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": start},
        "billing": {"payment_terms": "net_30", "auto_pay_invoices": True},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed(amount, "advance")}]}), 201)
    advance(api, f"{start}T00:00:01Z")
    return invoices(api)[-1]


def setup(api, webhooks, method: str, receiver=None) -> dict:
    """The seed catalog, the customer's ``method`` saved through the portal and Stripe's
    hosted setup, and (with ``receiver``) a webhook endpoint for the payment events."""
    sc.build(api)
    ok(api.patch(f"/customers/{CUSTOMER}", json={"email": EMAIL}))
    ok(api.post("/clock/freeze", json={"at": "2026-11-30T00:00:00Z"}))
    advance(api, "2026-11-30T00:00:01Z")  # consumers starting "now" start before the story
    if receiver is not None:
        endpoint = ok(api.post("/webhook-endpoints", json={"url": receiver.url, "event_types": [
            "payment.succeeded", "payment.failed", "invoice.paid", "refund.updated"]}), 201)
        receiver.secrets.append(endpoint["secret"])
    return add_method(api, webhooks, CUSTOMER, method)


def received(receiver) -> Counter:
    """How often the receiver got each (type, payment or invoice id, status)."""
    seen: Counter = Counter()
    for r in receiver.requests:
        assert r.verified
        data = r.payload["data"]
        seen[(r.payload["type"], data["id"], data.get("status"))] += 1
    return seen


def intent_requests(fake) -> list[tuple[dict, dict]]:
    return [(params, headers) for method, path, params, headers in fake.requests
            if method == "POST" and path == "/v1/payment_intents"]


def test_a_card_is_charged_off_session_and_paid_at_once(api, webhooks, kassa, receiver) -> None:
    method = setup(api, webhooks, "card_visa", receiver)
    assert (method["type"], method["details"], method["is_default"], method["test_behavior"]) == (
        "card", {"brand": "Visa", "last4": "4242", "exp": "12/34"}, True, None)
    invoice = subscribe(api, "100.00")
    assert (invoice["status"], invoice["total"], invoice["amount_due"], invoice["paid_at"]) == (
        "paid", "100.00", "0.00", "2026-12-01T00:00:00Z")
    [payment] = payments_of(api, invoice["id"])
    assert (payment["status"], payment["amount"], payment["method"]) == ("succeeded", "100.00",
                                                                        "card")
    [(params, headers)] = intent_requests(webhooks)
    assert headers["idempotency-key"] == f"{invoice['id']}:1"
    intent = webhooks.objects[payment["processor_ref"]]
    assert (params["amount"], params["currency"], params["confirm"], params["off_session"],
            params["customer"], params["payment_method_types"], params["metadata"]) == (
        "10000", "usd", "true", "true", intent["customer"], ["card"],
        {"kassa_environment": "sandbox", "kassa_invoice_id": invoice["id"], "kassa_attempt": "1"})
    assert (intent["status"], intent["amount_received"]) == ("succeeded", 10000)
    # A collect job run again after a crash asks again under the same key: Stripe answers with
    # the first PaymentIntent, and charges nothing more.
    stored = ok(api.get(f"/customers/{CUSTOMER}/payment-methods"))["data"][0]
    with kassa.engine.connect() as conn:
        row = conn.execute(select(payment_methods).where(
            payment_methods.c.id == stored["id"])).mappings().one()
    again = kassa.processors["sandbox"].charge(dict(row), Decimal("100.00"), "USD",
                                               idempotency_key=f"{invoice['id']}:1",
                                               previous_failures=0)
    assert (again.status, again.reference) == ("succeeded", payment["processor_ref"])
    assert webhooks.intents_created == 1
    # Stripe's payment_intent.succeeded comes after the card was recorded: nothing changes.
    assert webhooks.deliver() == [("payment_intent.succeeded", 200)]
    advance(api, "2026-12-01T00:01:00Z")
    assert receiver.wait_for(lambda: len(receiver.requests) >= 2)
    assert [p["status"] for p in payments_of(api, invoice["id"])] == ["succeeded"]
    assert received(receiver) == Counter({("payment.succeeded", payment["id"], "succeeded"): 1,
                                          ("invoice.paid", invoice["id"], "paid"): 1})


def test_a_sepa_debit_processes_then_succeeds_by_webhook_once(api, webhooks, kassa,
                                                               receiver) -> None:
    method = setup(api, webhooks, "sepa_success", receiver)
    assert (method["type"], method["details"]) == (
        "sepa", {"brand": "SEPA Direct Debit", "last4": "3000", "country": "DE"})
    invoice = subscribe(api, "250.00")
    assert (invoice["status"], invoice["amount_due"], invoice["paid_at"]) == ("issued", "250.00",
                                                                              None)
    [payment] = payments_of(api, invoice["id"])
    assert (payment["status"], payment["amount"], payment["method"]) == ("processing", "250.00",
                                                                        "sepa")
    [(params, _)] = intent_requests(webhooks)
    assert (params["amount"], params["payment_method_types"]) == ("25000", ["sepa_debit"])
    assert webhooks.deliver() == [("payment_intent.processing", 200)]  # nothing to do
    # A retry while it processes is refused: no second debit.
    refused = api.post(f"/invoices/{invoice['id']}/retry-payment", json={})
    assert refused.status_code == 422 and "processing" in refused.json()["detail"]
    advance(api, "2026-12-04T09:30:00Z")  # the bank takes three days
    assert invoices(api)[-1]["status"] == "issued"
    webhooks.finish(payment["processor_ref"])
    assert webhooks.deliver() == [("payment_intent.succeeded", 200)]
    paid = ok(api.get(f"/invoices/{invoice['id']}"))
    assert (paid["status"], paid["amount_paid"], paid["amount_due"], paid["paid_at"]) == (
        "paid", "250.00", "0.00", "2026-12-04T09:30:00Z")
    assert payments_of(api, invoice["id"])[0]["status"] == "succeeded"
    # Stripe redelivers the success, and the earlier processing event arrives late: no change.
    [success] = webhooks.events_of("payment_intent.succeeded")
    [processing] = webhooks.events_of("payment_intent.processing")
    assert webhooks.send(success["id"]) == 200
    assert webhooks.send(processing["id"]) == 200
    advance(api, "2026-12-04T09:31:00Z")
    assert receiver.wait_for(lambda: len(receiver.requests) >= 2)
    assert [t for t, _ in events(kassa, prefix="payment.")] == [
        "payment.created", "payment.updated", "payment.succeeded"]
    assert len(event_data(kassa, "invoice.paid")) == 1
    assert received(receiver) == Counter({("payment.succeeded", payment["id"], "succeeded"): 1,
                                          ("invoice.paid", invoice["id"], "paid"): 1})


def test_a_failing_ach_debit_feeds_the_dunning_automation(api, webhooks, kassa,
                                                          smtp_server) -> None:
    setup(api, webhooks, "ach_fail")
    automation = activate(api, ok(api.post("/automations", json=DUNNING), 201)["id"])
    invoice = subscribe(api, "100.00")
    [payment] = payments_of(api, invoice["id"])
    assert (payment["status"], payment["method"]) == ("processing", "ach")
    advance(api, "2026-12-02T00:00:00Z")
    assert smtp_server.messages == []  # nothing failed yet: no dunning
    assert executions(api, automation["id"]) == []
    webhooks.finish(payment["processor_ref"])
    assert webhooks.deliver() == [("payment_intent.processing", 200),
                                  ("payment_intent.payment_failed", 200)]
    failed = payments_of(api, invoice["id"])[0]
    assert (failed["status"], failed["failure_reason"]) == (
        "failed", "insufficient_funds: The customer's account has insufficient funds to cover "
        "this payment.")
    assert ok(api.get(f"/invoices/{invoice['id']}"))["status"] == "payment_failed"
    advance(api, "2026-12-02T00:00:01Z")
    number = invoice["number"]
    assert mail(smtp_server) == [
        (EMAIL, "2026-12-02T00:00:00Z", f"A quick note about invoice {number}")]
    [run] = executions(api, automation["id"])
    assert run["status"] == "waiting"
    # Three days on, the automation's retry_payment debits the account again through Stripe,
    # under the invoice's second idempotency key; it processes, so no second failure yet.
    advance(api, "2026-12-05T00:00:01Z")
    keys = [headers["idempotency-key"] for _, headers in intent_requests(webhooks)]
    assert keys == [f"{invoice['id']}:1", f"{invoice['id']}:2"]
    assert [p["status"] for p in payments_of(api, invoice["id"])] == ["failed", "processing"]
    # The failure redelivered starts no second run and sends nothing more.
    [failure] = webhooks.events_of("payment_intent.payment_failed")
    assert webhooks.send(failure["id"]) == 200
    advance(api, "2026-12-05T00:00:02Z")
    assert len(executions(api, automation["id"])) == 1
    assert len(event_data(kassa, "payment.failed")) == 1


def test_a_credit_note_refunds_through_the_refund_api(api, webhooks, kassa, receiver) -> None:
    setup(api, webhooks, "card_visa", receiver)
    invoice = subscribe(api, "100.00")
    [payment] = payments_of(api, invoice["id"])
    note = ok(api.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "40.00"}),
              201)
    applied = ok(api.post(f"/credit-notes/{note['id']}/apply", json={"resolution": "refund"}))
    assert applied["status"] == "applied"
    refund = ok(api.get(f"/refunds/{applied['refund_id']}"))
    assert (refund["status"], refund["amount"]) == ("succeeded", "40.00")
    [(method, path, params, headers)] = [r for r in webhooks.requests
                                         if r[:2] == ("POST", "/v1/refunds")]
    assert (params["payment_intent"], params["amount"], headers["idempotency-key"]) == (
        payment["processor_ref"], "4000", refund["id"])
    charge = webhooks.objects[webhooks.objects[payment["processor_ref"]]["latest_charge"]]
    assert (charge["amount_refunded"], charge["refunded"]) == (4000, False)
    assert ok(api.get(f"/payments/{payment['id']}"))["amount_refunded"] == "40.00"
    # charge.refunded (and its redelivery) confirm what the Refund API answered: no change.
    assert webhooks.deliver() == [("payment_intent.succeeded", 200), ("charge.refunded", 200)]
    [refunded] = webhooks.events_of("charge.refunded")
    assert webhooks.send(refunded["id"]) == 200
    assert webhooks.refunds_created == 1
    assert [t for t, _ in events(kassa, prefix="refund.")] == ["refund.updated"]


def test_a_sepa_refund_stays_pending_until_stripe_confirms_it(api, webhooks, kassa) -> None:
    setup(api, webhooks, "sepa_success")
    invoice = subscribe(api, "80.00")
    [payment] = payments_of(api, invoice["id"])
    webhooks.finish(payment["processor_ref"])
    webhooks.deliver()
    assert ok(api.get(f"/invoices/{invoice['id']}"))["status"] == "paid"
    note = ok(api.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "80.00"}),
              201)
    applied = ok(api.post(f"/credit-notes/{note['id']}/apply", json={"resolution": "refund"}))
    assert applied["status"] == "pending_refund"
    refund = ok(api.get(f"/refunds/{applied['refund_id']}"))
    assert (refund["status"], refund["amount"]) == ("pending", "80.00")
    [stripe_refund] = [o for o in webhooks.objects.values() if o["object"] == "refund"]
    assert stripe_refund["status"] == "pending"
    webhooks.finish_refund(stripe_refund["id"])
    assert webhooks.deliver() == [("charge.refunded", 200)]
    assert ok(api.get(f"/refunds/{refund['id']}"))["status"] == "succeeded"
    assert ok(api.get(f"/credit-notes/{note['id']}"))["status"] == "applied"
    [refunded] = webhooks.events_of("charge.refunded")
    assert webhooks.send(refunded["id"]) == 200  # redelivered: nothing twice
    assert [t for t, _ in events(kassa, prefix="refund.")] == ["refund.updated",
                                                              "refund.updated"]
    assert [t for t, _ in events(kassa, prefix="credit_note.")] == [
        "credit_note.created", "credit_note.applied", "credit_note.applied"]


def test_out_of_order_webhooks_change_nothing_after_the_outcome(api, webhooks, kassa) -> None:
    """A payment_failed delivered after the succeeded of the same payment (Stripe reorders)
    leaves it paid; each event is applied once however often it comes."""
    setup(api, webhooks, "ach_success")
    invoice = subscribe(api, "60.00")
    [payment] = payments_of(api, invoice["id"])
    webhooks.finish(payment["processor_ref"])
    [success] = webhooks.events_of("payment_intent.succeeded")
    # A failure event of the same PaymentIntent, as a reordered delivery would bring it.
    late = webhooks._event("payment_intent.payment_failed", {
        **success["data"]["object"], "status": "requires_payment_method",
        "last_payment_error": {"type": "invalid_request_error", "code": "x",
                               "message": "late"}})
    assert webhooks.send(success["id"]) == 200
    assert webhooks.send(late) == 200
    assert webhooks.send(success["id"]) == 200
    assert webhooks.deliver(reverse=True) == [("payment_intent.processing", 200)]
    settled = payments_of(api, invoice["id"])[0]
    assert (settled["status"], settled["failure_reason"]) == ("succeeded", None)
    assert ok(api.get(f"/invoices/{invoice['id']}"))["status"] == "paid"
    assert [t for t, _ in events(kassa, prefix="payment.")] == [
        "payment.created", "payment.updated", "payment.succeeded"]
    with kassa.engine.connect() as conn:
        outcomes = dict(conn.execute(select(processor_events.c.event_id,
                                            processor_events.c.outcome)).all())
    assert outcomes[success["id"]] == "applied" and outcomes[late] == "unchanged"


def test_a_charge_needing_3d_secure_fails_with_requires_action_and_a_portal_link(
        api, webhooks, kassa, smtp_server) -> None:
    setup(api, webhooks, "card_3ds")
    ok(api.patch("/settings/invoicing", json={"customer_emails": {"payment_failed": True}}))
    invoice = subscribe(api, "100.00")
    assert invoice["status"] == "payment_failed"
    [payment] = payments_of(api, invoice["id"])
    assert (payment["status"], payment["failure_reason"]) == (
        "failed", "requires_action: the customer must authenticate this payment (3-D Secure)")
    # Kassa counts it failed, so Stripe's PaymentIntent is canceled: it cannot succeed later.
    assert webhooks.objects[payment["processor_ref"]]["status"] == "canceled"
    advance(api, "2026-12-01T00:02:00Z")
    [message] = [m for m in smtp_server.messages if m.rcpt_tos == [EMAIL]]
    body = text(message.message)
    assert "/portal/open/" in body
    # Through the portal: Pay now says what to do.
    open_portal(api, CUSTOMER)
    page = api.get("/portal/invoices")
    answer = api.post(f"/portal/invoices/{invoice['id']}/pay",
                      data={"csrf_token": csrf(page.text)})
    assert answer.status_code == 422
    assert "Your bank asks you to confirm this payment" in answer.text


def test_a_payment_event_of_the_other_environment_changes_nothing(api, webhooks, kassa) -> None:
    """One Stripe account serving both environments: a sandbox PaymentIntent's event delivered
    to production's endpoint is ignored there, and its payment stays processing."""
    setup(api, webhooks, "sepa_success")
    invoice = subscribe(api, "50.00")
    [payment] = payments_of(api, invoice["id"])
    webhooks.finish(payment["processor_ref"])
    [success] = webhooks.events_of("payment_intent.succeeded")
    body = json.dumps(success).encode()
    answer = api.post("/integrations/stripe/webhooks/production", content=body, headers={
        "Stripe-Signature": sign(body, PRODUCTION_SECRET), "Content-Type": "application/json"})
    assert (answer.status_code, answer.json()["outcome"]) == (200, "ignored")
    assert payments_of(api, invoice["id"])[0]["status"] == "processing"
    assert webhooks.send(success["id"]) == 200  # to the sandbox's: applied there
    assert payments_of(api, invoice["id"])[0]["status"] == "succeeded"
