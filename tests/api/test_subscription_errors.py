"""Subscriptions refuse bad input with a sentence a person understands, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok


@pytest.fixture
def live(api: TestClient) -> tuple[TestClient, str]:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    sub = ok(api.post("/subscriptions", json={
        "customer_id": "wcqYrqfE", "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "fixed", "duration_months": 12, "start_date": "2026-07-01"},
        "renewal": {"auto_renew": False},
        "items": [
            {"product_id": sc.PLATFORM, "price": sc.fixed("500.00")},
            {"bundle_id": sc.BUNDLE},
        ],
    }), 201)
    return api, sub["id"]


def error(r, status: int = 422) -> tuple[str | None, str]:
    """(field, message) of the first problem, or (None, detail) when no field is named."""
    assert r.status_code == status, r.text
    body = r.json()
    if body.get("errors"):
        return body["errors"][0]["field"], body["errors"][0]["message"]
    return None, body["detail"]


def test_create_refusals(api: TestClient) -> None:
    sc.build(api)
    price = sc.fixed("10.00")
    cases = [
        ({"customer_id": "nobody", "currency": "USD", "items": [{"product_id": sc.PLATFORM, "price": price}]},
         404, ("customer_id", "Customer 'nobody' was not found.")),
        ({"customer_id": "wcqYrqfE", "plan_id": "pln_nope"}, 404, (None, "Plan 'pln_nope' was not found.")),
        ({"customer_id": "wcqYrqfE", "items": [{"product_id": sc.PLATFORM, "price": price}]},
         422, ("currency", "currency is required when no plan_id is given.")),
        ({"customer_id": "wcqYrqfE", "currency": "EUR", "items": [{"product_id": sc.PLATFORM, "price": price}]},
         422, ("currency", "Customer wcqYrqfE is billed in USD; a subscription in EUR is not possible. "
                           "Change the customer's currency first.")),
        ({"customer_id": "wcqYrqfE", "currency": "USD"}, 422,
         ("items", "Give items, or a plan_id to take the items from.")),
        ({"customer_id": "wcqYrqfE", "currency": "USD", "items": [{"product_id": "prod_ghost", "price": price}]},
         422, ("items[0].product_id", "Product 'prod_ghost' does not exist; create it with POST /products first.")),
        ({"customer_id": "wcqYrqfE", "currency": "USD",
          "items": [{"product_id": sc.PLATFORM, "price": price}, {"product_id": sc.PLATFORM, "price": price}]},
         422, ("items[1].product_id", f"The product {sc.PLATFORM} appears twice; each may appear once in an item set.")),
        ({"customer_id": "wcqYrqfE", "currency": "USD", "items": [{"bundle_id": "bnd_ghost"}]},
         422, ("items[0].bundle_id", "Bundle 'bnd_ghost' does not exist; create it with POST /bundles.")),
        ({"customer_id": "wcqYrqfE", "currency": "USD", "items": [{"product_id": sc.PLATFORM}]},
         422, ("items[0].price", "required for a product item")),
        ({"customer_id": "wcqYrqfE", "currency": "USD", "contract": {"period_type": "fixed"},
          "items": [{"product_id": sc.PLATFORM, "price": price}]},
         422, ("contract.duration_months", "required for a fixed contract")),
        ({"customer_id": "wcqYrqfE", "currency": "USD",
          "contract": {"period_type": "monthly_rolling", "start_date": "2026-07-01"},
          "billing": {"first_billing_date": "2026-06-01"},
          "items": [{"product_id": sc.PLATFORM, "price": price}]},
         422, ("billing.first_billing_date", "first_billing_date cannot be before the contract start_date.")),
        ({"customer_id": "wcqYrqfE", "currency": "USD",
          "items": [{"product_id": sc.PLATFORM, "price": {**price, "fixed_pricing_model": {"price_per_unit": 10}}}]},
         422, ("items[0].price.fixed_pricing_model.price_per_unit", None)),
    ]
    for body, status, (field, detail) in cases:
        got_field, got_detail = error(api.post("/subscriptions", json=body), status)
        assert got_field == field, body
        if detail is not None:
            assert got_detail == detail or got_detail.endswith(detail), got_detail
    assert api.get("/subscriptions/nope1234").status_code == 404
    assert api.get("/subscriptions/nope1234/versions").status_code == 404


def test_change_refusals_say_what_to_do(live) -> None:
    api, sid = live
    url = f"/subscriptions/{sid}/changes"
    new_price = sc.fixed("1.00")
    cases = [
        ({"update": [{"product_id": sc.SUPPORT, "adjust": {"fixed_pricing_model": {"price_per_unit": "1.00"}}}]},
         ("update[0].product_id", f"{sc.SUPPORT} is not on this subscription; use add to add it.")),
        ({"remove": [{"product_id": sc.SUPPORT}]},
         ("remove[0].product_id", f"{sc.SUPPORT} is not on this subscription; there is nothing to remove.")),
        ({"add": [{"product_id": sc.PLATFORM, "new_price": new_price}]},
         ("add[0].product_id", f"{sc.PLATFORM} is already on this subscription; use update to change it.")),
        ({"update": [{"product_id": sc.SEATS, "quantity": 3}]},
         ("update[0].product_id",
          f"{sc.SEATS} is part of bundle {sc.BUNDLE}; address it through its bundle: "
          f"update[].bundle_id = {sc.BUNDLE} with items[] (or remove_items[]).")),
        ({"add": [{"product_id": sc.SEATS, "new_price": new_price}]},
         ("add[0].product_id", f"{sc.SEATS} is already in bundle {sc.BUNDLE}; update it through "
                               f"update[].bundle_id = {sc.BUNDLE}.")),
        ({"update": [{"product_id": sc.PLATFORM, "adjust": {"fixed_pricing_model": {"price_per_unit": "9.00"}},
                      "new_price": new_price}]},
         ("update[0].new_price", "adjust and new_price cannot be combined: use adjust for a partial change or "
                                 "new_price to replace the price")),
        ({"update": [{"product_id": sc.PLATFORM, "adjust": {"unit_pricing_model": {"price_per_unit": "9.00"}}}]},
         ("update[0].adjust.unit_pricing_model",
          "The price is fixed; adjust cannot change its type. Use new_price to replace it with another type.")),
        ({"update": [{"product_id": sc.PLATFORM, "adjust": {"fixed_pricing_model": {"price_per_unit": 9}}}]},
         ("update[0].adjust.fixed_pricing_model.price_per_unit",
          'Money must be a decimal string such as "500.00", not a JSON int')),
        ({"update": [{"bundle_id": sc.BUNDLE, "items": [{"product_id": sc.SUPPORT, "quantity": 2}]}]},
         ("update[0].items[0].product_id", f"{sc.SUPPORT} is not in bundle {sc.BUNDLE}; use add_items to add it.")),
        ({"remove": [{"product_id": sc.PLATFORM}], "effective": "someday"},
         ("effective", "Unknown effective value 'someday': use immediate, end_of_term, billing_cycle_start, "
                       "end_of_contract, next_renewal or a date YYYY-MM-DD.")),
        ({"remove": [{"product_id": sc.PLATFORM}], "effective": "next_renewal"},
         ("effective", "The subscription does not renew: its contract ends on 2027-07-01. Use end_of_contract, "
                       "or turn on renewal.auto_renew.")),
        ({"remove": [{"product_id": sc.PLATFORM}], "effective": "2026-06-30"},
         ("effective", "2026-06-30 is in the past; use immediate or a date from today on.")),
        ({"remove": [{"product_id": sc.PLATFORM}], "source_version_id": "zzzzzzzz"}, None),
        ({}, ("body", "The change is empty: give add, remove, update or plan_id (or draft: true to stage a "
                      "copy of the current version).")),
        ({"plan_id": "pln_nope"}, None),
    ]
    for body, expected in cases:
        r = api.post(url, json=body)
        if expected is None:
            assert r.status_code == 404, body
            continue
        assert error(r) == expected, body
        preview = api.post(f"{url}/preview", json=body)
        assert preview.status_code == 422
    versions = ok(api.get(f"/subscriptions/{sid}/versions"))["data"]
    assert len(versions) == 1  # nothing was written by any refused change


def test_version_refusals(live) -> None:
    api, sid = live
    current = ok(api.get(f"/subscriptions/{sid}/versions/current"))
    for method, path, body in [
        ("put", f"/subscriptions/{sid}/versions/{current['id']}", {"items": []}),
        ("delete", f"/subscriptions/{sid}/versions/{current['id']}", None),
        ("post", f"/subscriptions/{sid}/versions/{current['id']}/publish", None),
    ]:
        r = getattr(api, method)(path, **({"json": body} if body is not None else {}))
        assert r.status_code == 422
        assert r.json()["detail"].startswith(f"Version {current['id']} is published; published versions are immutable.")
    assert api.get(f"/subscriptions/{sid}/versions/nope").status_code == 404
    draft = ok(api.post("/subscriptions", json={"customer_id": "wcqYrqfE", "plan_id": sc.PLAN}), 201)
    r = api.get(f"/subscriptions/{draft['id']}/versions/current")
    assert r.status_code == 404
    r = api.post(f"/subscriptions/{draft['id']}/changes", json={"remove": [{"product_id": sc.PLATFORM}]})
    assert error(r) == (None, f"Cannot change subscription {draft['id']}: it is a draft. Changes apply to "
                              "active or paused subscriptions; edit a draft's version with "
                              "PUT /subscriptions/{id}/versions/{version_id}.")


def test_patch_applies_without_a_new_version(kassa, live) -> None:
    api, sid = live
    r = ok(api.patch(f"/subscriptions/{sid}", json={
        "name": "Renamed",
        "billing": {"payment_terms": "net_45", "auto_pay_invoices": True},
        "renewal": {"auto_renew": True, "duration_months": 24},
        "metadata": {"crm": "42", "owner": "ann"},
        "price_escalation": {"percentage": "5", "interval_months": 12},
    }))
    assert r["name"] == "Renamed"
    assert r["billing"]["payment_terms"] == "net_45" and r["billing"]["auto_pay_invoices"] is True
    assert r["billing"]["auto_issue_invoices"] is True
    assert r["renewal"] == {"auto_renew": True, "duration_months": 24, "period_type": None}
    assert r["price_escalation"] == {"enabled": True, "type": "percentage", "percentage": "5",
                                     "interval_months": 12, "escalate_metered_unit_rates": False}
    r = ok(api.patch(f"/subscriptions/{sid}", json={"metadata": {"owner": None}}))
    assert r["metadata"] == {"crm": "42"}
    assert len(ok(api.get(f"/subscriptions/{sid}/versions"))["data"]) == 1
    assert error(api.patch(f"/subscriptions/{sid}", json={}))[0] == "body"
    assert error(api.patch(f"/subscriptions/{sid}", json={"billing": {"payment_terms": "net_1000"}}))[0] == (
        "billing.payment_terms"
    )
    assert error(api.patch(f"/subscriptions/{sid}", json={"discount": {"type": "percentage", "amount": "120"}}))[0] == (
        "discount.amount"
    )
    # Renewal was switched on: the term now renews for 24 months.
    ok(api.post("/clock/advance", json={"to": "2027-07-01T00:00:00Z"}))
    assert ok(api.get(f"/subscriptions/{sid}"))["current_term"] == {"start": "2027-07-01", "end": "2029-07-01"}


def test_replacing_a_draft_version_cannot_null_its_settings(live) -> None:
    """``"proration": null`` was written as is: a NOT NULL violation, a 500."""
    api, sid = live
    items = [{"product_id": sc.PLATFORM, "price": sc.fixed("600.00")}]
    draft = ok(api.post(f"/subscriptions/{sid}/versions",
                        json={"effective_at": "end_of_term", "items": items}), 201)
    for name in ("proration", "effective_at"):
        r = api.put(f"/subscriptions/{sid}/versions/{draft['id']}", json={"items": items, name: None})
        assert error(r) == (name, "cannot be null")
    kept = ok(api.get(f"/subscriptions/{sid}/versions/{draft['id']}"))
    assert kept == draft
    replaced = ok(api.put(f"/subscriptions/{sid}/versions/{draft['id']}",
                          json={"items": items, "description": None, "proration": "none"}))
    assert replaced["effective_at"] == draft["effective_at"]


def test_backdating_is_limited_to_a_year(api: TestClient) -> None:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2027-07-02T00:00:00Z"}))
    body = {"customer_id": "wcqYrqfE", "currency": "USD",
            "contract": {"period_type": "monthly_rolling", "start_date": "2026-06-30"},
            "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("10.00")}]}
    assert error(api.post("/subscriptions", json=body)) == (
        "contract.start_date", "contract.start_date can be at most 366 days in the past.")
    body["contract"]["start_date"] = "2026-07-02"
    sub = ok(api.post("/subscriptions", json={**body, "auto_activate": True}), 201)
    assert sub["status"] == "active"
    # 12 monthly periods billed in arrears at once, then the clock goes on.
    assert len(ok(api.get(f"/invoices?subscription_id={sub['id']}&limit=100"))["data"]) == 12
