"""subscription.ending_soon: once per term end, N days before it (KASSA_SUBSCRIPTION_ENDING_SOON_DAYS),
driven by the sandbox clock like the rest of the due work."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kassa.api.app import create_app
from kassa.bootstrap import build
from kassa.config import Settings, SettingsError, load_settings
from tests.conftest import API_VERSION_HEADERS
from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import advance
from tests.scenarios.helpers import event_data, events
from tests.scenarios.seed_catalog import ok

ENDING = "subscription.ending_soon"


@pytest.fixture
def catalog(api: TestClient) -> TestClient:
    sc.build(api)
    return api


@pytest.fixture
def ten_days(kassa, settings: Settings, sandbox_key: str) -> Iterator[TestClient]:
    """The same database, served by a Kassa whose ending_soon notice comes 10 days ahead."""
    app = build(settings.model_copy(update={"subscription_ending_soon_days": 10}),
                engine=kassa.engine)
    headers = {**API_VERSION_HEADERS, "Authorization": f"Bearer {sandbox_key}"}
    with TestClient(create_app(app), headers=headers, raise_server_exceptions=False) as client:
        sc.build(client)
        yield client
    app.outbound.close()


def subscribe(api: TestClient, start: str, contract: dict, **extra) -> dict:
    ok(api.post("/clock/freeze", json={"at": f"{start}T00:00:00Z"}))
    return ok(api.post("/subscriptions", json={
        "customer_id": "wcqYrqfE", "currency": "USD", "auto_activate": True,
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}],
        "contract": {"start_date": start, **contract}, **extra,
    }), 201)


ANNUAL = {"period_type": "fixed", "duration_months": 12}
ROLLING = {"period_type": "monthly_rolling"}


def notices(kassa) -> list[tuple[str, str, str, int]]:
    """(occurred at, subscription id, term_end, days_until_end) of every ending_soon."""
    at = [when for _, when in events(kassa, prefix=ENDING)]
    return [(when, d["id"], d["term_end"], d["days_until_end"])
            for when, d in zip(at, event_data(kassa, ENDING), strict=True)]


def test_a_fixed_term_gets_one_notice_30_days_before_it_ends(kassa, catalog: TestClient) -> None:
    sub = subscribe(catalog, "2026-01-01", ANNUAL, renewal={"auto_renew": False})
    endpoint = ok(catalog.post("/webhook-endpoints", json={"url": "http://127.0.0.1:1/x",
                                                          "event_types": [ENDING]}), 201)
    advance(catalog, "2026-12-01T23:59:59Z")
    assert notices(kassa) == []
    ran = advance(catalog, "2026-12-02T00:00:00Z")
    assert {"at": "2026-12-02T00:00:00Z", "type": ENDING, "subscription_id": sub["id"],
            "term_end": "2027-01-01"} in ran
    assert notices(kassa) == [("2026-12-02T00:00:00Z", sub["id"], "2027-01-01", 30)]
    [data] = event_data(kassa, ENDING)
    current = ok(catalog.get(f"/subscriptions/{sub['id']}"))
    assert data == {**current, "term_end": "2027-01-01", "days_until_end": 30}
    assert data["status"] == "active" and data["contract"]["end_date"] == "2027-01-01"
    # Advancing again, or further, announces nothing more; the contract then ends.
    advance(catalog, "2026-12-02T00:00:00Z")
    advance(catalog, "2027-03-01T00:00:00Z")
    assert len(notices(kassa)) == 1
    assert ok(catalog.get(f"/subscriptions/{sub['id']}"))["status"] == "canceled"
    [listed] = ok(catalog.get(f"/webhook-events?type={ENDING}"))["data"]
    assert listed["data"] == data and listed["timestamp"] == "2026-12-02T00:00:00Z"
    [message] = ok(catalog.get(f"/webhook-endpoints/{endpoint['id']}/messages"))["data"]
    assert message["event_type"] == ENDING


def test_each_renewed_term_gets_its_own_notice(kassa, catalog: TestClient) -> None:
    sub = subscribe(catalog, "2026-01-01", ANNUAL)
    advance(catalog, "2028-01-01T00:00:00Z")
    assert notices(kassa) == [
        ("2026-12-02T00:00:00Z", sub["id"], "2027-01-01", 30),
        ("2027-12-02T00:00:00Z", sub["id"], "2028-01-01", 30),
    ]


def test_the_setting_moves_the_notice(kassa, ten_days: TestClient) -> None:
    sub = subscribe(ten_days, "2026-01-01", ANNUAL)
    advance(ten_days, "2027-01-01T00:00:00Z")
    assert notices(kassa) == [("2026-12-22T00:00:00Z", sub["id"], "2027-01-01", 10)]


def test_the_setting_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().subscription_ending_soon_days == 30
    monkeypatch.setenv("KASSA_SUBSCRIPTION_ENDING_SOON_DAYS", "0")
    assert load_settings().subscription_ending_soon_days == 0
    monkeypatch.setenv("KASSA_SUBSCRIPTION_ENDING_SOON_DAYS", "-1")
    with pytest.raises(SettingsError, match="KASSA_SUBSCRIPTION_ENDING_SOON_DAYS"):
        load_settings()


def test_a_subscription_canceled_before_the_instant_gets_none(kassa, catalog: TestClient) -> None:
    sub = subscribe(catalog, "2026-01-01", ANNUAL)
    advance(catalog, "2026-11-30T00:00:00Z")
    ok(catalog.post(f"/subscriptions/{sub['id']}/cancel", json={"timing": "immediate"}))
    advance(catalog, "2027-02-01T00:00:00Z")
    assert notices(kassa) == []


def test_a_dated_cancellation_is_the_end_announced(kassa, catalog: TestClient) -> None:
    sub = subscribe(catalog, "2026-01-01", ANNUAL)
    advance(catalog, "2026-03-01T00:00:00Z")
    ok(catalog.post(f"/subscriptions/{sub['id']}/cancel", json={"timing": "2026-09-01"}))
    advance(catalog, "2027-02-01T00:00:00Z")
    assert notices(kassa) == [("2026-08-02T00:00:00Z", sub["id"], "2026-09-01", 30)]


def test_cancelling_at_the_announced_term_end_announces_nothing_new(kassa, catalog: TestClient) -> None:
    sub = subscribe(catalog, "2026-01-01", ANNUAL)
    advance(catalog, "2026-12-10T00:00:00Z")
    ok(catalog.post(f"/subscriptions/{sub['id']}/cancel", json={"timing": "end_of_term"}))
    advance(catalog, "2027-02-01T00:00:00Z")
    assert notices(kassa) == [("2026-12-02T00:00:00Z", sub["id"], "2027-01-01", 30)]


def test_monthly_rolling_is_announced_only_once_canceled(kassa, ten_days: TestClient) -> None:
    rolling = subscribe(ten_days, "2026-07-01", ROLLING)
    advance(ten_days, "2026-09-05T00:00:00Z")
    assert notices(kassa) == []  # no end in sight
    ok(ten_days.post(f"/subscriptions/{rolling['id']}/cancel", json={"timing": "end_of_term"}))
    advance(ten_days, "2026-11-01T00:00:00Z")
    # The period ends more than 10 days after the cancellation: the notice comes 10 days ahead.
    assert notices(kassa) == [("2026-09-21T00:00:00Z", rolling["id"], "2026-10-01", 10)]


def test_an_end_known_less_than_n_days_ahead_is_announced_at_once(kassa, catalog: TestClient) -> None:
    rolling = subscribe(catalog, "2026-07-01", ROLLING)
    advance(catalog, "2026-07-10T12:00:00Z")
    ok(catalog.post(f"/subscriptions/{rolling['id']}/cancel", json={"timing": "end_of_term"}))
    advance(catalog, "2026-09-01T00:00:00Z")
    assert notices(kassa) == [("2026-07-10T12:00:00Z", rolling["id"], "2026-08-01", 22)]


def test_a_second_run_at_the_same_instant_sends_nothing(kassa, catalog: TestClient) -> None:
    subscribe(catalog, "2026-01-01", ANNUAL)
    advance(catalog, "2026-12-02T00:00:00Z")
    [source] = [s for s in kassa.registry.sources if s.name == "subscription_ending_soon"]
    ctx = kassa.ctx("sandbox")  # frozen at 2026-12-02, as a worker would see it
    assert source.run(ctx) == [] and source.run(ctx) == []
    assert len(notices(kassa)) == 1
