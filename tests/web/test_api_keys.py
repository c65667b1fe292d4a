"""Settings -> API Keys -> Create API Key: the key is shown once, works against the API, and
stops working when revoked."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.conftest import API_VERSION_HEADERS
from tests.web.conftest import error_beside, nav


def _api(server, key: str, path: str) -> httpx.Response:
    return httpx.get(f"{server.url}{path}",
                     headers={**API_VERSION_HEADERS, "Authorization": f"Bearer {key}"})


def test_create_api_key_shows_it_once_and_revoke_ends_it(server, admin) -> None:
    nav(admin, "Settings").click()
    admin.get_by_role("link", name="API Keys").click()
    admin.wait_for_url("**/dashboard/settings/api-keys")
    admin.get_by_label("Key name").fill("Billing sync")
    admin.get_by_role("button", name="Create API Key").click()
    status = admin.get_by_role("status")
    assert "Created Billing sync." in status.inner_text()
    assert "it is shown only this once" in status.inner_text()
    secret = admin.get_by_label("New API key").inner_text()
    assert re.fullmatch(r"sk_test_[A-Za-z0-9]{40}", secret)
    expect(admin.get_by_role("button", name="Copy")).to_be_visible()
    answer = _api(server, secret, "/customers")
    assert answer.status_code == 200 and answer.json()["data"] == []
    row = admin.get_by_role("row").filter(has_text="Billing sync")
    assert row.get_by_role("cell").nth(1).inner_text() == f"{secret[:12]}…"
    expect(row.get_by_text("Active")).to_be_visible()
    # Shown once: the page (and the next visit) has only the prefix.
    admin.reload()
    expect(secret not in admin.content() and admin.get_by_label("New API key")).to_have_count(0)
    row = admin.get_by_role("row").filter(has_text="Billing sync")
    row.get_by_role("button", name="Revoke").click()
    expect(admin.get_by_role("status")).to_have_text(
        "Revoked Billing sync: requests with it now get 401.")
    expect(row.get_by_text("Revoked")).to_be_visible()
    expect(row.get_by_role("button")).to_have_count(0)
    answer = _api(server, secret, "/customers")
    assert answer.status_code == 401 and answer.json()["detail"] == "This API key has been revoked."


def test_the_copy_button_copies_the_key(server, admin) -> None:
    admin.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    admin.goto("/dashboard/settings/api-keys")
    admin.get_by_label("Key name").fill("Copied")
    admin.get_by_role("button", name="Create API Key").click()
    secret = admin.get_by_label("New API key").inner_text()
    admin.get_by_role("button", name="Copy").click()
    expect(admin.get_by_role("button", name="Copied")).to_be_visible()
    assert admin.evaluate("navigator.clipboard.readText()") == secret


def test_a_key_name_is_required_and_the_error_stands_beside_it(server, admin) -> None:
    admin.goto("/dashboard/settings/api-keys")
    with admin.expect_response("**/settings/api-keys") as answer:
        admin.get_by_role("button", name="Create API Key").click()
    assert answer.value.status == 422
    error_beside(admin, admin.get_by_label("Key name"), "The key name must be 1-255 characters.")
    expect(admin.get_by_role("status")).to_have_count(0)
