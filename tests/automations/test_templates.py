"""Each automation template of ``GET /automation-templates`` started with ``POST /automations
{"template": KEY}`` and driven by the state changes that trigger it, on the sandbox clock: the
mail that arrives (to whom, when, its figures), the tasks, the executions and their step logs,
and that advancing again starts nothing new."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.automations.helpers import (
    CUSTOMER,
    EMAIL,
    OWNER,
    advance,
    emitted,
    execution,
    executions,
    failing_invoice,
    follow,
    from_template,
    mail,
    runs,
    step_log,
    tasks,
    text,
)
from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import card, send_usage
from tests.scenarios.seed_catalog import ok

BIG_CO, BIG_CO_EMAIL = "AcBigCo12", "ops@bigco.test"
SIGNATURE = "\n\nThank you,\nThe billing team\n"
PORTAL_LINK = re.compile(r"http://[^\s)]+/portal/open/[\w-]+")


def linked(body: str) -> str:
    """``body`` with each billing portal link (single-use, random) written LINK."""
    return PORTAL_LINK.sub("LINK", body)


def quiet_until(api: TestClient, smtp_server, automation_id: str, to: str) -> None:
    """Advancing on to ``to`` sends, starts and creates nothing new."""
    before = (mail(smtp_server), runs(api, automation_id), tasks(api))
    advance(api, to)
    assert (mail(smtp_server), runs(api, automation_id), tasks(api)) == before


# The document's "Automation Templates" table, in its order.
DOCUMENTED = [("payment_dunning", "Payment Dunning"), ("welcome_series", "Welcome Series"),
              ("renewal_reminder", "Renewal Reminder"), ("usage_alert", "Usage Alert"),
              ("win_back", "Win-back Campaign")]


def emails_sent(steps: list[dict]) -> set[str]:
    """The email templates a definition's steps (and their branches) send."""
    found = set()
    for step in steps:
        if step.get("action") == "send_email":
            found.add(step["template"])
        for branch in ("then", "else", "steps", "onError"):
            found |= emails_sent(step.get(branch) or [])
    return found


def test_the_templates_are_the_documents_and_ship_their_emails(api) -> None:
    listed = ok(api.get("/automation-templates"))["data"]
    assert [(t["key"], t["name"]) for t in listed] == DOCUMENTED
    for template in listed:
        assert template["description"]
        used = emails_sent(template["definition"]["steps"])
        assert used, template["key"]
        for key in used:
            shipped = ok(api.get(f"/email-templates/{key}"))
            assert (shipped["source"], shipped["builtin"]) == ("builtin", True), key


# ----------------------------------------------------------------------------- payment_dunning

def dunning(api: TestClient, smtp_server) -> tuple[str, dict]:
    """The template active, Acme's account owner set, its 100.00 invoice declined on 1 December
    at 00:00:01; then the first email at once and the second when 3 days are over."""
    automation = from_template(api, "payment_dunning")
    invoice = failing_invoice(api)  # its payment.failed is not consumed yet
    ok(api.patch(f"/customers/{CUSTOMER}", json={"metadata": {"account_owner": OWNER}}))
    follow(api, smtp_server, [("2026-12-01T00:00:02Z", 1), ("2026-12-04T00:00:00Z", 1),
                              ("2026-12-04T00:00:01Z", 2)])
    number = invoice["number"]
    first, second = smtp_server.messages
    assert mail(smtp_server) == [
        (EMAIL, "2026-12-01T00:00:01Z", f"Your payment for invoice {number} did not go through"),
        (EMAIL, "2026-12-04T00:00:01Z", f"Second notice: invoice {number} is still unpaid")]
    assert linked(text(first.message)) == (
        f"Hi Acme Corp,\n\nWe could not collect 100.00 USD for invoice {number} (card_declined: "
        "the test card was declined).\n\nWe will try again automatically. If your card has "
        f"changed, please update your payment details.\n\nPay invoice {number} (LINK)"
        + SIGNATURE)
    assert linked(text(second.message)) == (
        f"Hi Acme Corp,\n\nInvoice {number} for 100.00 USD, due 2026-12-31 is still unpaid "
        "after our earlier attempt to collect it.\n\nYou can pay it now: LINK\n\nWe "
        "will retry the payment in a few days." + SIGNATURE)
    # Each email has a link of its own: two single-use links.
    assert len({*PORTAL_LINK.findall(text(first.message)),
                *PORTAL_LINK.findall(text(second.message))}) == 2
    return automation, invoice


