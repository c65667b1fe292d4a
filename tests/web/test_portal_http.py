"""The customer portal through HTTP (issue 15, "Portal sessions" and "Portal pages"): a real
server, httpx clients holding the portal cookie like a browser. Single-use links, expiry by
real time, every page's content, the retention step, plan changes with their proration, PDFs,
billing details and payment methods; and the hostile side: another customer's ids (of this
environment and of production) and forged forms reach nothing."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from tests.conftest import API_VERSION_HEADERS
from tests.web.billing_setup import DAY_16, PERIOD_START, Api, api, ok, server  # noqa: F401

pytestmark = pytest.mark.both_backends

ALL_ON = {"plan_overview_settings": {"show_section": True, "allow_subscription_cancel": True,
                                     "allow_plan_change": True},
          "usage_settings": {"show_section": True}}


def _text(response: httpx.Response) -> str:
    """The page's text without tags, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def csrf(response: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert found, "the page has no form token"
    return found.group(1)


def link(api: Api, customer: dict, **body: Any) -> dict:
    return api.post("/customer-portal-sessions", {"customer_id": customer["id"], **body}, 201)


def portal(server, api: Api, customer: dict, **body: Any) -> httpx.Client:
    """A browser-like client signed in to ``customer``'s portal through a new link."""
    client = httpx.Client(base_url=server.url, timeout=60, follow_redirects=True)
    opened = client.get(link(api, customer, **(ALL_ON | body))["url"])
    assert opened.status_code == 200, opened.text
    return client


def post(client: httpx.Client, path: str, data: dict[str, str], *, token_from: str) -> httpx.Response:
    token = csrf(client.get(token_from))
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


@pytest.fixture(scope="module")
def plans_available(api: Api) -> None:
    api.client.patch("/settings/customer-portal", json={
        "available_plan_ids": [api.catalog.basic["id"], api.catalog.pro["id"]],
        "retention_offer_text": "Stay with us: 20% off your next three months."})


# ------------------------------------------------------------------ links and visits


def test_a_link_opens_once_into_an_http_only_cookie(server, api: Api) -> None:
    customer = api.customer()
    url = link(api, customer)["url"]
    assert url.startswith(server.url + "/portal/open/")
    browser = httpx.Client(base_url=server.url, timeout=60)
    opened = browser.get(url)
    assert opened.status_code == 303 and opened.headers["location"] == "/portal/"
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith("kassa_portal=")
    for attribute in ("HttpOnly", "Path=/portal", "SameSite=lax", "Max-Age=3600"):
        assert attribute in cookie
    assert browser.get("/portal/plan").status_code == 200

    again = httpx.get(url, timeout=60)
    assert again.status_code == 410
    assert "already been used or has expired" in _text(again)
    assert "ask for a new link" in _text(again)
    # The first browser keeps its visit; a browser without the cookie has none.
    assert browser.get("/portal/invoices").status_code == 200
    stranger = httpx.get(server.url + "/portal/plan", timeout=60)
    assert stranger.status_code == 401
    assert "Open the billing link you were sent again" in _text(stranger)
    unknown = httpx.get(server.url + "/portal/open/not-a-token", timeout=60)
    assert unknown.status_code == 410


def test_links_and_visits_end_by_real_time(server, api: Api) -> None:
    customer = api.customer()
    unopened = link(api, customer, expires_in=60)["url"]
    browser = portal(server, api, customer)
    server.clock.move(timedelta(seconds=61))
    assert httpx.get(unopened, timeout=60).status_code == 410
    assert browser.get("/portal/plan").status_code == 200  # the visit lasts an hour
    server.clock.move(timedelta(hours=1))
    assert browser.get("/portal/plan").status_code == 401


