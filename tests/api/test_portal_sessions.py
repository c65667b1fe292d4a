"""POST /customer-portal-sessions (issue 15, "Portal sessions"): the link's answer, its
defaults from Settings → Customer Portal, absolute URLs, hashed single-use tokens, and the
errors of bad requests in the documented shape."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kassa.bootstrap import asgi_app, build
from kassa.config import Settings
from kassa.store.tables import portal_sessions
from tests.conftest import API_VERSION_HEADERS


def _customer(api, **fields) -> dict:
    r = api.post("/customers", json={"name": "Globex", "email": "ops@globex.io", **fields})
    assert r.status_code == 201, r.text
    return r.json()


def _stored(kassa, session_id: str) -> dict:
    with kassa.engine.connect() as conn:
        return dict(conn.execute(select(portal_sessions).where(
            portal_sessions.c.id == session_id)).mappings().one())


def test_a_link_answers_with_an_absolute_single_use_url(api, kassa) -> None:
    customer = _customer(api, aliases=["crm-42"])
    r = api.post("/customer-portal-sessions",
                 json={"customer_alias": "crm-42", "expires_in": 600,
                       "return_url": "https://globex.example/account"})
    assert r.status_code == 201, r.text
    link = r.json()
    assert set(link) == {"id", "customer_id", "url", "return_url", "created_at", "expires_at"}
    assert link["id"].startswith("ps_") and link["customer_id"] == customer["id"]
    assert link["url"].startswith("http://testserver/portal/open/")
    assert link["return_url"] == "https://globex.example/account"
    created = datetime.fromisoformat(link["created_at"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(link["expires_at"].replace("Z", "+00:00"))
    assert expires - created == timedelta(seconds=600)
    # Only the token's SHA-256 is stored.
    token = link["url"].rsplit("/", 1)[1]
    row = _stored(kassa, link["id"])
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(row)
    assert row["opened_at"] is None


def test_sections_take_the_environment_defaults_under_the_request(api, kassa) -> None:
    customer = _customer(api)
    r = api.patch("/settings/customer-portal", json={
        "plan_overview_settings": {"allow_subscription_cancel": True},
        "usage_settings": {"show_section": True}})
    assert r.status_code == 200, r.text
    link = api.post("/customer-portal-sessions", json={
        "customer_id": customer["id"],
        "plan_overview_settings": {"allow_plan_change": True},
        "invoice_list_settings": {"show_section": False}}).json()
    assert _stored(kassa, link["id"])["settings"] == {
        "plan_overview_settings": {"show_section": True, "allow_subscription_cancel": True,
                                   "allow_plan_change": True},
        "invoice_list_settings": {"show_section": False},
        "billing_details_settings": {"show_section": True},
        "usage_settings": {"show_section": True},
    }
    default = api.post("/customer-portal-sessions", json={"customer_id": customer["id"]}).json()
    expires = datetime.fromisoformat(default["expires_at"].replace("Z", "+00:00"))
    created = datetime.fromisoformat(default["created_at"].replace("Z", "+00:00"))
    assert expires - created == timedelta(hours=1)


def test_links_are_built_on_the_public_url_when_it_is_set(database_url, engine, kassa) -> None:
    settings = Settings(database_url=database_url, public_url="https://billing.example.com/")
    app = build(settings, engine=engine)
    try:
        from kassa.services import keys

        key = keys.create_key(engine, "sandbox", "public url")[1]
        client = TestClient(asgi_app(app), headers={**API_VERSION_HEADERS,
                                                    "Authorization": f"Bearer {key}"})
        customer = _customer(client)
        link = client.post("/customer-portal-sessions",
                           json={"customer_id": customer["id"]}).json()
        assert link["url"].startswith("https://billing.example.com/portal/open/")
    finally:
        app.outbound.close()


def test_a_bad_public_url_is_refused_at_start(database_url) -> None:
    with pytest.raises(ValueError, match="must be an http:// or https:// URL"):
        Settings(database_url=database_url, public_url="billing.example.com")


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"customer_id": "nobody"}, 404, "customer_id"),
    ({"customer_alias": "nobody"}, 404, "customer_alias"),
    ({}, 422, "customer_id"),
    ({"customer_id": "x", "customer_alias": "y"}, 422, "customer_id"),
    ({"customer_id": "{id}", "expires_in": 86_401}, 422, "expires_in"),
    ({"customer_id": "{id}", "expires_in": 59}, 422, "expires_in"),
    ({"customer_id": "{id}", "expires_in": True}, 422, "expires_in"),
    ({"customer_id": "{id}", "return_url": "javascript:alert(1)"}, 422, "return_url"),
    ({"customer_id": "{id}", "usage_settings": {"show_section": "yes"}}, 422,
     "usage_settings.show_section"),
    ({"customer_id": "{id}", "plan_overview_settings": {"allow_refunds": True}}, 422,
     "plan_overview_settings.allow_refunds"),
])
def test_bad_requests_name_their_field(api, body, status, field) -> None:
    customer = _customer(api)
    body = {k: (customer["id"] if v == "{id}" else v) for k, v in body.items()}
    r = api.post("/customer-portal-sessions", json=body)
    assert r.status_code == status, r.text
    problem = r.json()
    assert set(problem) == {"status", "detail", "errors"} and problem["status"] == status
    assert [e["field"] for e in problem["errors"]] == [field]


def test_a_key_makes_links_for_its_own_environment_only(api, prod_api) -> None:
    production = _customer(prod_api)
    r = api.post("/customer-portal-sessions", json={"customer_id": production["id"]})
    assert r.status_code == 404
    assert prod_api.post("/customer-portal-sessions",
                         json={"customer_id": production["id"]}).status_code == 201