def test_payment_dunning_escalates_an_invoice_that_stays_unpaid(api, smtp_server) -> None:
    """Day 8: the retry declines again, the final notice goes out and the account owner gets
    the collections task; the retry's own payment.failed starts no second sequence."""
    automation, invoice = dunning(api, smtp_server)
    number = invoice["number"]
    follow(api, smtp_server, [("2026-12-09T00:00:00Z", 2), ("2026-12-09T00:00:01Z", 3)])
    final = smtp_server.messages[2]
    assert mail(smtp_server)[2] == (EMAIL, "2026-12-09T00:00:01Z",
                                    f"Final notice: invoice {number} for 100.00 USD")
    assert linked(text(final.message)) == (
        f"Hi Acme Corp,\n\nThis is our final notice about invoice {number} for 100.00 USD, due "
        "2026-12-31. We have tried to collect it 2 times without success.\n\nUnless the invoice "
        "is paid, your account will be handed over to our collections team and your service "
        f"may be suspended.\n\nPay invoice {number} (LINK)" + SIGNATURE)
    payments = ok(api.get("/payments", params={"invoice_id": invoice["id"]}))["data"]
    assert sorted((p["status"], p["amount"], p["created_at"]) for p in payments) == [
        ("failed", "100.00", "2026-12-01T00:00:01Z"), ("failed", "100.00", "2026-12-09T00:00:01Z")]
    assert tasks(api) == [(
        OWNER, f"Collections: invoice {number} of Acme Corp (100.00 USD, due 2026-12-31) is "
        "still unpaid after 2 failed payments and the dunning emails.", CUSTOMER, invoice["id"],
        "2026-12-09T00:00:01Z")]
    [run] = executions(api, automation)
    assert runs(api, automation) == [("completed", "payment.failed", "2026-12-01T00:00:01Z",
                                      "2026-12-09T00:00:01Z", 10)]
    assert step_log(api, automation, run["id"]) == [
        ("steps[0]", "send_email", "succeeded", "2026-12-01T00:00:01Z"),
        ("steps[1]", "delay", "succeeded", "2026-12-01T00:00:01Z"),
        ("steps[2]", "condition", "succeeded", "2026-12-04T00:00:01Z"),
        ("steps[2].then[0]", "send_email", "succeeded", "2026-12-04T00:00:01Z"),
        ("steps[3]", "delay", "succeeded", "2026-12-04T00:00:01Z"),
        ("steps[4]", "condition", "succeeded", "2026-12-09T00:00:01Z"),
        ("steps[4].then[0]", "retry_payment", "succeeded", "2026-12-09T00:00:01Z"),
        ("steps[5]", "condition", "succeeded", "2026-12-09T00:00:01Z"),
        ("steps[5].then[0]", "send_email", "succeeded", "2026-12-09T00:00:01Z"),
        ("steps[5].then[1]", "create_task", "succeeded", "2026-12-09T00:00:01Z")]
    quiet_until(api, smtp_server, automation, "2026-12-31T23:59:59Z")  # till the next invoice


def test_payment_dunning_alone_recovers_the_payment(api, smtp_server) -> None:
    """The FAQ's "Automatic retries": with a working card by day 8 the template's retry
    collects the invoice, and neither the final notice nor the task follows."""
    automation, invoice = dunning(api, smtp_server)
    ok(api.post(f"/customers/{CUSTOMER}/payment-methods", json={
        "type": "card", "details": {"brand": "visa", "last4": "1111"},
        "test_behavior": "succeed", "default": True}), 201)
    follow(api, smtp_server, [("2026-12-09T00:00:00Z", 2)])
    assert ok(api.get(f"/invoices/{invoice['id']}"))["status"] == "payment_failed"
    follow(api, smtp_server, [("2026-12-09T00:00:01Z", 2)])
    paid = ok(api.get(f"/invoices/{invoice['id']}"))
    assert (paid["status"], paid["amount_paid"], paid["amount_due"], paid["paid_at"]) == (
        "paid", "100.00", "0.00", "2026-12-09T00:00:01Z")
    [run] = executions(api, automation)
    assert runs(api, automation) == [("completed", "payment.failed", "2026-12-01T00:00:01Z",
                                      "2026-12-09T00:00:01Z", 9)]
    log = step_log(api, automation, run["id"])
    assert log[5:] == [
        ("steps[4]", "condition", "succeeded", "2026-12-09T00:00:01Z"),
        ("steps[4].then[0]", "retry_payment", "succeeded", "2026-12-09T00:00:01Z"),
        ("steps[5]", "condition", "succeeded", "2026-12-09T00:00:01Z"),
        ("steps[5].else[0]", "stop", "succeeded", "2026-12-09T00:00:01Z")]
    assert tasks(api) == []
    quiet_until(api, smtp_server, automation, "2026-12-31T23:59:59Z")