def test_leaving_ends_the_visit_and_returns_to_the_return_url(server, api: Api) -> None:
    customer = api.customer()
    browser = portal(server, api, customer, return_url="https://globex.example/account")
    assert 'href="https://globex.example/account"' in browser.get("/portal/plan").text
    left = post(browser, "/portal/sign-out", {}, token_from="/portal/plan")
    assert left.status_code == 303 and left.headers["location"] == "https://globex.example/account"
    assert browser.get("/portal/plan").status_code == 401


# ------------------------------------------------------------------ plan overview


def test_plan_overview_shows_items_and_the_next_invoice(server, api: Api) -> None:
    customer = api.customer()
    api.started(customer, api.catalog.team)
    page = _text(portal(server, api, customer).get("/portal/plan"))
    assert f"{api.catalog.team['name']} Active" in page
    assert "Next invoice 2026-07-01" in page
    # 99.00 platform + 10 seats at 20.00, in advance; usage so far is none.
    assert "Next invoice amount 299.00 USD" in page
    assert "Current period 2026-06-01 – 2026-07-01" in page
    assert "Contract end No end date" in page
    assert "Platform 1 99.00 USD per month" in page
    assert "Seats 10 20.00 USD per unit, billed each month" in page


def test_cancel_asks_a_reason_then_offers_to_stay(server, api: Api, plans_available) -> None:
    customer = api.customer()
    sub = api.started(customer, api.catalog.basic)
    browser = portal(server, api, customer)
    form = f"/portal/plan/{sub['id']}/cancel"
    assert f'href="{form}"' in browser.get("/portal/plan").text

    wrong = post(browser, form, {"reason": "because"}, token_from=form)
    assert wrong.status_code == 422
    assert re.search(r'id="field-reason" name="reason" aria-invalid="true"', wrong.text)
    assert "Choose a reason." in _text(wrong)

    step = post(browser, form, {"reason": "pricing", "note": "Too dear for us"}, token_from=form)
    assert step.status_code == 200
    assert "Stay with us: 20% off your next three months." in _text(step)
    assert api.get(f"/subscriptions/{sub['id']}")["cancellation"] is None  # not yet

    done = browser.post(form, data={"csrf_token": csrf(step), "reason": "pricing",
                                    "note": "Too dear for us", "confirm": "yes"},
                        follow_redirects=False)
    assert done.status_code == 303
    canceled = api.get(f"/subscriptions/{sub['id']}")
    assert canceled["status"] == "active"
    assert {k: canceled["cancellation"][k] for k in ("reason", "timing", "note", "effective_at")} \
        == {"reason": "pricing", "timing": "end_of_term", "note": "Too dear for us",
            "effective_at": "2026-07-01T00:00:00Z"}
    page = _text(browser.get(done.headers["location"]))
    assert "Your subscription is set to end at the end of the current period." in page
    assert "This subscription ends on 2026-07-01" in page
    assert f'href="{form}"' not in browser.get("/portal/plan").text


def test_cancel_and_change_are_there_only_when_the_link_allows(server, api: Api,
                                                               plans_available) -> None:
    customer = api.customer()
    sub = api.started(customer, api.catalog.basic)
    browser = portal(server, api, customer, plan_overview_settings={
        "allow_subscription_cancel": False, "allow_plan_change": False})
    page = browser.get("/portal/plan").text
    assert "Cancel subscription" not in page and "Change plan" not in page
    assert browser.get(f"/portal/plan/{sub['id']}/cancel").status_code == 404
    assert browser.get(f"/portal/plan/{sub['id']}/change").status_code == 404
    refused = post(browser, f"/portal/plan/{sub['id']}/cancel",
                   {"reason": "pricing", "confirm": "yes"}, token_from="/portal/plan")
    assert refused.status_code == 404
    assert api.get(f"/subscriptions/{sub['id']}")["cancellation"] is None


