"""Credit notes: the credit grant a credit resolution makes may expire (then the next invoice
no longer takes it), and a note pending its refund is not credited on the invoice until the
refund succeeds."""

from __future__ import annotations

from tests.integration.test_refunds import RefundProbe, Unreachable
from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import advance, card, invoices
from tests.scenarios.seed_catalog import ok

ACME, BIG = "wcqYrqfE", "AcBigCo12"


def _subscribe(api, customer: str) -> dict:
    ok(api.post("/subscriptions", json={
        "customer_id": customer, "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-12-01"},
        "billing": {"auto_pay_invoices": True},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}]}), 201)
    [december] = invoices(api, customer_id=customer)
    assert (december["status"], december["total"]) == ("paid", "100.00")
    return december


def _start(api) -> None:
    sc.build(api)
    card(api, ACME)
    card(api, BIG)
    ok(api.post("/clock/freeze", json={"at": "2026-12-01T00:00:00Z"}))


def test_a_credit_grant_from_a_credit_note_expires_and_the_next_invoice_no_longer_takes_it(
    api
) -> None:
    _start(api)
    expiring = ok(api.post("/credit-notes", json={
        "invoice_id": _subscribe(api, ACME)["id"], "amount": "40.00", "resolution": "credit",
        "credit_grant_expires_at": "2026-12-20T00:00:00Z"}), 201)
    lasting = ok(api.post("/credit-notes", json={
        "invoice_id": _subscribe(api, BIG)["id"], "amount": "40.00", "resolution": "credit"}), 201)
    assert expiring["credit_grant_expires_at"] == "2026-12-20T00:00:00Z"
    assert lasting["credit_grant_expires_at"] is None
    grant = ok(api.get(f"/credit-grants/{expiring['credit_grant_id']}"))
    assert (grant["amount"], grant["expires_at"], grant["source"]) == (
        "40.00", "2026-12-20T00:00:00Z", "credit_note")
    advance(api, "2027-01-01T00:00:00Z")
    assert ok(api.get(f"/credit-grants/{expiring['credit_grant_id']}"))["status"] == "expired"
    [_, acme_jan] = invoices(api, customer_id=ACME)
    [_, big_jan] = invoices(api, customer_id=BIG)
    assert (acme_jan["total"], acme_jan["credits_applied"], acme_jan["amount_paid"]) == (
        "100.00", "0.00", "100.00")
    assert (big_jan["total"], big_jan["credits_applied"], big_jan["amount_paid"]) == (
        "100.00", "40.00", "60.00")


def test_the_expiry_must_be_later_and_only_with_credit(api) -> None:
    _start(api)
    invoice = _subscribe(api, ACME)
    for body, message in [
        ({"resolution": "credit", "credit_grant_expires_at": "2026-11-30T00:00:00Z"},
         "The credit grant would expire before it is made; give an instant later than now."),
        ({"resolution": "refund", "credit_grant_expires_at": "2027-01-30T00:00:00Z"},
         "A refund makes no credit grant; give credit_grant_expires_at only with the credit "
         "resolution."),
        ({"credit_grant_expires_at": 1767225600}, None),
    ]:
        r = api.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "10.00", **body})
        assert r.status_code == 422, r.text
        [error] = r.json()["errors"]
        assert error["field"] == "credit_grant_expires_at"
        if message:
            assert error["message"] == message
    draft = ok(api.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "10.00"}),
               201)
    applied = ok(api.post(f"/credit-notes/{draft['id']}/apply", json={
        "resolution": "credit", "credit_grant_expires_at": "2027-02-01T00:00:00Z"}))
    assert applied["credit_grant_expires_at"] == "2027-02-01T00:00:00Z"
    grant = ok(api.get(f"/credit-grants/{applied['credit_grant_id']}"))
    assert (grant["amount"], grant["expires_at"]) == ("10.00", "2027-02-01T00:00:00Z")


def test_a_pending_refund_is_not_credited_until_the_refund_succeeds(kassa, api) -> None:
    _start(api)
    invoice = _subscribe(api, ACME)
    down = Unreachable(kassa.engine)
    kassa.processors["sandbox"] = down
    note = ok(api.post("/credit-notes", json={"invoice_id": invoice["id"], "amount": "40.00",
                                              "resolution": "refund"}), 201)
    assert note["status"] == "pending_refund"
    seen = ok(api.get(f"/invoices/{invoice['id']}"))
    assert (seen["status"], seen["amount_paid"], seen["amount_credited"], seen["amount_due"]) == (
        "paid", "100.00", "0.00", "0.00")
    advance(api, "2026-12-01T00:05:00Z")  # retried while the processor is down
    assert ok(api.get(f"/invoices/{invoice['id']}"))["amount_credited"] == "0.00"
    kassa.processors["sandbox"] = RefundProbe(kassa.engine)  # the processor is back
    advance(api, "2026-12-01T06:00:00Z")
    assert ok(api.get(f"/credit-notes/{note['id']}"))["status"] == "applied"
    assert ok(api.get(f"/refunds/{note['refund_id']}"))["status"] == "succeeded"
    seen = ok(api.get(f"/invoices/{invoice['id']}"))
    assert (seen["amount_paid"], seen["amount_credited"], seen["amount_due"]) == (
        "100.00", "40.00", "0.00")
    advance(api, "2026-12-02T00:00:00Z")  # nothing counts twice
    assert ok(api.get(f"/invoices/{invoice['id']}"))["amount_credited"] == "40.00"