# ------------------------------------------------------------------------------ welcome_series

def test_welcome_series_sends_three_emails_over_two_weeks(api, smtp_server) -> None:
    ok(api.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))
    automation = from_template(api, "welcome_series")
    advance(api, "2026-12-01T00:00:01Z")  # the automations consumer starts
    ok(api.post("/customers", json={"id": "jane", "name": "Jane Doe", "email": "jane@doe.test",
                                    "currency": "USD"}), 201)
    ok(api.post("/customers", json={"id": "nomail", "name": "No Mail", "currency": "USD"}), 201)
    follow(api, smtp_server, [
        ("2026-12-01T00:00:02Z", 1), ("2026-12-04T00:00:00Z", 1), ("2026-12-04T00:00:01Z", 2),
        ("2026-12-15T00:00:00Z", 2), ("2026-12-15T00:00:01Z", 3)])
    assert mail(smtp_server) == [
        ("jane@doe.test", "2026-12-01T00:00:01Z", "Welcome, Jane Doe"),
        ("jane@doe.test", "2026-12-04T00:00:01Z", "Getting started"),
        ("jane@doe.test", "2026-12-15T00:00:01Z", "How is it going?")]
    welcome, started, check_in = (text(m.message) for m in smtp_server.messages)
    assert welcome == ("Hi Jane Doe,\n\nWelcome aboard! Your account is ready.\n\nInvoices and "
                       "receipts will be sent to jane@doe.test." + SIGNATURE)
    assert started.startswith("Hi Jane Doe,\n\nA few days in: ")
    assert "- Invite your team\n- Connect your tools\n" in started
    assert check_in.startswith("Hi Jane Doe,\n\nYou have been with us for a little while now.")
    # One execution, for Jane: the customer without an email address starts none.
    [run] = executions(api, automation)
    assert execution(api, automation, run["id"])["trigger"]["customer"]["id"] == "jane"
    assert runs(api, automation) == [("completed", "customer.created", "2026-12-01T00:00:01Z",
                                      "2026-12-15T00:00:01Z", 5)]
    assert [(path, action) for path, action, *_ in step_log(api, automation, run["id"])] == [
        ("steps[0]", "send_email"), ("steps[1]", "delay"), ("steps[2]", "send_email"),
        ("steps[3]", "delay"), ("steps[4]", "send_email")]
    assert tasks(api) == []
    quiet_until(api, smtp_server, automation, "2027-02-01T00:00:00Z")


# --------------------------------------------------------------------------------- usage_alert

METRIC = "mtr_calls"


def metered(api: TestClient) -> str:
    """Acme (account owner set) on 0.10 a call, billed monthly from 1 July: the subscription."""
    sc.build(api)
    ok(api.patch(f"/customers/{CUSTOMER}", json={"email": EMAIL,
                                                 "metadata": {"account_owner": OWNER}}))
    ok(api.post("/metrics", json={"id": METRIC, "name": "Calls", "event_name": "calls",
                                  "aggregation": {"method": "sum", "field": "calls"}}), 201)
    ok(api.patch(f"/products/{sc.API_USAGE}", json={"metric_ids": [METRIC]}))
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    return ok(api.post("/subscriptions", json={
        "customer_id": CUSTOMER, "currency": "USD", "auto_activate": True,
        "billing": {"payment_terms": "net_30"},
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-07-01"},
        "items": [{"product_id": sc.API_USAGE, "price": {
            "type": "unit", "billing_interval": "monthly", "fee_type": "metered",
            "billing_direction": "arrears", "metric_ids": [METRIC],
            "unit_pricing_model": {"price_per_unit": "0.10"}}}],
    }), 201)["id"]