def test_an_upgrade_applies_now_with_its_proration(server, api: Api, plans_available) -> None:
    customer = api.customer()
    sub = api.started(customer, api.catalog.basic)
    browser = portal(server, api, customer)
    form = f"/portal/plan/{sub['id']}/change"
    choices = _text(browser.get(form))
    assert f"{api.catalog.pro['name']} (199.00 USD per month)" in choices
    assert api.catalog.basic["name"] + " (" not in choices  # its own plan is not a choice

    preview = post(browser, form + "/preview", {"plan_id": api.catalog.pro["id"]}, token_from=form)
    assert preview.status_code == 200
    # 15 of June's 30 days left, at the daily rates 6.63 and 3.30 (as the dashboard's preview).
    assert ("For the rest of this period you are charged 99.45 USD and credited 49.50 USD for "
            "your current plan: 49.95 USD in all.") in _text(preview)
    assert api.get(f"/subscriptions/{sub['id']}")["plan_id"] == api.catalog.basic["id"]

    done = browser.post(form, data={"csrf_token": csrf(preview),
                                    "plan_id": api.catalog.pro["id"]}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=changed")
    assert api.get(f"/subscriptions/{sub['id']}")["plan_id"] == api.catalog.pro["id"]
    assert api.invoices(sub) == [("subscription", "99.00", "issued"),
                                 ("proration", "49.95", "issued")]
    assert "Your plan has changed." in _text(browser.get(done.headers["location"]))


def test_a_downgrade_waits_for_the_next_period(server, api: Api, plans_available) -> None:
    customer = api.customer()
    sub = api.started(customer, api.catalog.pro)
    browser = portal(server, api, customer)
    form = f"/portal/plan/{sub['id']}/change"
    preview = post(browser, form + "/preview", {"plan_id": api.catalog.basic["id"]},
                   token_from=form)
    assert "Starts on 2026-07-01, at the start of your next billing period." in _text(preview)
    done = browser.post(form, data={"csrf_token": csrf(preview),
                                    "plan_id": api.catalog.basic["id"]}, follow_redirects=False)
    assert done.headers["location"].endswith("?done=scheduled")
    after = api.get(f"/subscriptions/{sub['id']}")
    assert after["plan_id"] == api.catalog.pro["id"]
    assert [p["effective_at"] for p in after["pending_changes"]] == ["2026-07-01T00:00:00Z"]

    other = post(browser, form + "/preview", {"plan_id": api.catalog.team["id"]}, token_from=form)
    assert other.status_code == 422
    assert "Choose one of the plans listed." in _text(other)


# ------------------------------------------------------------------ usage and invoices


def test_usage_shows_the_period_by_day_and_its_cost(server, api: Api) -> None:
    customer = api.customer()
    sub = api.started(customer, api.catalog.team)
    event = api.catalog.metric["event_name"]
    api.post("/events", {"events": [
        {"account": customer["id"], "event_name": event, "unique_id": f"{sub['id']}-{n}",
         "timestamp": f"2026-06-{1 + n % 3:02d}T12:00:00Z"} for n in range(7)]})
    page = portal(server, api, customer).get("/portal/usage")
    text = _text(page)
    assert "Current period 2026-06-01 – 2026-07-01 Usage so far 7 Cost so far 0.07 USD" in text
    bars = re.findall(r"<title>(2026-06-0[1-4]): (\d+)</title>", page.text)
    assert bars == [("2026-06-01", "3"), ("2026-06-02", "2"), ("2026-06-03", "2"),
                    ("2026-06-04", "0")]


def test_invoices_list_the_issued_ones_with_their_pdfs(server, api: Api) -> None:
    customer = api.customer(billing_address={"line1": "Unter den Linden 1", "city": "Berlin",
                                             "postal_code": "10117", "country": "DE"},
                            tax_id="DE123456789")
    sub = api.started(customer, api.catalog.basic)
    [issued] = api.get("/invoices", subscription_id=sub["id"])["data"]
    draft = api.post("/invoices", {"customer_id": customer["id"], "currency": "USD",
                                   "auto_issue": False, "lines": [
                                       {"description": "Setup", "amount": "10.00"}]}, 201)
    assert draft["status"] == "draft"
    browser = portal(server, api, customer)
    page = browser.get("/portal/invoices")
    text = _text(page)
    assert f"{issued['number']} {issued['issue_date']}" in text
    assert f"{issued['total']} USD" in text
    assert draft["id"] not in page.text

    pdf = browser.get(f"/portal/invoices/{issued['id']}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'inline; filename="{issued["number"]}.pdf"'
    printed = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in (issued["number"], customer["name"], "Unter den Linden 1", "10117 Berlin",
                     "Tax ID DE123456789", "99.00"):
        assert expected in printed
    assert browser.get(f"/portal/invoices/{draft['id']}/pdf").status_code == 404


# ------------------------------------------------------------------ billing information


def test_billing_details_are_saved_and_checked(server, api: Api) -> None:
    customer = api.customer(email="ops@globex.io")
    browser = portal(server, api, customer)
    wrong = post(browser, "/portal/billing", {"billing_email": "ap@globex.io",
                                              "country": "Germany", "line1": "Main St 5"},
                 token_from="/portal/billing")
    assert wrong.status_code == 422
    assert re.search(r'id="field-country" name="country" type="text" value="Germany"'
                     r'[^>]*aria-invalid="true"', wrong.text)
    assert "Must be a two-letter country code such as DE or US." in _text(wrong)
    assert api.get(f"/customers/{customer['id']}")["billing_email"] is None

    saved = post(browser, "/portal/billing", {
        "billing_email": "ap@globex.io", "line1": "Main St 5", "city": "Springfield",
        "state": "IL", "postal_code": "62701", "country": "us", "tax_id": "US-99"},
        token_from="/portal/billing")
    assert saved.status_code == 303
    after = api.get(f"/customers/{customer['id']}")
    assert after["billing_email"] == "ap@globex.io" and after["tax_id"] == "US-99"
    assert after["billing_address"] == {"line1": "Main St 5", "line2": None,
                                        "city": "Springfield", "state": "IL",
                                        "postal_code": "62701", "country": "US"}
    assert after["email"] == "ops@globex.io" and after["name"] == customer["name"]


def test_payment_methods_are_added_made_default_and_removed(server, api: Api) -> None:
    customer = api.customer()
    browser = portal(server, api, customer)
    assert post(browser, "/portal/billing/payment-methods", {"card": "visa_succeeds"},
                token_from="/portal/billing").status_code == 303
    assert post(browser, "/portal/billing/payment-methods", {"card": "visa_declined"},
                token_from="/portal/billing").status_code == 303
    methods = api.get(f"/customers/{customer['id']}/payment-methods")["data"]
    assert [(m["details"]["last4"], m["test_behavior"], m["is_default"]) for m in methods] == [
        ("4242", "succeed", True), ("0002", "decline", False)]
    unknown = post(browser, "/portal/billing/payment-methods", {"card": "4111111111111111"},
                   token_from="/portal/billing")
    assert unknown.status_code == 422 and "Choose a test card." in _text(unknown)

    declined = methods[1]["id"]
    assert post(browser, f"/portal/billing/payment-methods/{declined}/default", {},
                token_from="/portal/billing").status_code == 303
    assert [m["is_default"] for m in
            api.get(f"/customers/{customer['id']}/payment-methods")["data"]] == [False, True]
    assert post(browser, f"/portal/billing/payment-methods/{methods[0]['id']}/remove", {},
                token_from="/portal/billing").status_code == 303
    left = api.get(f"/customers/{customer['id']}/payment-methods")["data"]
    assert [m["id"] for m in left] == [declined]
    assert "Visa ending 0002" in _text(browser.get("/portal/billing"))


def test_hidden_sections_are_not_there(server, api: Api) -> None:
    customer = api.customer()
    browser = portal(server, api, customer, usage_settings={"show_section": False},
                     invoice_list_settings={"show_section": False})
    page = browser.get("/portal/plan").text
    assert 'href="/portal/usage"' not in page and 'href="/portal/invoices"' not in page
    assert 'href="/portal/billing"' in page
    assert browser.get("/portal/usage").status_code == 404
    assert browser.get("/portal/invoices").status_code == 404


# ------------------------------------------------------------------ hostile visits


@pytest.fixture(scope="module")
def production(server) -> Any:
    headers = {**API_VERSION_HEADERS, "Authorization": f"Bearer {server.key('production')}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
        yield client


def test_no_id_reaches_another_customers_data(server, api: Api, production,
                                              plans_available) -> None:
    mine = api.customer()
    api.started(mine, api.catalog.basic)
    theirs = api.customer(email="victim@example.com")
    their_sub = api.started(theirs, api.catalog.basic)
    [their_invoice] = api.get("/invoices", subscription_id=their_sub["id"])["data"]
    their_method = api.post(f"/customers/{theirs['id']}/payment-methods",
                            {"type": "card", "details": {"last4": "1111"}}, 201)
    prod_customer = ok(production.post("/customers", json={"name": "Prod Co"}), 201)
    prod_method = ok(production.post(f"/customers/{prod_customer['id']}/payment-methods",
                                     json={"type": "card", "details": {"last4": "2222"}}), 201)

    browser = portal(server, api, mine)
    for sub_id in (their_sub["id"],):
        for path in (f"/portal/plan/{sub_id}/cancel", f"/portal/plan/{sub_id}/change"):
            assert browser.get(path).status_code == 404
        assert post(browser, f"/portal/plan/{sub_id}/cancel",
                    {"reason": "pricing", "confirm": "yes"},
                    token_from="/portal/plan").status_code == 404
        assert post(browser, f"/portal/plan/{sub_id}/change",
                    {"plan_id": api.catalog.pro["id"]}, token_from="/portal/plan").status_code == 404
    assert browser.get(f"/portal/invoices/{their_invoice['id']}/pdf").status_code == 404
    for method in (their_method, prod_method):
        for action in ("default", "remove"):
            assert post(browser, f"/portal/billing/payment-methods/{method['id']}/{action}", {},
                        token_from="/portal/billing").status_code == 404
    # A customer id smuggled into a form changes nothing of anyone else's.
    post(browser, "/portal/billing", {"customer_id": theirs["id"], "name": "Hacked",
                                      "billing_email": "me@mine.example"},
         token_from="/portal/billing")

    after = api.get(f"/subscriptions/{their_sub['id']}")
    assert after["cancellation"] is None and after["plan_id"] == api.catalog.basic["id"]
    assert api.get(f"/customers/{theirs['id']}/payment-methods")["data"][0]["id"] == \
        their_method["id"]
    assert ok(production.get(f"/customers/{prod_customer['id']}/payment-methods"))["data"][0][
        "id"] == prod_method["id"]
    theirs_now = api.get(f"/customers/{theirs['id']}")
    assert theirs_now["name"] == theirs["name"] and theirs_now["billing_email"] is None
    mine_now = api.get(f"/customers/{mine['id']}")
    assert mine_now["billing_email"] == "me@mine.example" and mine_now["name"] == mine["name"]
    for path in ("/portal/plan", "/portal/invoices", "/portal/billing"):
        page = browser.get(path).text
        assert their_sub["id"] not in page and their_invoice["id"] not in page
        assert "victim@example.com" not in page and prod_customer["id"] not in page


def test_a_production_link_shows_production_only(server, api: Api, production) -> None:
    prod_customer = ok(production.post("/customers", json={"name": "Prod Co"}), 201)
    opened = ok(production.post("/customer-portal-sessions",
                                json={"customer_id": prod_customer["id"]}), 201)
    browser = httpx.Client(base_url=server.url, timeout=60, follow_redirects=True)
    page = browser.get(opened["url"])
    assert page.status_code == 200
    assert "Test mode" not in page.text
    billing = browser.get("/portal/billing")
    assert "Adding a card or bank account here is not available yet" in _text(billing)
    refused = post(browser, "/portal/billing/payment-methods", {"card": "visa_succeeds"},
                   token_from="/portal/billing")
    assert refused.status_code == 404
    assert ok(production.get(f"/customers/{prod_customer['id']}/payment-methods"))["data"] == []
    sandbox_customer = api.customer()
    sandbox_sub = api.started(sandbox_customer, api.catalog.basic)
    assert browser.get(f"/portal/plan/{sandbox_sub['id']}/cancel").status_code == 404


def test_a_forged_form_is_refused(server, api: Api) -> None:
    mine, theirs = api.customer(), api.customer()
    browser = portal(server, api, mine)
    other = portal(server, api, theirs)
    for token in (None, "forged", csrf(other.get("/portal/billing"))):
        data = {"billing_email": "forged@evil.example"}
        if token is not None:
            data["csrf_token"] = token
        refused = browser.post("/portal/billing", data=data)
        assert refused.status_code == 403
        assert "sent without this page's security token" in _text(refused)
    assert api.get(f"/customers/{mine['id']}")["billing_email"] is None
    # Oversized and malformed bodies get a readable page, not a 500.
    token = csrf(browser.get("/portal/billing"))
    big = browser.post("/portal/billing", data={"csrf_token": token, "tax_id": "x" * 70_000})
    assert big.status_code == 413
    long = browser.post("/portal/billing", data={"csrf_token": token, "tax_id": "x" * 51})
    assert long.status_code == 422 and "at most 50 characters" in _text(long)
    odd = browser.post("/portal/billing", content=b'{"tax_id": "x"}',
                       headers={"content-type": "application/json"})
    assert odd.status_code == 415


def test_pay_now_charges_the_default_method_and_says_when_it_is_declined(server, api: Api) -> None:
    customer = api.customer()
    declined = api.post(f"/customers/{customer['id']}/payment-methods", {
        "type": "card", "details": {"last4": "0002"}, "test_behavior": "decline"}, 201)
    invoice = api.post("/invoices", {"customer_id": customer["id"], "currency": "USD",
                                     "lines": [{"description": "Setup", "amount": "250.00"}]}, 201)
    assert (invoice["status"], invoice["amount_due"]) == ("issued", "250.00")
    browser = portal(server, api, customer)
    pay = f"/portal/invoices/{invoice['id']}/pay"
    assert f'action="{pay}"' in browser.get("/portal/invoices").text

    refused = post(browser, pay, {}, token_from="/portal/invoices")
    assert refused.status_code == 422
    assert "The payment of 250.00 USD was declined: card_declined" in _text(refused)
    assert api.get(f"/invoices/{invoice['id']}")["status"] == "payment_failed"

    assert post(browser, "/portal/billing/payment-methods", {"card": "visa_succeeds",
                                                             "default": "true"},
                token_from="/portal/billing").status_code == 303
    paid = post(browser, pay, {}, token_from="/portal/invoices")
    assert paid.status_code == 303 and paid.headers["location"].endswith("?done=paid")
    after = api.get(f"/invoices/{invoice['id']}")
    assert (after["status"], after["amount_due"]) == ("paid", "0.00")
    payments = api.get("/payments", invoice_id=invoice["id"], sort="created_at:asc")["data"]
    assert [(p["status"], p["amount"], p["payment_method_id"]) for p in payments] == [
        ("failed", "250.00", declined["id"]),
        ("succeeded", "250.00", api.get(f"/customers/{customer['id']}/payment-methods")[
            "data"][1]["id"])]
    page = browser.get(paid.headers["location"])
    assert "Thank you: the invoice is paid." in _text(page)
    assert f'action="{pay}"' not in page.text
    # Nothing to pay: a readable refusal, never a second charge.
    again = post(browser, pay, {}, token_from="/portal/invoices")
    assert again.status_code == 422
    assert len(api.get("/payments", invoice_id=invoice["id"])["data"]) == 2
