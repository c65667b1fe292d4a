"""Hosted checkout (issue 15): POST/GET /checkout-sessions, and the page at /checkout/{id}
driven over HTTP with its cookies and forms, on every backend."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from kassa.bootstrap import asgi_app
from tests.scenarios.helpers import event_data
from tests.scenarios.seed_catalog import fixed, ok

PLATFORM = "prod_checkoutPlatform0000001"
PLAN = "pln_checkoutStarter00000001"
TRIAL_PLAN = "pln_checkoutTrial0000000001"
EUR_PLAN = "pln_checkoutEuro00000000001"
SUCCESS = "https://shop.example.com/welcome?session={CHECKOUT_SESSION_ID}"
CANCEL = "https://shop.example.com/pricing"
GOOD_CARD = "4242 4242 4242 4242"
BAD_CARD = "4000 0000 0000 0002"


class WallClock:
    """Real time plus an offset a test moves (checkout sessions expire in real time)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.frozen = False

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def app(kassa):
    """The API with the customer pages mounted, as ``kassa serve`` runs it."""
    return asgi_app(kassa)


@pytest.fixture
def wall(kassa) -> WallClock:
    clock = WallClock()
    kassa.wall_clock = clock
    return clock


@pytest.fixture
def catalog(api: TestClient) -> None:
    """Starter: 49.00 a month in advance; Trial: the same with 14 free days; a EUR plan."""
    ok(api.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))
    ok(api.post("/products", json={"id": PLATFORM, "name": "Platform", "fee_type": "fixed",
                                   "billing_frequency": "recurring"}), 201)
    ok(api.post("/plans", json={"id": PLAN, "name": "Starter", "currency": "USD", "items": [
        {"product_id": PLATFORM, "price": fixed("49.00", "advance")}]}), 201)
    ok(api.post("/plans", json={"id": TRIAL_PLAN, "name": "Trial", "currency": "USD", "items": [
        {"product_id": PLATFORM, "price": {**fixed("49.00", "advance"),
                                           "trial_period_days": 14}}]}), 201)
    ok(api.post("/plans", json={"id": EUR_PLAN, "name": "Euro", "currency": "EUR", "items": [
        {"product_id": PLATFORM, "price": fixed("45.00", "advance")}]}), 201)


def new_session(api: TestClient, **fields) -> dict:
    body = {"plan_id": PLAN, "success_url": SUCCESS, "cancel_url": CANCEL, **fields}
    return ok(api.post("/checkout-sessions", json=body), 201)


def success(session: dict) -> str:
    return f"https://shop.example.com/welcome?session={session['id']}"


def page_path(session: dict) -> str:
    path = session["url"].removeprefix("http://testserver")
    assert path == f"/checkout/{session['id']}"
    return path


def token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field on the page"
    return found.group(1)


def pay(browser: TestClient, session: dict, card: str = GOOD_CARD, **fields):
    """Open the page, then post its form as a browser would."""
    page = browser.get(page_path(session))
    assert page.status_code == 200, page.text
    form = {"csrf_token": token(page.text), "name": "Ada Lovelace",
            "email": "ada@example.com", "card_number": card, "card_expiry": "12/30",
            "card_cvc": "123", **fields}
    return browser.post(page_path(session), data=form, follow_redirects=False)


def problem_fields(response) -> list[str]:
    body = response.json()
    assert set(body) >= {"status", "detail", "errors"}, body
    assert body["status"] == response.status_code
    return [e["field"] for e in body["errors"]]


# ------------------------------------------------------------------ the API


def test_create_and_get(api, catalog, wall) -> None:
    before = datetime.now(UTC)
    session = new_session(api, customer={"name": "Ada", "email": "ada@example.com"},
                          expires_in=3600, metadata={"cart": "42"})
    assert re.fullmatch(r"cs_[0-9A-Za-z]{22}", session["id"])
    assert session["url"] == f"http://testserver/checkout/{session['id']}"
    assert (session["status"], session["plan_id"], session["customer_id"],
            session["subscription_id"], session["success_url"], session["cancel_url"],
            session["metadata"], session["customer_details"]) == (
        "open", PLAN, None, None, SUCCESS, CANCEL, {"cart": "42"},
        {"name": "Ada", "email": "ada@example.com"})
    expires = datetime.fromisoformat(session["expires_at"])
    assert before + timedelta(seconds=3590) < expires < before + timedelta(seconds=3610)
    assert ok(api.get(f"/checkout-sessions/{session['id']}")) == session
    default = new_session(api)
    assert (datetime.fromisoformat(default["expires_at"])
            - datetime.fromisoformat(default["created_at"])) == timedelta(hours=24)