def test_usage_alert_emails_each_crossing_and_tasks_the_owner_above_120_percent(
        api, smtp_server) -> None:
    """Thresholds of 100 and 200 calls: each crossing emails the customer once per period and
    threshold, and usage above 120% of a threshold is a task for the account owner."""
    sub = metered(api)
    low, high = (ok(api.post("/usage-thresholds", json={
        "subscription_id": sub, "metric_id": METRIC, "value": value}), 201)["id"]
        for value in ("100", "200"))
    alert = from_template(api, "usage_alert")
    advance(api, "2026-07-10T00:00:00Z")
    send_usage(api, CUSTOMER, "calls", [("a", "2026-07-09T00:00:00Z", 110)])  # 110: low only
    follow(api, smtp_server, [("2026-07-10T01:00:00Z", 1)])
    send_usage(api, CUSTOMER, "calls", [("b", "2026-07-09T01:00:00Z", 150)])  # 260: high
    follow(api, smtp_server, [("2026-07-10T02:00:00Z", 2)])
    send_usage(api, CUSTOMER, "calls", [("c", "2026-07-09T02:00:00Z", 500)])  # both crossed
    follow(api, smtp_server, [("2026-08-05T00:00:00Z", 2)])
    send_usage(api, CUSTOMER, "calls", [("d", "2026-08-04T00:00:00Z", 300)])  # August: both
    follow(api, smtp_server, [("2026-08-06T00:00:00Z", 4)])

    subject = "Usage alert: Calls passed its threshold"
    assert mail(smtp_server) == [(EMAIL, at, subject) for at in (
        "2026-07-10T00:00:00Z", "2026-07-10T01:00:00Z", "2026-08-05T00:00:00Z",
        "2026-08-05T00:00:00Z")]
    bodies = [text(m.message) for m in smtp_server.messages]
    assert bodies[0] == (
        "Hi Acme Corp,\n\nYour usage of Calls has exceeded its threshold of 100 (now 110) in the "
        "billing period that started on 2026-07-01.\n\nUsage above your plan's allowance may be "
        "billed as overage. Reply to this email if you would like to review your plan."
        + SIGNATURE)
    assert [b.split("\n\n")[1] for b in bodies[1:]] == [
        "Your usage of Calls has exceeded its threshold of 200 (now 260) in the billing period "
        "that started on 2026-07-01.",
        "Your usage of Calls has exceeded its threshold of 100 (now 300) in the billing period "
        "that started on 2026-08-01.",
        "Your usage of Calls has exceeded its threshold of 200 (now 300) in the billing period "
        "that started on 2026-08-01."]

    # 260 > 240 and 300 > 120 and > 240: three tasks; 110 is not above 120.
    assert tasks(api) == [(OWNER, message, CUSTOMER, None, at) for message, at in [
        ("Acme Corp is at 130% of its Calls threshold (260 of 200 in the period from "
         "2026-07-01): talk to them about their plan.", "2026-07-10T01:00:00Z"),
        ("Acme Corp is at 150% of its Calls threshold (300 of 200 in the period from "
         "2026-08-01): talk to them about their plan.", "2026-08-05T00:00:00Z"),
        ("Acme Corp is at 300% of its Calls threshold (300 of 100 in the period from "
         "2026-08-01): talk to them about their plan.", "2026-08-05T00:00:00Z")]]
    crossed = [(d["threshold_id"], d["period"]["start"], d["usage"]) for d in (
        execution(api, alert, r["id"])["trigger"]["data"]
        for r in reversed(executions(api, alert)))]
    assert crossed == [(low, "2026-07-01", "110"), (high, "2026-07-01", "260"),
                       (low, "2026-08-01", "300"), (high, "2026-08-01", "300")]
    assert [(status, steps) for status, _, _, _, steps in runs(api, alert)] == [
        ("completed", 2), ("completed", 3), ("completed", 3), ("completed", 3)]
    quiet_until(api, smtp_server, alert, "2026-08-20T00:00:00Z")


# ---------------------------------------------------------------------------- renewal_reminder

YEARLY = {**sc.fixed("1200.00", "advance"), "billing_interval": "yearly"}


def renewal_reminders(api: TestClient) -> str:
    """The template active from 1 January 2026 on the seed catalog, Acme and Big Co with an
    email and a card that pays."""
    sc.build(api)
    for customer, email in ((CUSTOMER, EMAIL), (BIG_CO, BIG_CO_EMAIL)):
        ok(api.patch(f"/customers/{customer}", json={"email": email}))
        card(api, customer)
    ok(api.post("/clock/freeze", json={"at": "2026-01-01T00:00:00Z"}))
    automation = from_template(api, "renewal_reminder")
    advance(api, "2026-01-01T00:00:01Z")  # the automations consumer starts
    return automation


