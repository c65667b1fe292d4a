"""Dates and instants outside Kassa's calendar (1970-01-01 .. 2999-12-31) are a 422 naming the
field. Before, some were 500s at once (converting 9999-12-31T23:59:59-05:00 to UTC overflows),
others later (a subscription starting on 9999-12-31 failed to activate; a clock frozen at year 1
printed "1-01-01")."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok

RANGE = "must be between 1970-01-01 and 2999-12-31"


def _field(r) -> str:
    assert r.status_code == 422, r.text
    return r.json()["errors"][0]["field"]


def _refused(r, field: str, message: str = RANGE) -> None:
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": field, "message": message}], r.text


def test_instants_outside_the_calendar(api: TestClient) -> None:
    ok(api.post("/customers", json={"id": "cust1", "name": "A", "currency": "USD"}), 201)
    for at in ("9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00", "3000-01-01T00:00:00Z",
               "1969-12-31T23:59:59Z"):
        _refused(api.post("/clock/freeze", json={"at": at}), "at")
        _refused(api.post("/credit-grants", json={"customer_id": "cust1", "amount": "5",
                                                  "expires_at": at}), "expires_at")
        r = api.get("/customers/cust1/usage", params={"from": at, "to": "2026-07-01T00:00:00Z"})
        _refused(r, "from")
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    grant = ok(api.post("/credit-grants", json={"customer_id": "cust1", "amount": "5",
                                                "expires_at": "2999-12-31T23:59:59Z"}), 201)
    assert grant["expires_at"] == "2999-12-31T23:59:59Z"
    r = api.get("/webhook-events", params={"since": "9999-12-31T23:59:59-05:00"})
    assert _field(r) == "since"
    assert r.json()["errors"][0]["message"] == f"Invalid value for filter 'since': {RANGE}"
    hook = ok(api.post("/webhook-endpoints", json={"url": "http://127.0.0.1:1/x"}), 201)
    r = api.post(f"/webhook-endpoints/{hook['id']}/recover",
                 json={"since": "9999-12-31T23:59:59-05:00"})
    _refused(r, "since")


def test_subscription_dates_outside_the_calendar(api: TestClient) -> None:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    items = [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}]
    base = {"customer_id": "wcqYrqfE", "currency": "USD", "items": items}
    for day in ("9999-12-31", "0001-01-01", "3000-01-01"):
        r = api.post("/subscriptions", json={**base, "contract": {"start_date": day}})
        _refused(r, "contract.start_date")
        r = api.post("/subscriptions", json={**base, "billing": {"first_billing_date": day}})
        _refused(r, "billing.first_billing_date")
    sub = ok(api.post("/subscriptions", json={**base, "auto_activate": True}), 201)
    _refused(api.post(f"/subscriptions/{sub['id']}/pause", json={"resume_at": "9999-12-31"}),
             "resume_at")
    message = f"9999-12-31: the date {RANGE}."
    _refused(api.post(f"/subscriptions/{sub['id']}/cancel", json={"timing": "9999-12-31"}),
             "timing", message)
    change = {"update": [{"product_id": sc.PLATFORM, "quantity": 2}], "effective": "9999-12-31"}
    _refused(api.post(f"/subscriptions/{sub['id']}/changes", json=change), "effective", message)
    version = {"effective_at": "9999-12-31", "items": items}
    _refused(api.post(f"/subscriptions/{sub['id']}/versions", json=version), "effective_at",
             message)
    assert ok(api.get(f"/subscriptions/{sub['id']}"))["status"] == "active"



def test_one_advance_covers_at_most_ten_years(api: TestClient) -> None:
    """Every billing cycle on the way runs in the request: 9999-12-31 would have taken hours
    (then failed past year 9999)."""
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T12:00:00Z"}))
    r = api.post("/clock/advance", json={"to": "2036-07-01T12:00:01Z"})
    _refused(r, "to", "One advance covers at most 10 years: it is 2026-07-01T12:00:00Z, so 'to' "
             "can be 2036-07-01T12:00:00Z at the latest. Advance in several steps.")
    _refused(api.post("/clock/advance", json={"to": "9999-12-31T00:00:00Z"}), "to")
    assert ok(api.get("/clock"))["now"] == "2026-07-01T12:00:00Z"
    assert ok(api.post("/clock/advance", json={"to": "2036-07-01T12:00:00Z"}))["now"] == (
        "2036-07-01T12:00:00Z")