def test_validation_errors_name_the_field(api, catalog) -> None:
    customer = ok(api.post("/customers", json={"name": "Old", "currency": "USD"}), 201)
    cases = [
        ({"plan_id": "pln_nope"}, 404, ["plan_id"]),
        ({"customer_id": customer["id"], "customer": {"name": "New"}}, 422, ["customer"]),
        ({"customer_id": "nobody"}, 404, ["customer_id"]),
        ({"success_url": "javascript:alert(1)"}, 422, ["success_url"]),
        ({"cancel_url": "ftp://example.com/x"}, 422, ["cancel_url"]),
        ({"expires_in": 1799}, 422, ["expires_in"]),
        ({"expires_in": 86_401}, 422, ["expires_in"]),
        ({"plan_id": EUR_PLAN, "customer_id": customer["id"]}, 422, ["customer_id"]),
        ({"customer": {"name": "X", "currency": "EUR"}}, 422, ["customer.currency"]),
        ({"customer": {"name": "X", "id": customer["id"]}}, 409, ["customer.id"]),
        ({"unknown": 1}, 422, ["unknown"]),
    ]
    for fields, status, named in cases:
        body = {"plan_id": PLAN, "success_url": SUCCESS, "cancel_url": CANCEL, **fields}
        answer = api.post("/checkout-sessions", json=body)
        assert answer.status_code == status, (fields, answer.text)
        assert problem_fields(answer) == named, (fields, answer.json())
    missing = api.post("/checkout-sessions", json={"plan_id": PLAN})
    assert missing.status_code == 422
    assert sorted(problem_fields(missing)) == ["cancel_url", "success_url"]
    assert api.get("/checkout-sessions/cs_nope").status_code == 404
    for bound in (1800, 86_400):
        assert new_session(api, expires_in=bound)["status"] == "open"


def test_a_new_customers_details_are_kept_for_the_page(kassa, api, anon, catalog, wall) -> None:
    session = new_session(api, customer={
        "name": "Tax Co", "email": "tax@example.com", "tax_rate": "20.00",
        "aliases": ["crm-7"], "metadata": {"crm": "7"}})
    assert session["customer_details"] == {
        "name": "Tax Co", "email": "tax@example.com", "tax_rate": "20.00",
        "aliases": ["crm-7"], "metadata": {"crm": "7"}}
    answer = pay(anon, session, name="Tax Co Ltd")
    assert answer.status_code == 303, answer.text
    customer = ok(api.get("/customers/crm-7"))
    assert (customer["name"], customer["tax_rate"], customer["metadata"]) == (
        "Tax Co Ltd", "20.00", {"crm": "7", "checkout_session_id": session["id"]})
    [invoice] = ok(api.get("/invoices"))["data"]
    assert (invoice["total"], invoice["status"]) == ("58.80", "paid")  # 49.00 + 20 % tax


def test_another_environment_sees_nothing(api, prod_api, catalog) -> None:
    session = new_session(api)
    assert prod_api.get(f"/checkout-sessions/{session['id']}").status_code == 404
    answer = prod_api.post("/checkout-sessions", json={
        "plan_id": PLAN, "success_url": SUCCESS, "cancel_url": CANCEL})
    assert answer.status_code == 404 and problem_fields(answer) == ["plan_id"]
    customer = ok(api.post("/customers", json={"name": "Sandbox only", "currency": "USD"}), 201)
    prod_plan = ok(prod_api.post("/plans", json={"name": "Live", "currency": "USD", "items": [
        {"product_id": ok(prod_api.post("/products", json={
            "name": "P", "fee_type": "fixed", "billing_frequency": "recurring"}), 201)["id"],
         "price": fixed("10.00", "advance")}]}), 201)
    answer = prod_api.post("/checkout-sessions", json={
        "plan_id": prod_plan["id"], "customer_id": customer["id"], "success_url": SUCCESS,
        "cancel_url": CANCEL})
    assert answer.status_code == 404 and problem_fields(answer) == ["customer_id"]


