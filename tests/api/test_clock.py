"""Environment clocks: freeze, advance through due work in time order, never backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from kassa.due_work import DueWork


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class FakeSchedule:
    """Due work kept in memory: each item runs once; running one may schedule another."""

    def __init__(self, name: str, instants: list[str], every: timedelta | None = None) -> None:
        self.name = name
        self.pending = sorted(_at(t) for t in instants)
        self.every = every
        self.seen_clock: list[datetime] = []

    def next_due(self, _conn, environment: str) -> datetime | None:
        return self.pending[0] if self.pending and environment == "sandbox" else None

    def run(self, ctx) -> list[dict]:
        now = ctx.clock.now()
        self.seen_clock.append(now)
        ran = []
        while self.pending and self.pending[0] <= now:
            due = self.pending.pop(0)
            ran.append({"type": self.name, "due": due.isoformat()})
            if self.every:
                self.pending.append(due + self.every)
                self.pending.sort()
        return ran

    def work(self) -> DueWork:
        return DueWork(self.name, self.next_due, self.run)


def test_sandbox_clock_follows_real_time_until_frozen(api: TestClient) -> None:
    r = api.get("/clock").json()
    assert r["frozen"] is False
    assert abs(_at(r["now"]) - datetime.now(UTC)) < timedelta(seconds=5)
    r = api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"})
    assert r.json() == {"now": "2026-07-01T00:00:00Z", "frozen": True, "warning": None}
    assert api.get("/clock").json() == {"now": "2026-07-01T00:00:00Z", "frozen": True}
    # Objects created while frozen carry the frozen time.
    assert api.post("/customers", json={"name": "A"}).json()["created_at"] == "2026-07-01T00:00:00Z"


def test_freezing_before_what_the_sandbox_holds_warns(api: TestClient, prod_api) -> None:
    customer = api.post("/customers", json={"name": "Acme"}).json()
    created = customer["created_at"]
    prod_api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"})  # 403, changes nothing
    prod_api.post("/customers", json={"name": "Later, but in production"})
    r = api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"})
    assert r.status_code == 200
    assert r.json() == {
        "now": "2026-07-01T00:00:00Z",
        "frozen": True,
        "warning": f"The clock is now 2026-07-01T00:00:00Z, earlier than what the sandbox already "
        f"holds: the newest event, customer.created ({customer['id']}), happened at {created}. "
        "What happened after 2026-07-01T00:00:00Z looks like it is in the future; freeze at "
        f"{created} or later to keep time moving forward.",
    }
    assert api.get("/clock").json() == {"now": "2026-07-01T00:00:00Z", "frozen": True}
    later = (_at(created) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert api.post("/clock/freeze", json={"at": later}).json() == {
        "now": later, "frozen": True, "warning": None}
    # A usage event up to 5 minutes ahead of the clock is "already held" too.
    ahead = (_at(later) + timedelta(minutes=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {"account": customer["id"], "event_name": "api_call", "unique_id": "e-1",
             "timestamp": ahead}
    sent = api.post("/events", json={"events": [event]})
    assert sent.json()["ingested"] == ["e-1"]
    warning = api.post("/clock/freeze", json={"at": later}).json()["warning"]
    assert warning.startswith(f"The clock is now {later}, earlier than what the sandbox already "
                              f"holds: the newest usage event, 'e-1', happened at {ahead}. ")


def test_advance_runs_due_work_in_time_order(kassa, api: TestClient) -> None:
    renewals = FakeSchedule("renewal", ["2026-08-01T00:00:00Z"], every=timedelta(days=31))
    retries = FakeSchedule("retry", ["2026-07-10T12:00:00Z", "2026-08-01T00:00:00Z"])
    kassa.registry.register(renewals.work())
    kassa.registry.register(retries.work())
    api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"})
    r = api.post("/clock/advance", json={"to": "2026-09-05T00:00:00Z"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["now"] == "2026-09-05T00:00:00Z" and body["frozen"] is True
    assert [(item["at"], item["type"]) for item in body["ran"]] == [
        ("2026-07-10T12:00:00Z", "retry"),
        ("2026-08-01T00:00:00Z", "renewal"),
        ("2026-08-01T00:00:00Z", "retry"),
        ("2026-09-01T00:00:00Z", "renewal"),
    ]
    # Each piece of work saw the clock at its own due instant.
    assert retries.seen_clock == [_at("2026-07-10T12:00:00Z"), _at("2026-08-01T00:00:00Z")]
    assert api.get("/clock").json()["now"] == "2026-09-05T00:00:00Z"
    # Nothing is due until the next renewal.
    assert api.post("/clock/advance", json={"to": "2026-10-01T00:00:00Z"}).json()["ran"] == []


def test_advance_never_goes_backwards(api: TestClient) -> None:
    api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"})
    r = api.post("/clock/advance", json={"to": "2026-06-30T23:59:59Z"})
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "to",
            "message": "The clock never goes backwards: it is 2026-07-01T00:00:00Z, "
            "and 'to' is 2026-06-30T23:59:59Z.",
        }
    ]
    assert api.get("/clock").json()["now"] == "2026-07-01T00:00:00Z"
    # Advancing to the current instant is allowed (runs what is due now).
    assert api.post("/clock/advance", json={"to": "2026-07-01T00:00:00Z"}).status_code == 200


def test_advance_an_unfrozen_clock_from_real_time(api: TestClient) -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert api.post("/clock/advance", json={"to": past}).status_code == 422
    future = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    r = api.post("/clock/advance", json={"to": future.isoformat()})
    assert r.status_code == 200 and _at(r.json()["now"]) == future


def test_unfreeze_refuses_to_jump_backwards(api: TestClient) -> None:
    api.post("/clock/freeze", json={"at": "2030-01-01T00:00:00Z"})
    r = api.post("/clock/unfreeze")
    assert r.status_code == 422
    api.post("/clock/freeze", json={"at": "2026-01-01T00:00:00Z"})
    assert api.post("/clock/unfreeze").json()["frozen"] is False


def test_clock_inputs_are_validated(api: TestClient) -> None:
    r = api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "at"
    r = api.post("/clock/advance", json={"to": "tomorrow"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "to"


def test_production_clock_cannot_be_changed(prod_api: TestClient) -> None:
    assert prod_api.get("/clock").json()["frozen"] is False
    for path, body in [
        ("/clock/freeze", {"at": "2026-07-01T00:00:00Z"}),
        ("/clock/advance", {"to": "2030-07-01T00:00:00Z"}),
        ("/clock/unfreeze", None),
    ]:
        r = prod_api.post(path, json=body)
        assert r.status_code == 403, path
        assert r.json() == {
            "status": 403,
            "detail": "The clock can only be frozen or advanced in the sandbox environment.",
        }


def test_a_frozen_sandbox_does_not_touch_production_time(api: TestClient, prod_api: TestClient) -> None:
    api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"})
    created = prod_api.post("/customers", json={"name": "Live"}).json()["created_at"]
    assert abs(_at(created) - datetime.now(UTC)) < timedelta(seconds=5)