def subscribe(api: TestClient, customer: str, name: str, price: dict, contract: dict) -> str:
    return ok(api.post("/subscriptions", json={
        "customer_id": customer, "name": name, "currency": "USD", "auto_activate": True,
        "billing": {"payment_terms": "due_on_receipt", "auto_pay_invoices": True},
        "items": [{"product_id": sc.PLATFORM, "price": price}],
        "contract": {"start_date": "2026-01-01", **contract}}), 201)["id"]


ANNUAL = {"period_type": "fixed", "duration_months": 12}


def test_renewal_reminder_30_and_7_days_before_and_the_receipt_on_renewal(
        api, smtp_server) -> None:
    automation = renewal_reminders(api)
    sub = subscribe(api, CUSTOMER, "Platform annual", YEARLY, ANNUAL)
    follow(api, smtp_server, [
        ("2026-12-01T23:59:59Z", 0), ("2026-12-02T00:00:00Z", 1), ("2026-12-24T23:59:59Z", 1),
        ("2026-12-25T00:00:00Z", 2), ("2027-01-01T00:59:59Z", 2), ("2027-01-01T01:00:00Z", 3)])
    assert mail(smtp_server) == [
        (EMAIL, "2026-12-02T00:00:00Z", "Your subscription renews in 30 days"),
        (EMAIL, "2026-12-25T00:00:00Z", "Please confirm: your subscription renews in 7 days"),
        (EMAIL, "2027-01-01T01:00:00Z", "Your Platform annual subscription has renewed")]
    renewal = [i for i in ok(api.get("/invoices", params={"subscription_id": sub}))["data"]
               if i["issue_date"] == "2027-01-01"]
    assert [(i["total"], i["status"]) for i in renewal] == [("1200.00", "paid")]
    assert [text(m.message).split("\n\n")[1:-1] for m in smtp_server.messages] == [
        ["Your Platform annual subscription renews on 2027-01-01 for another term.",
         "Nothing to do if you want to keep it. To change or cancel it, reply to this email "
         "before then."],
        ["Your Platform annual subscription renews in 7 days, on 2027-01-01.",
         "Please confirm that your billing details are still up to date, and reply to this "
         "email if anything has changed."],
        ["Your Platform annual subscription has renewed on 2027-01-01; the new term runs until "
         "2028-01-01. Thank you for staying with us.",
         f"Invoice {renewal[0]['number']}: 1200.00 USD, paid."]]
    assert text(smtp_server.messages[0].message).startswith("Hi Acme Corp,\n\n")
    [run] = executions(api, automation)
    assert runs(api, automation) == [("completed", "subscription.ending_soon",
                                      "2026-12-02T00:00:00Z", "2027-01-01T01:00:00Z", 7)]
    assert [(path, action) for path, action, *_ in step_log(api, automation, run["id"])] == [
        ("steps[0]", "send_email"), ("steps[1]", "delay"), ("steps[2]", "condition"),
        ("steps[2].then[0]", "send_email"), ("steps[3]", "delay"), ("steps[4]", "condition"),
        ("steps[4].then[0]", "send_email")]
    quiet_until(api, smtp_server, automation, "2027-12-01T23:59:59Z")
    # The renewed term's own reminder, 30 days before it ends: a second execution.
    follow(api, smtp_server, [("2027-12-02T00:00:00Z", 4)])
    assert mail(smtp_server)[3] == (EMAIL, "2027-12-02T00:00:00Z",
                                    "Your subscription renews in 30 days")
    assert "renews on 2028-01-01" in text(smtp_server.messages[3].message)
    assert len(executions(api, automation)) == 2