def test_the_api_needs_a_key(anon) -> None:
    assert anon.post("/checkout-sessions", json={}).status_code == 401
    assert anon.get("/checkout-sessions/cs_x").status_code == 401


# ------------------------------------------------------------------ the page, over HTTP


def test_a_new_customer_checks_out(kassa, api, anon, catalog, wall) -> None:
    session = new_session(api, customer={"email": "ada@example.com"})
    page = anon.get(page_path(session))
    assert page.status_code == 200
    assert "Subscribe to Starter" in page.text and "49.00 USD" in page.text
    assert 'value="ada@example.com"' in page.text and CANCEL in page.text
    answer = pay(anon, session)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == success(session)

    done = ok(api.get(f"/checkout-sessions/{session['id']}"))
    assert done["status"] == "complete" and done["completed_at"]
    [customer] = ok(api.get("/customers"))["data"]
    assert (customer["id"], customer["name"], customer["email"], customer["currency"]) == (
        done["customer_id"], "Ada Lovelace", "ada@example.com", "USD")
    [sub] = ok(api.get("/subscriptions"))["data"]
    assert (sub["id"], sub["status"], sub["plan_id"], sub["customer_id"]) == (
        done["subscription_id"], "active", PLAN, customer["id"])
    [invoice] = ok(api.get("/invoices"))["data"]
    assert (invoice["id"], invoice["status"], invoice["total"], invoice["amount_paid"],
            invoice["amount_due"]) == (done["invoice_id"], "paid", "49.00", "49.00", "0.00")
    [method] = ok(api.get(f"/customers/{customer['id']}/payment-methods"))["data"]
    assert (method["type"], method["details"], method["test_behavior"]) == (
        "card", {"brand": "Visa", "last4": "4242"}, "succeed")

    [event] = event_data(kassa, "checkout.session.completed")
    assert {k: v for k, v in event.items() if k not in ("customer", "subscription")} == done
    assert event["customer"] == ok(api.get(f"/customers/{customer['id']}"))
    assert (event["subscription"]["id"], event["subscription"]["status"]) == (sub["id"], "active")
    listed = ok(api.get("/webhook-events", params={"type": "checkout.session.completed"}))
    assert [e["data"] for e in listed["data"]] == [event]
    [kind] = [t for t in ok(api.get("/webhook-event-types"))["data"]
              if t["type"] == "checkout.session.completed"]
    assert kind["emitted"] is True

    # Completed: the page says so; a second payment is refused and creates nothing.
    again = anon.get(page_path(session))
    assert again.status_code == 200 and "Checkout complete" in again.text
    replay = anon.post(page_path(session), data={
        "csrf_token": token(page.text), "card_number": GOOD_CARD, "card_expiry": "12/30",
        "card_cvc": "123", "name": "Ada", "email": "ada@example.com"}, follow_redirects=False)
    assert replay.status_code == 409 and "cannot be paid again" in replay.text
    assert len(ok(api.get("/customers"))["data"]) == 1
    assert len(ok(api.get("/subscriptions"))["data"]) == 1
    assert len(ok(api.get("/payments"))["data"]) == 1
    assert len(event_data(kassa, "checkout.session.completed")) == 1


