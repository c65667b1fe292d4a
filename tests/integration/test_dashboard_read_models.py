"""What the invoice and approval pages read beyond the API's objects: an invoice with its
payments, refunds, credit notes, the customer's credit and the actions its state allows
(``invoice_overview``), and approvals with their deal's value (``approval_views``), one query
per table for a page."""

from __future__ import annotations

from sqlalchemy import event

from kassa.services.billing import invoice_overview
from kassa.services.subscriptions import approval_views
from kassa.store.queries import ListQuery
from tests.scenarios.seed_catalog import fixed, ok

NONE = {"retry_payment": False, "apply_credits": False, "refund": False, "credit_note": False,
        "void": False}


def _customer(api, behavior: str | None = "succeed") -> dict:
    customer = ok(api.post("/customers", json={"name": "Read Model Co"}), 201)
    if behavior:
        ok(api.post(f"/customers/{customer['id']}/payment-methods", json={
            "type": "card", "test_behavior": behavior}), 201)
    return customer


def _invoice(api, customer: dict, amount: str, auto_pay: bool) -> dict:
    return ok(api.post("/invoices", json={"customer_id": customer["id"], "auto_pay": auto_pay,
                                          "lines": [{"description": "Work", "amount": amount}]}),
              201)


def test_an_invoice_and_the_actions_its_state_allows(kassa, api) -> None:
    ctx = kassa.ctx("sandbox")
    customer = _customer(api, "decline_once")
    failed = _invoice(api, customer, "80.00", auto_pay=True)
    details = invoice_overview.invoice_details(ctx, failed["id"])
    assert details["invoice"] == ok(api.get(f"/invoices/{failed['id']}"))
    assert details["customer"] == {"id": customer["id"], "name": "Read Model Co", "email": None}
    assert [(p["status"], p["amount"], p["refunds"]) for p in details["payments"]] == [
        ("failed", "80.00", [])]
    assert (details["credit_available"], details["credits_to_apply"], details["refundable"],
            details["left_to_credit"]) == ("0.00", "0.00", "0.00", "80.00")
    assert details["payment_method"]["test_behavior"] == "decline_once"
    assert details["actions"] == {**NONE, "retry_payment": True, "credit_note": True,
                                  "void": True}

    ok(api.post("/credit-grants", json={"customer_id": customer["id"], "amount": "30.00"}), 201)
    details = invoice_overview.invoice_details(ctx, failed["id"])
    assert (details["credit_available"], details["credits_to_apply"]) == ("30.00", "30.00")
    assert details["actions"]["apply_credits"] is True

    paid = ok(api.post(f"/invoices/{failed['id']}/retry-payment"))["invoice"]
    assert (paid["status"], paid["credits_applied"], paid["amount_paid"]) == ("paid", "30.00",
                                                                             "50.00")
    note = ok(api.post("/credit-notes", json={"invoice_id": paid["id"], "amount": "20.00",
                                              "resolution": "refund"}), 201)
    details = invoice_overview.invoice_details(ctx, paid["id"])
    [declined, charged] = details["payments"]
    assert (charged["status"], charged["amount"], charged["amount_refunded"]) == (
        "succeeded", "50.00", "20.00")
    assert [(r["id"], r["amount"], r["status"]) for r in charged["refunds"]] == [
        (note["refund_id"], "20.00", "succeeded")]
    assert [n["id"] for n in details["credit_notes"]] == [note["id"]]
    assert (details["refundable"], details["left_to_credit"]) == ("30.00", "60.00")
    assert details["actions"] == {**NONE, "refund": True, "credit_note": True}

    ok(api.post("/credit-notes", json={"invoice_id": paid["id"], "amount": "60.00",
                                       "resolution": "credit"}), 201)
    details = invoice_overview.invoice_details(ctx, paid["id"])
    assert details["left_to_credit"] == "0.00"
    assert details["actions"] == NONE  # fully credited: nothing left to do on it

    draft = ok(api.post("/invoices", json={"customer_id": customer["id"], "auto_issue": False,
                                           "lines": [{"description": "Later", "amount": "5.00"}]}),
               201)
    assert invoice_overview.invoice_details(ctx, draft["id"])["actions"] == {**NONE, "void": True}