def test_renewal_reminder_says_nothing_more_once_a_subscription_will_not_renew(
        api, smtp_server) -> None:
    """Big Co cancels its annual subscription at the end of its term after the 30-day reminder:
    no confirmation request, no receipt. A cancellation announced 30 days ahead (its
    subscription.ending_soon) is no renewal: it starts nothing."""
    automation = renewal_reminders(api)
    annual = subscribe(api, BIG_CO, "Big Co annual", YEARLY, ANNUAL)
    support = subscribe(api, BIG_CO, "Support", sc.fixed("50.00", "advance"),
                        {"period_type": "monthly_rolling"})
    advance(api, "2026-10-15T00:00:00Z")
    ok(api.post(f"/subscriptions/{support}/cancel", json={"timing": "2026-12-31"}))
    follow(api, smtp_server, [("2026-12-02T00:00:00Z", 1)])
    ok(api.post(f"/subscriptions/{annual}/cancel", json={"timing": "end_of_term"}))
    follow(api, smtp_server, [("2027-01-05T00:00:00Z", 1)])
    assert mail(smtp_server) == [
        (BIG_CO_EMAIL, "2026-12-02T00:00:00Z", "Your subscription renews in 30 days")]
    assert "Your Big Co annual subscription renews on 2027-01-01" in text(
        smtp_server.messages[0].message)
    [run] = executions(api, automation)
    assert execution(api, automation, run["id"])["trigger"]["data"]["id"] == annual
    assert runs(api, automation) == [("completed", "subscription.ending_soon",
                                      "2026-12-02T00:00:00Z", "2026-12-25T00:00:00Z", 4)]
    assert step_log(api, automation, run["id"])[2:] == [
        ("steps[2]", "condition", "succeeded", "2026-12-25T00:00:00Z"),
        ("steps[2].else[0]", "stop", "succeeded", "2026-12-25T00:00:00Z")]
    statuses = {s: ok(api.get(f"/subscriptions/{s}"))["status"] for s in (annual, support)}
    assert statuses == {annual: "canceled", support: "canceled"}
    quiet_until(api, smtp_server, automation, "2027-03-01T00:00:00Z")


# ------------------------------------------------------------------------------------ win_back

def test_win_back_emails_a_customer_two_weeks_after_it_left(kassa, api, smtp_server) -> None:
    """Acme cancels its only subscription: the email 14 days later. Big Co cancels one of two
    (it is still a customer): nothing. A draft canceled before it started starts nothing."""
    sc.build(api)
    for customer, email in ((CUSTOMER, EMAIL), (BIG_CO, BIG_CO_EMAIL)):
        ok(api.patch(f"/customers/{customer}", json={"email": email}))
    ok(api.post("/clock/freeze", json={"at": "2026-01-01T00:00:00Z"}))
    automation = from_template(api, "win_back")
    advance(api, "2026-01-01T00:00:01Z")  # the automations consumer starts
    monthly = sc.fixed("100.00", "advance")
    rolling = {"period_type": "monthly_rolling"}
    acme = subscribe(api, CUSTOMER, "Platform", monthly, rolling)
    big_co = [subscribe(api, BIG_CO, name, monthly, rolling) for name in ("Platform", "Support")]
    draft = ok(api.post("/subscriptions", json={
        "customer_id": BIG_CO, "currency": "USD", "name": "Trial",
        "items": [{"product_id": sc.PLATFORM, "price": monthly}],
        "contract": {"start_date": "2026-03-01", **rolling}}), 201)["id"]
    advance(api, "2026-02-10T00:00:00Z")
    for sub in (acme, big_co[0], draft):
        ok(api.post(f"/subscriptions/{sub}/cancel", json={"timing": "immediate"}))
    follow(api, smtp_server, [("2026-02-23T23:59:59Z", 0), ("2026-02-24T00:00:00Z", 1)])
    assert mail(smtp_server) == [(EMAIL, "2026-02-24T00:00:00Z", "We would love to have you back")]
    assert text(smtp_server.messages[0].message) == (
        "Hi Acme Corp,\n\nYour Platform subscription ended on 2026-02-10. We are sorry to see you "
        "go.\n\nYour account is still here whenever you want to come back. Reply to this email "
        "to restart your subscription, or to tell us what we could do better." + SIGNATURE)
    assert [e["id"] for e in emitted(kassa, "subscription.canceled")] == [acme, big_co[0], draft]
    ran = {execution(api, automation, r["id"])["trigger"]["data"]["id"]: r["id"]
           for r in executions(api, automation)}
    assert set(ran) == {acme, big_co[0]}
    assert runs(api, automation) == [
        ("completed", "subscription.canceled", "2026-02-10T00:00:00Z", "2026-02-24T00:00:00Z",
         steps) for steps in (3, 3)]
    assert [(path, action) for path, action, *_ in step_log(api, automation, ran[acme])] == [
        ("steps[0]", "delay"), ("steps[1]", "condition"), ("steps[1].then[0]", "send_email")]
    assert [(path, action) for path, action, *_ in step_log(api, automation, ran[big_co[0]])] == [
        ("steps[0]", "delay"), ("steps[1]", "condition"), ("steps[1].else[0]", "stop")]
    quiet_until(api, smtp_server, automation, "2026-04-01T00:00:00Z")
