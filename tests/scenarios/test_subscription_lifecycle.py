"""Clock-driven subscription stories: cancellation, scheduled versions, pause, renewal,
proration previews and seat changes, asserting every status and emitted event."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.helpers import event_data, events
from tests.scenarios.seed_catalog import ok


def advance(api: TestClient, to: str) -> dict:
    """Advance the clock; ``ran`` keeps the subscription transitions (billing is tested apart)."""
    body = ok(api.post("/clock/advance", json={"to": to}))
    body["ran"] = [i for i in body["ran"] if i["type"].startswith("subscription.")]
    return body


@pytest.fixture
def catalog(api: TestClient) -> TestClient:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    return api


def start(api: TestClient, *, months: int = 12, auto_renew: bool = True, price: str = "500.00",
          direction: str = "arrears", start_date: str = "2026-07-01", period_type: str = "fixed",
          extra_items: list | None = None) -> dict:
    contract = {"period_type": period_type, "start_date": start_date}
    if period_type == "fixed":
        contract["duration_months"] = months
    body = {
        "customer_id": "wcqYrqfE",
        "currency": "USD",
        "contract": contract,
        "renewal": {"auto_renew": auto_renew},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed(price, direction)}, *(extra_items or [])],
        "auto_activate": True,
    }
    return ok(api.post("/subscriptions", json=body), 201)


def test_activation_emits_activated_then_started(kassa, catalog: TestClient) -> None:
    sub = start(catalog)
    assert sub["status"] == "active" and sub["activated_at"] == "2026-07-01T00:00:00Z"
    assert sub["current_period"] == {"start": "2026-07-01", "end": "2026-08-01"}
    assert events(kassa, prefix="subscription.", subscription_id=sub["id"]) == [
        ("subscription.created", "2026-07-01T00:00:00Z"),
        ("subscription.activated", "2026-07-01T00:00:00Z"),
        ("subscription.started", "2026-07-01T00:00:00Z"),
    ]
    started = event_data(kassa, "subscription.started")[0]
    assert started["billing_period"] == {"start": "2026-07-01", "end": "2026-08-01"}
    assert started["status"] == "active"


def test_cancel_at_end_of_term(kassa, catalog: TestClient) -> None:
    sub = start(catalog)
    advance(catalog, "2026-09-15T10:00:00Z")
    r = ok(catalog.post(f"/subscriptions/{sub['id']}/cancel",
                        json={"reason": "pricing", "timing": "end_of_term", "note": "Too expensive"}))
    assert r["status"] == "active"
    assert r["cancellation"] == {
        "reason": "pricing",
        "timing": "end_of_term",
        "note": "Too expensive",
        "credit_unused_time": False,
        "requested_at": "2026-09-15T10:00:00Z",
        "effective_at": "2027-07-01T00:00:00Z",
    }
    assert events(kassa, prefix="subscription.cancel") == [
        ("subscription.cancelation_scheduled", "2026-09-15T10:00:00Z")
    ]
    advance(catalog, "2027-06-30T23:59:59Z")
    assert ok(catalog.get(f"/subscriptions/{sub['id']}"))["status"] == "active"
    ran = advance(catalog, "2027-07-02T00:00:00Z")["ran"]
    assert [(i["at"], i["type"]) for i in ran] == [("2027-07-01T00:00:00Z", "subscription.canceled")]
    after = ok(catalog.get(f"/subscriptions/{sub['id']}"))
    assert after["status"] == "canceled" and after["canceled_at"] == "2027-07-01T00:00:00Z"
    assert after["current_period"] is None
    assert events(kassa, prefix="subscription.cancel")[-1] == (
        "subscription.canceled", "2027-07-01T00:00:00Z"
    )
    # Nothing more happens to a canceled subscription.
    assert advance(catalog, "2027-12-01T00:00:00Z")["ran"] == []


def test_uncancel_before_it_takes_effect(kassa, catalog: TestClient) -> None:
    sub = start(catalog, months=3)
    ok(catalog.post(f"/subscriptions/{sub['id']}/cancel", json={"timing": "end_of_term"}))
    r = ok(catalog.post(f"/subscriptions/{sub['id']}/uncancel"))
    assert r["cancellation"] is None and r["status"] == "active"
    advance(catalog, "2026-10-01T00:00:00Z")
    after = ok(catalog.get(f"/subscriptions/{sub['id']}"))
    assert after["status"] == "active"
    assert after["current_term"] == {"start": "2026-10-01", "end": "2027-01-01"}
    r = catalog.post(f"/subscriptions/{sub['id']}/uncancel")
    assert r.status_code == 422
    assert r.json()["detail"] == f"Subscription {sub['id']} has no scheduled cancellation to undo."


def test_cancel_immediately_and_on_a_date(kassa, catalog: TestClient) -> None:
    a = start(catalog)
    r = ok(catalog.post(f"/subscriptions/{a['id']}/cancel", json={"timing": "immediate", "reason": "moving_provider"}))
    assert r["status"] == "canceled" and r["canceled_at"] == "2026-07-01T00:00:00Z"
    b = start(catalog)
    r = ok(catalog.post(f"/subscriptions/{b['id']}/cancel", json={"timing": "2026-08-20"}))
    assert r["status"] == "active" and r["cancellation"]["effective_at"] == "2026-08-20T00:00:00Z"
    advance(catalog, "2026-08-20T00:00:00Z")
    assert ok(catalog.get(f"/subscriptions/{b['id']}"))["status"] == "canceled"
    again = catalog.post(f"/subscriptions/{b['id']}/cancel", json={"timing": "immediate"})
    assert again.status_code == 422
    assert again.json()["detail"] == f"Cannot cancel subscription {b['id']}: it is canceled."
    activate = catalog.post(f"/subscriptions/{b['id']}/activate")
    assert activate.status_code == 422
    assert activate.json()["detail"] == (
        f"Cannot activate subscription {b['id']}: it is canceled. "
        "Only a draft subscription can be activated."
    )


def test_future_version_takes_over_on_its_date(kassa, catalog: TestClient) -> None:
    sub = start(catalog)
    version = ok(
        catalog.post(
            f"/subscriptions/{sub['id']}/changes",
            json={
                "update": [{"product_id": sc.PLATFORM, "adjust": {"fixed_pricing_model": {"price_per_unit": "650.00"}}}],
                "effective": "2026-10-15",
            },
        ),
        201,
    )
    assert ok(catalog.get(f"/subscriptions/{sub['id']}"))["pending_changes"][0]["effective_at"] == (
        "2026-10-15T00:00:00Z"
    )
    advance(catalog, "2026-10-14T23:00:00Z")
    assert ok(catalog.get(f"/subscriptions/{sub['id']}"))["current_version_id"] == sub["current_version_id"]
    ran = advance(catalog, "2026-10-16T00:00:00Z")["ran"]
    assert [(i["at"], i["type"]) for i in ran] == [
        ("2026-10-15T00:00:00Z", "subscription.version_took_over")
    ]
    after = ok(catalog.get(f"/subscriptions/{sub['id']}"))
    assert after["current_version_id"] == version["id"] and after["pending_changes"] == []
    updated = event_data(kassa, "subscription.version.updated")
    assert [e["version"]["id"] for e in updated] == [version["id"]]
    assert updated[0]["version"]["previous_version_id"] == sub["current_version_id"]
    current = ok(catalog.get(f"/subscriptions/{sub['id']}/versions/current"))
    assert current["items"][0]["price"]["fixed_pricing_model"]["price_per_unit"] == "650.00"


def test_pause_and_resume(kassa, catalog: TestClient) -> None:
    sub = start(catalog)
    advance(catalog, "2026-07-20T00:00:00Z")
    paused = ok(catalog.post(f"/subscriptions/{sub['id']}/pause", json={}))
    assert paused["status"] == "paused"
    assert paused["pause"] == {"paused_at": "2026-07-20T00:00:00Z", "resume_at": None}
    ran = advance(catalog, "2026-09-10T00:00:00Z")["ran"]
    assert ran == []  # no billing cycle is announced while paused
    resumed = ok(catalog.post(f"/subscriptions/{sub['id']}/resume"))
    assert resumed["status"] == "active" and resumed["pause"] is None
    ran = advance(catalog, "2026-10-01T00:00:00Z")["ran"]
    assert [(i["at"], i["type"]) for i in ran] == [("2026-10-01T00:00:00Z", "subscription.started")]
    # A pause with a resume date ends by itself.
    ok(catalog.post(f"/subscriptions/{sub['id']}/pause", json={"resume_at": "2026-11-15"}))
    ran = advance(catalog, "2026-11-16T00:00:00Z")["ran"]
    assert [(i["at"], i["type"]) for i in ran] == [("2026-11-15T00:00:00Z", "subscription.resumed")]
    assert ok(catalog.get(f"/subscriptions/{sub['id']}"))["status"] == "active"
    with kassa.engine.connect() as conn:
        from sqlalchemy import select

        from kassa.store.tables import subscriptions

        pauses = conn.execute(select(subscriptions.c.pauses).where(subscriptions.c.id == sub["id"])).scalar_one()
    assert pauses == [
        {"start": "2026-07-20T00:00:00Z", "end": "2026-09-10T00:00:00Z"},
        {"start": "2026-10-01T00:00:00Z", "end": "2026-11-15T00:00:00Z"},
    ]
    for path, body, message in [
        ("resume", None, "Only a paused subscription can be resumed."),
        ("pause", {"resume_at": "2026-11-16"}, None),
    ]:
        r = catalog.post(f"/subscriptions/{sub['id']}/{path}", json=body)
        assert r.status_code == 422
        if message:
            assert r.json()["detail"].endswith(message)
        else:
            assert r.json()["errors"] == [{"field": "resume_at", "message": "resume_at must be a date after today."}]


def test_pause_a_draft_is_refused(catalog: TestClient) -> None:
    sub = ok(catalog.post("/subscriptions", json={"customer_id": "wcqYrqfE", "plan_id": sc.PLAN}), 201)
    r = catalog.post(f"/subscriptions/{sub['id']}/pause", json={})
    assert r.status_code == 422
    assert r.json()["detail"] == (
        f"Cannot pause subscription {sub['id']}: it is a draft. Only an active subscription can be paused."
    )


def test_renewal_of_a_12_month_fixed_contract(kassa, catalog: TestClient) -> None:
    sub = start(catalog, months=12, auto_renew=True)
    ran = advance(catalog, "2027-07-01T00:00:00Z")["ran"]
    assert [i["type"] for i in ran].count("subscription.started") == 12  # Aug 2026 .. Jul 2027
    assert ("2027-07-01T00:00:00Z", "subscription.renewed") in [(i["at"], i["type"]) for i in ran]
    after = ok(catalog.get(f"/subscriptions/{sub['id']}"))
    assert after["status"] == "active"
    assert after["current_term"] == {"start": "2027-07-01", "end": "2028-07-01"}
    assert after["contract"]["end_date"] == "2028-07-01"
    renewed = [e for e in event_data(kassa, "subscription.updated") if "renewed" in e]
    assert renewed[0]["renewed"] == {"term_start": "2027-07-01", "term_end": "2028-07-01"}
    started = event_data(kassa, "subscription.started")
    assert started[-1]["billing_period"] == {"start": "2027-07-01", "end": "2027-08-01"}


def test_a_fixed_term_without_renewal_ends(kassa, catalog: TestClient) -> None:
    sub = start(catalog, months=12, auto_renew=False)
    ran = advance(catalog, "2027-08-01T00:00:00Z")["ran"]
    assert ("2027-07-01T00:00:00Z", "subscription.ended") in [(i["at"], i["type"]) for i in ran]
    after = ok(catalog.get(f"/subscriptions/{sub['id']}"))
    assert after["status"] == "canceled" and after["canceled_at"] == "2027-07-01T00:00:00Z"
    assert after["cancellation"]["reason"] == "contract_ended"
    assert events(kassa, prefix="subscription.canceled") == [("subscription.canceled", "2027-07-01T00:00:00Z")]
    r = catalog.post(f"/subscriptions/{sub['id']}/changes",
                     json={"remove": [{"product_id": sc.PLATFORM}]})
    assert r.status_code == 422


def test_monthly_rolling_renews_every_month(catalog: TestClient) -> None:
    sub = start(catalog, period_type="monthly_rolling")
    assert sub["current_term"] == {"start": "2026-07-01", "end": "2026-08-01"}
    advance(catalog, "2026-09-15T00:00:00Z")
    assert ok(catalog.get(f"/subscriptions/{sub['id']}"))["current_term"] == {
        "start": "2026-09-01", "end": "2026-10-01"
    }
    r = catalog.post(f"/subscriptions/{sub['id']}/changes/preview",
                     json={"remove": [{"product_id": sc.PLATFORM}], "effective": "end_of_contract"})
    assert r.status_code == 422
    assert r.json()["detail"] == "A monthly rolling contract has no end date; use end_of_term or a date."


def test_upgrade_preview_matches_the_documented_proration(catalog: TestClient) -> None:
    ok(catalog.post("/clock/freeze", json={"at": "2026-06-01T00:00:00Z"}))
    sub = start(catalog, price="99.00", direction="advance", start_date="2026-06-01", months=12)
    advance(catalog, "2026-06-16T09:30:00Z")  # day 16 of a 30-day period: 15 days remain
    body = {
        "update": [{"product_id": sc.PLATFORM, "adjust": {"fixed_pricing_model": {"price_per_unit": "199.00"}}}],
        "effective": "immediate",
    }
    preview = ok(catalog.post(f"/subscriptions/{sub['id']}/changes/preview", json=body))
    assert preview["proration"] == {
        "behaviour": "full",
        "effective_date": "2026-06-16",
        "lines": [
            {
                "product_id": sc.PLATFORM,
                "bundle_id": None,
                "period": {"start": "2026-06-01", "end": "2026-07-01"},
                "covers": {"start": "2026-06-16", "end": "2026-07-01"},
                "period_days": 30,
                "remaining_days": 15,
                "old_amount": "99.00",
                "new_amount": "199.00",
                "old_daily_rate": "3.30",
                "new_daily_rate": "6.63",
                "credit": "49.50",
                "charge": "99.45",
                "net": "49.95",
            }
        ],
        "credit": "49.50",
        "charge": "99.45",
        "net": "49.95",
    }
    none = ok(catalog.post(f"/subscriptions/{sub['id']}/changes/preview", json={**body, "proration": "none"}))
    assert none["proration"]["net"] == "0.00" and none["proration"]["lines"] == []


def test_seat_changes_through_update_quantity(catalog: TestClient) -> None:
    ok(catalog.post("/clock/freeze", json={"at": "2026-06-01T00:00:00Z"}))
    sub = ok(catalog.post("/subscriptions", json={
        "customer_id": "wcqYrqfE", "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-06-01"},
        "items": [{"product_id": sc.SEATS, "price": sc.per_seat("20.00", "advance"), "quantity": 10}],
    }), 201)
    advance(catalog, "2026-06-16T00:00:00Z")
    version = ok(catalog.post(f"/subscriptions/{sub['id']}/changes",
                              json={"update": [{"product_id": sc.SEATS, "quantity": 15}]}), 201)
    assert version["items"][0]["quantity"] == 15
    # 10 seats = 200.00 a month (6.67 a day), 15 seats = 300.00 (10.00 a day), 15 days left.
    assert version["proration"]["lines"][0]["credit"] == "100.05"
    assert version["proration"]["lines"][0]["charge"] == "150.00"
    assert version["proration"]["net"] == "49.95"
    fewer = ok(catalog.post(f"/subscriptions/{sub['id']}/changes/preview",
                            json={"update": [{"product_id": sc.SEATS, "quantity": 5}]}))
    # 5 seats = 100.00 a month (3.33 a day): 15 x 3.33 - 15 x 10.00, a credit.
    assert fewer["proration"]["net"] == "-100.05"
