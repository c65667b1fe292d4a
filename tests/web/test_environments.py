"""The environment switcher: a sandbox session never sees production data, nor the reverse."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import expect

from tests.conftest import API_VERSION_HEADERS
from tests.web.conftest import nav, text_of


def _customer(server, key: str, name: str) -> dict:
    answer = httpx.post(f"{server.url}/customers", json={"name": name},
                        headers={**API_VERSION_HEADERS, "Authorization": f"Bearer {key}"})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _prefixes(page) -> list[str]:
    """The key prefixes the API Keys table lists."""
    return page.get_by_role("table").locator("tbody td:nth-child(2) code").all_inner_texts()


def test_sandbox_data_never_shows_in_production(server, admin) -> None:
    tag = uuid.uuid4().hex[:8]
    sandbox = _customer(server, server.key("sandbox"), f"Sandbox Co {tag}")
    production = _customer(server, server.key("production"), f"Live Co {tag}")
    nav(admin, "Customers").click()
    admin.get_by_label("Search customers").fill(tag)
    admin.get_by_role("button", name="Search").click()
    admin.wait_for_url(f"**/dashboard/customers?q={tag}")
    rows = admin.get_by_role("table").get_by_role("row")
    assert rows.count() == 2 and sandbox["id"] in rows.nth(1).inner_text()
    expect(admin.get_by_text(f"Live Co {tag}")).to_have_count(0)
    expect(admin.get_by_role("region", name="Sandbox")).to_be_visible()
    expect(admin.get_by_text("test data; nothing here touches production")).to_be_visible()
    admin.goto("/dashboard/settings/api-keys")
    assert {p[:8] for p in _prefixes(admin)} == {"sk_test_"}

    admin.goto(f"/dashboard/customers?q={tag}")
    admin.get_by_role("button", name="Production").click()
    admin.wait_for_url(f"**/dashboard/customers?q={tag}")
    assert admin.get_by_role("button", name="Production").get_attribute("aria-pressed") == "true"
    expect(admin.get_by_role("region", name="Sandbox")).to_have_count(0)
    expect(admin.get_by_role("button", name="Freeze")).to_have_count(0)  # production has real time
    rows = admin.get_by_role("table").get_by_role("row")
    assert rows.count() == 2 and production["id"] in rows.nth(1).inner_text()
    expect(admin.get_by_text(f"Sandbox Co {tag}")).to_have_count(0)
    admin.goto("/dashboard/settings/api-keys")
    assert {p[:8] for p in _prefixes(admin)} == {"sk_live_"}
    # The choice belongs to the session: it holds on every page, and a new sign-in starts in
    # the sandbox.
    nav(admin, "Home").click()
    assert admin.get_by_role("button", name="Production").get_attribute("aria-pressed") == "true"
    admin.get_by_role("button", name="Sandbox").click()
    admin.wait_for_url("**/dashboard/")
    expect(admin.get_by_role("region", name="Sandbox")).to_be_visible()


def test_a_key_of_one_environment_cannot_be_revoked_from_the_other(server, admin) -> None:
    from kassa.services import keys

    live, _ = keys.create_key(server.kassa.engine, "production", "live only")
    admin.goto("/dashboard/settings/api-keys")
    token = admin.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = admin.request.post(f"/dashboard/settings/api-keys/{live['id']}/revoke",
                                form={"csrf_token": token})
    assert answer.status == 404
    assert f"API key {live['id']!r} was not found." in text_of(answer)
    assert next(k for k in keys.list_keys(server.kassa.engine)
                if k["id"] == live["id"])["revoked_at"] is None
