"""Text no database can store (NUL, lone surrogates) is a 422 naming the field, on SQLite and
PostgreSQL alike. PostgreSQL refuses NUL in text and JSONB: these were 500s there, and stored as
is on SQLite."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok

JSON = {"Content-Type": "application/json"}


def _errors(r) -> list[dict]:
    assert r.status_code == 422, r.text
    return r.json()["errors"]


def test_nul_in_any_body_string_names_the_field(api: TestClient) -> None:
    nul = "a\u0000b"
    message = "must not contain the NUL character"
    r = api.post("/customers", json={"name": nul})
    assert _errors(r) == [{"field": "name", "message": message}]
    r = api.post("/customers", json={"name": "A", "metadata": {"note": nul}})
    assert _errors(r) == [{"field": "metadata.note", "message": message}]
    r = api.post("/customers", json={"name": "A", "metadata": {nul: "x"}})
    assert _errors(r) == [{"field": "metadata",
                           "message": "keys must not contain the NUL character or a lone surrogate"}]
    r = api.post("/customers", json={"name": "A", "tags": ["ok", nul]})
    assert _errors(r) == [{"field": "tags[1]", "message": message}]
    customer = ok(api.post("/customers", json={"name": "A"}), 201)
    r = api.patch(f"/customers/{customer['id']}", json={"email": "a\u0000@x.io"})
    assert _errors(r) == [{"field": "email", "message": message}]
    assert ok(api.get(f"/customers/{customer['id']}"))["email"] is None


def test_nul_deep_in_a_subscription_change(api: TestClient) -> None:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    sub = ok(api.post("/subscriptions", json={
        "customer_id": "wcqYrqfE", "currency": "USD", "auto_activate": True,
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}],
    }), 201)
    change = {"update": [{"product_id": sc.PLATFORM,
                          "adjust": {"fixed_pricing_model": {"price_per_unit": "1\u0000"}}}]}
    r = api.post(f"/subscriptions/{sub['id']}/changes", json=change)
    assert _errors(r) == [{"field": "update[0].adjust.fixed_pricing_model.price_per_unit",
                           "message": "must not contain the NUL character"}]
    r = api.post(f"/subscriptions/{sub['id']}/cancel", json={"note": "bye\u0000"})
    assert _errors(r) == [{"field": "note", "message": "must not contain the NUL character"}]


def test_a_lone_surrogate_is_refused(api: TestClient) -> None:
    """Python parses ``"\\ud800"`` into a str no encoder accepts: stored in metadata it made the
    response a 500."""
    customer = ok(api.post("/customers", json={"name": "A"}), 201)
    r = api.patch(f"/customers/{customer['id']}", content=b'{"metadata": {"k": "x\\ud800"}}',
                  headers=JSON)
    assert _errors(r) == [{"field": "metadata.k",
                           "message": "must not contain a lone UTF-16 surrogate"}]
    assert ok(api.get(f"/customers/{customer['id']}"))["metadata"] == {}


def test_nul_in_the_url_is_a_400_naming_where(api: TestClient) -> None:
    """No id or filter value can hold NUL; PostgreSQL refused it as a query parameter (a 500),
    SQLite answered 404 or an empty list."""
    detail = "The URL must not contain the NUL character (%00)."
    customer = ok(api.post("/customers", json={"name": "A"}), 201)
    cases = [
        ("GET", "/customers/%00", "path"),
        ("GET", f"/customers/{customer['id']}%00/credit-balance", "path"),
        ("POST", "/invoices/inv_%00/void", "path"),
        ("GET", "/invoices?customer_id=%00", "customer_id"),
        ("GET", "/customers?email=a%00b&sort=name:asc", "email"),
        ("GET", "/customers?sort=name%00", "sort"),
    ]
    for method, url, field in cases:
        r = api.request(method, url)
        assert r.status_code == 400, (url, r.text)
        assert r.json() == {"status": 400, "detail": detail,
                            "errors": [{"field": field, "message": "must not contain the NUL character"}]}
    # An escaped percent sign is just text.
    assert ok(api.get("/customers?email=%2500"))["data"] == []