def test_a_page_of_invoices_names_their_customers_in_one_query(kassa, api) -> None:
    ctx = kassa.ctx("sandbox")
    first, second = _customer(api, None), _customer(api, None)
    ok(api.patch(f"/customers/{second['id']}", json={"name": "Second Co",
                                                       "email": "ap@second.example"}))
    made = [_invoice(api, c, "10.00", auto_pay=False) for c in (first, second, first)]
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(kassa.engine, "before_cursor_execute", count)
    try:
        found = invoice_overview.list_invoices(ctx, ListQuery(limit=10, sort=("created_at",
                                                                              "desc")))
    finally:
        event.remove(kassa.engine, "before_cursor_execute", count)
    assert [r["id"] for r in found.rows] == [i["id"] for i in reversed(made)]
    assert [r["customer"]["name"] for r in found.rows] == ["Read Model Co", "Second Co",
                                                           "Read Model Co"]
    assert found.rows[1]["customer"]["email"] == "ap@second.example"
    customer_reads = [s for s in statements if "FROM customers" in s]
    assert len(customer_reads) == 1, customer_reads


def test_approvals_with_their_deal_value(kassa, api) -> None:
    ctx = kassa.ctx("sandbox")
    rule = ok(api.post("/approval-rules", json={
        "name": "Big", "conditions": [{"type": "tcv_exceeds", "value": "10000.00"}],
        "approvers": {"names": ["cfo@example.com"]}}), 201)
    customer = _customer(api, None)
    product = ok(api.post("/products", json={"name": "Seats", "fee_type": "fixed",
                                             "billing_frequency": "recurring"}), 201)
    yearly = {**fixed("6000.00"), "billing_interval": "yearly"}
    subs = []
    for months in (24, 36):
        sub = ok(api.post("/subscriptions", json={
            "customer_id": customer["id"], "currency": "USD", "name": f"{months} months",
            "contract": {"period_type": "fixed", "duration_months": months},
            "items": [{"product_id": product["id"], "price": yearly}]}), 201)
        assert ok(api.post(f"/subscriptions/{sub['id']}/activate"))["status"] == "pending_approval"
        subs.append(sub)
    found = approval_views.list_for_review(ctx, ListQuery(sort=("created_at", "asc"),
                                                          filters={"status": ["pending"]}))
    assert [(a["subscription"]["name"], a["value"], a["rule"]["name"], a["reasons"])
            for a in found.rows] == [
        ("24 months", {"mrr": "500.00", "tcv": "12000.00", "acv": "6000.00"}, "Big",
         ["total contract value above 10000.00"]),
        ("36 months", {"mrr": "500.00", "tcv": "18000.00", "acv": "6000.00"}, "Big",
         ["total contract value above 10000.00"]),
    ]
    review = approval_views.for_review(ctx, found.rows[0]["id"])
    assert review["customer"]["id"] == customer["id"]
    assert review["item_lines"] == [{
        "bundle_id": None, "product_id": product["id"], "product_name": "Seats",
        "price_type": "fixed", "fee_type": "fixed", "billing_interval": "yearly", "quantity": 1}]
    ok(api.post(f"/approvals/{review['id']}/approve", json={"approver": "cfo@example.com"}))
    decided = approval_views.for_review(ctx, review["id"])
    assert (decided["status"], decided["subscription"]["status"]) == ("approved", "active")
    assert decided["value"] == review["value"]  # from the published version now
    ok(api.delete(f"/approval-rules/{rule['id']}"))
    assert approval_views.for_review(ctx, review["id"])["rule"] is None
