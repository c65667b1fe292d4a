"""API keys, environments and the Alguna-Version header."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kassa.services import keys


def test_missing_key_is_401(anon: TestClient) -> None:
    r = anon.get("/customers")
    assert r.status_code == 401
    assert r.json() == {
        "status": 401,
        "detail": "Missing API key: send 'Authorization: Bearer <key>'.",
    }
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_malformed_and_unknown_keys_are_401(anon: TestClient) -> None:
    cases = {
        "Basic abc": "Malformed Authorization header: use 'Bearer <key>'.",
        "Bearer": "Malformed Authorization header: use 'Bearer <key>'.",
        "Bearer sk_test_doesnotexist": "Invalid API key.",
        "Bearer pk_something": "Invalid API key.",
    }
    for header, detail in cases.items():
        r = anon.get("/customers", headers={"Authorization": header})
        assert (r.status_code, r.json()["detail"]) == (401, detail), header


def test_revoked_key_is_401(kassa, api: TestClient) -> None:
    assert api.get("/customers").status_code == 200
    key_id = keys.list_keys(kassa.engine)[0]["id"]
    keys.revoke_key(kassa.engine, key_id)
    r = api.get("/customers")
    assert r.status_code == 401
    assert r.json()["detail"] == "This API key has been revoked."


def test_keys_are_stored_hashed_and_prefixed_by_environment(kassa) -> None:
    view, secret = keys.create_key(kassa.engine, "production", "ci")
    assert secret.startswith("sk_live_") and len(secret) == len("sk_live_") + 40
    assert view["prefix"] == secret[:12]
    with kassa.engine.connect() as conn:
        from sqlalchemy import select

        from kassa.store.tables import api_keys

        stored = conn.execute(select(api_keys.c.key_hash).where(api_keys.c.id == view["id"]))
        digest = stored.scalar_one()
    assert digest == keys.hash_key(secret) and secret not in digest


def test_health_and_docs_are_public(anon: TestClient) -> None:
    r = anon.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert anon.get("/openapi.json").status_code == 200
    assert anon.get("/docs").status_code == 200


def test_sandbox_and_production_are_isolated(api: TestClient, prod_api: TestClient) -> None:
    live = prod_api.post("/customers", json={"name": "Live Co", "aliases": ["live-1"]}).json()
    test = api.post("/customers", json={"name": "Test Co"}).json()
    assert api.get(f"/customers/{live['id']}").status_code == 404
    assert api.get("/customers/live-1").status_code == 404
    assert prod_api.get(f"/customers/{test['id']}").status_code == 404
    assert [c["id"] for c in api.get("/customers").json()["data"]] == [test["id"]]
    assert [c["id"] for c in prod_api.get("/customers").json()["data"]] == [live["id"]]
    # The same client-chosen id and alias may exist once per environment.
    assert api.post("/customers", json={"name": "Mirror", "aliases": ["live-1"]}).status_code == 201
    assert api.patch(f"/customers/{live['id']}", json={"name": "x"}).status_code == 404
    assert api.delete(f"/customers/{live['id']}").status_code == 404


def test_api_version_header(anon: TestClient, api: TestClient) -> None:
    r = api.get("/customers")
    assert r.headers["Alguna-Version"] == "2026-04-01"
    r = api.get("/customers", headers={"Alguna-Version": "2031-01-01"})
    assert r.status_code == 400
    assert r.json() == {
        "status": 400,
        "detail": "Unsupported Alguna-Version '2031-01-01'; supported: 2026-04-01.",
        "errors": [{"field": "Alguna-Version", "message": "unsupported API version"}],
    }
    # A missing header means the current version, so plain curl works.
    r = TestClient(api.app, raise_server_exceptions=False).get(
        "/customers", headers={"Authorization": api.headers["Authorization"]}
    )
    assert r.status_code == 200 and r.headers["Alguna-Version"] == "2026-04-01"


def test_a_key_revoked_elsewhere_stops_working_within_the_cache_window(
    kassa, api: TestClient, monkeypatch
) -> None:
    from sqlalchemy import update

    from kassa.clock import utcnow
    from kassa.store.tables import api_keys

    now = [1000.0]  # the cache's clock, moved by hand: no sleeping, no race with a slow request
    monkeypatch.setattr(keys, "monotonic", lambda: now[0])
    keys.forget_cached_keys()
    assert api.get("/customers").status_code == 200
    with kassa.engine.begin() as conn:  # as `kassa keys revoke` in another process would
        conn.execute(update(api_keys).values(revoked_at=utcnow()))
    now[0] += keys.CACHE_SECONDS - 0.01
    assert api.get("/customers").status_code == 200  # still within the cache window
    now[0] += 0.02
    assert api.get("/customers").status_code == 401


def test_a_key_revoked_while_it_is_being_checked_is_refused_on_the_next_request(
    kassa, api: TestClient, monkeypatch
) -> None:
    """A revocation that lands between a request's read of the key and its caching (another
    thread of this process) is not undone by that request: the next request gets 401."""
    from contextlib import contextmanager

    now = [1000.0]  # the cache never expires during the test
    monkeypatch.setattr(keys, "monotonic", lambda: now[0])
    keys.forget_cached_keys()
    real_reader = keys.reader

    @contextmanager
    def reader_then_revoke(engine):
        with real_reader(engine) as conn:
            yield conn
        monkeypatch.setattr(keys, "reader", real_reader)
        keys.revoke_key(kassa.engine, keys.list_keys(kassa.engine)[0]["id"])

    monkeypatch.setattr(keys, "reader", reader_then_revoke)
    assert api.get("/customers").status_code == 200  # checked before the revocation
    r = api.get("/customers")
    assert r.status_code == 401 and r.json()["detail"] == "This API key has been revoked."