def test_a_declined_card_then_a_good_one(kassa, api, anon, catalog, wall) -> None:
    session = new_session(api)
    declined = pay(anon, session, BAD_CARD)
    assert declined.status_code == 402
    assert re.search(r'<p class="error" id="field-card_number-note">Your card was declined '
                     r'\(card_declined: the test card was declined\)', declined.text)
    # The customer exists now (kept for the next attempt); the card number is not shown again.
    assert "Billed to <strong>Ada Lovelace</strong>" in declined.text
    assert 'name="card_number" type="text" value=""' in declined.text
    state = ok(api.get(f"/checkout-sessions/{session['id']}"))
    assert (state["status"], state["last_payment_error"]) == (
        "open", "card_declined: the test card was declined")
    assert event_data(kassa, "checkout.session.completed") == []

    answer = pay(anon, session, GOOD_CARD)
    assert answer.status_code == 303 and answer.headers["location"] == success(session)
    state = ok(api.get(f"/checkout-sessions/{session['id']}"))
    assert (state["status"], state["last_payment_error"]) == ("complete", None)
    assert len(ok(api.get("/customers"))["data"]) == 1
    [sub] = ok(api.get("/subscriptions"))["data"]
    assert sub["status"] == "active"
    [invoice] = ok(api.get("/invoices"))["data"]
    assert (invoice["status"], invoice["amount_paid"]) == ("paid", "49.00")
    assert sorted(p["status"] for p in ok(api.get("/payments"))["data"]) == ["failed", "succeeded"]
    assert len(event_data(kassa, "checkout.session.completed")) == 1


def test_an_existing_customer_and_a_trial(kassa, api, anon, catalog, wall) -> None:
    customer = ok(api.post("/customers", json={"name": "Old Co", "email": "old@example.com",
                                               "currency": "USD"}), 201)
    session = new_session(api, plan_id=TRIAL_PLAN, customer_id=customer["id"])
    page = anon.get(page_path(session))
    assert "Includes a free trial of 14 days" in page.text and "Old Co" in page.text
    assert 'name="name"' not in page.text  # an existing customer's details are not asked
    answer = pay(anon, session)
    assert answer.status_code == 303, answer.text
    done = ok(api.get(f"/checkout-sessions/{session['id']}"))
    assert (done["status"], done["customer_id"]) == ("complete", customer["id"])
    assert len(ok(api.get("/customers"))["data"]) == 1
    [sub] = ok(api.get("/subscriptions"))["data"]
    assert sub["status"] == "active"
    # The trial's 14 days are free; the rest of December is billed in advance and paid now.
    [invoice] = ok(api.get("/invoices"))["data"]
    assert (invoice["id"], invoice["status"]) == (done["invoice_id"], "paid")
    assert invoice["amount_paid"] == invoice["total"] == "26.86"


def test_nothing_due_now_completes_at_once(kassa, api, anon, catalog, wall) -> None:
    """A plan billed in arrears bills nothing at activation: the card is kept for later."""
    ok(api.post("/plans", json={"id": "pln_checkoutArrears000000001", "name": "Later",
                                "currency": "USD", "items": [
                                    {"product_id": PLATFORM, "price": fixed("49.00")}]}), 201)
    session = new_session(api, plan_id="pln_checkoutArrears000000001")
    answer = pay(anon, session)
    assert answer.status_code == 303, answer.text
    done = ok(api.get(f"/checkout-sessions/{session['id']}"))
    assert (done["status"], done["invoice_id"]) == ("complete", None)
    assert ok(api.get("/invoices"))["data"] == [] and ok(api.get("/payments"))["data"] == []
    [method] = ok(api.get(f"/customers/{done['customer_id']}/payment-methods"))["data"]
    assert method["is_default"] is True
    assert len(event_data(kassa, "checkout.session.completed")) == 1


def test_a_forged_post_is_refused(api, anon, catalog, wall) -> None:
    session = new_session(api)
    anon.get(page_path(session))
    for form in ({}, {"csrf_token": "forged"}):
        answer = anon.post(page_path(session), data={
            **form, "name": "Eve", "email": "eve@example.com", "card_number": GOOD_CARD,
            "card_expiry": "12/30", "card_cvc": "123"})
        assert answer.status_code == 403 and "security token" in answer.text
    assert ok(api.get("/customers"))["data"] == []
    assert ok(api.get(f"/checkout-sessions/{session['id']}"))["status"] == "open"


def test_bad_fields_are_shown_beside_them(api, anon, catalog, wall) -> None:
    session = new_session(api)
    answer = pay(anon, session, "1234", name="", email="nope", card_expiry="13/30",
                 card_cvc="x")
    assert answer.status_code == 422
    for name in ("name", "email", "card_number", "card_expiry", "card_cvc"):
        assert f'id="field-{name}-note"' in answer.text, name
    assert ok(api.get("/customers"))["data"] == []


def test_an_expired_session(api, anon, catalog, wall) -> None:
    session = new_session(api, expires_in=1800)
    page = anon.get(page_path(session))
    wall.offset = timedelta(minutes=31)
    assert ok(api.get(f"/checkout-sessions/{session['id']}"))["status"] == "expired"
    expired = anon.get(page_path(session))
    assert expired.status_code == 410 and "expired" in expired.text
    answer = anon.post(page_path(session), data={
        "csrf_token": token(page.text), "name": "Late", "email": "late@example.com",
        "card_number": GOOD_CARD, "card_expiry": "12/30", "card_cvc": "123"})
    assert answer.status_code == 410
    assert ok(api.get("/customers"))["data"] == []


def test_an_abandoned_declined_checkout_leaves_no_live_subscription(
        kassa, api, anon, catalog, wall) -> None:
    session = new_session(api, expires_in=1800)
    assert pay(anon, session, BAD_CARD).status_code == 402
    state = ok(api.get(f"/checkout-sessions/{session['id']}"))
    assert ok(api.get(f"/subscriptions/{state['subscription_id']}"))["status"] == "active"
    wall.offset = timedelta(minutes=31)
    assert ok(api.get(f"/checkout-sessions/{session['id']}"))["status"] == "expired"
    sub = ok(api.get(f"/subscriptions/{state['subscription_id']}"))
    assert sub["status"] == "canceled"
    assert ok(api.get(f"/invoices/{state['invoice_id']}"))["status"] == "void"
    assert len(ok(api.get("/customers"))["data"]) == 1  # the customer stays
    # Read again, and on its page: nothing more happens.
    assert ok(api.get(f"/checkout-sessions/{session['id']}"))["status"] == "expired"
    assert anon.get(page_path(session)).status_code == 410
    assert len(event_data(kassa, "subscription.canceled")) == 1
    assert event_data(kassa, "checkout.session.completed") == []


def test_an_unknown_page_is_a_404_page(anon) -> None:
    answer = anon.get("/checkout/cs_doesNotExist0000000000")
    assert answer.status_code == 404 and "There is no checkout at this address" in answer.text


def test_production_has_no_card_form(kassa, prod_api, anon, wall) -> None:
    product = ok(prod_api.post("/products", json={
        "name": "P", "fee_type": "fixed", "billing_frequency": "recurring"}), 201)
    plan = ok(prod_api.post("/plans", json={"name": "Live", "currency": "USD", "items": [
        {"product_id": product["id"], "price": fixed("10.00", "advance")}]}), 201)
    session = ok(prod_api.post("/checkout-sessions", json={
        "plan_id": plan["id"], "success_url": SUCCESS, "cancel_url": CANCEL}), 201)
    page = anon.get(page_path(session))
    assert page.status_code == 200
    assert "Card payment is not available" in page.text and 'name="card_number"' not in page.text


def test_parallel_submits_complete_once(kassa, api, anon, catalog, wall) -> None:
    """Six browsers post the same form at once (a double click, a retried request): one
    customer, one subscription, one charge, one event (on PostgreSQL the requests really run in
    parallel; on SQLite the writers queue)."""
    session = new_session(api)
    page = anon.get(page_path(session))
    form = {"csrf_token": token(page.text), "name": "Ada", "email": "ada@example.com",
            "card_number": GOOD_CARD, "card_expiry": "12/30", "card_cvc": "123"}
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def submit() -> None:
        barrier.wait()
        statuses.append(anon.post(page_path(session), data=form,
                                  follow_redirects=False).status_code)

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # Those that raced the completing one land on success_url too (the same submission), or on
    # the page saying the payment is processing or the checkout complete; one that starts after
    # it is a 409; none completes the session a second time.
    assert len(statuses) == 6 and 303 in statuses, statuses
    assert set(statuses) <= {303, 409, 202, 200}, statuses
    assert ok(api.get(f"/checkout-sessions/{session['id']}"))["status"] == "complete"
    assert len(ok(api.get("/customers"))["data"]) == 1
    assert len(ok(api.get("/subscriptions"))["data"]) == 1
    assert [p["status"] for p in ok(api.get("/payments"))["data"]] == ["succeeded"]
    assert len(event_data(kassa, "checkout.session.completed")) == 1
