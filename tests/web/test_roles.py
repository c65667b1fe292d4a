"""CSRF and roles: a POST without the session's token is refused, a viewer has no button to
press and a forged POST is 403, a member cannot manage keys or users."""

from __future__ import annotations

from playwright.sync_api import expect

from kassa.services import keys, users
from tests.web.conftest import sign_in, text_of
from tests.web.server import form_token

ACTIONS = ["Create API Key", "Revoke", "Invite user", "Change role", "Disable"]


def _post(page, path: str, fields: dict, token: str | None = None, header: bool = False):
    """A POST from the signed-in browser, with the token in the form or in htmx's header."""
    form = dict(fields)
    headers = {}
    if token is not None and header:
        headers["X-CSRF-Token"] = token
    elif token is not None:
        form["csrf_token"] = token
    return page.request.post(path, form=form, headers=headers, max_redirects=0)


def test_a_post_without_the_csrf_token_is_refused(server, admin) -> None:
    before = len(keys.list_keys(server.kassa.engine))
    refused = _post(admin, "/dashboard/settings/api-keys", {"name": "forged"})
    assert refused.status == 403
    assert "This form has expired" in text_of(refused)
    assert "sent without this session's security token (CSRF)" in text_of(refused)
    wrong = _post(admin, "/dashboard/settings/api-keys", {"name": "forged"}, token="x" * 43)
    assert wrong.status == 403
    assert len(keys.list_keys(server.kassa.engine)) == before
    # The same request with the session's token, in the field or in the header htmx sends.
    token = form_token(admin.content())
    assert _post(admin, "/dashboard/settings/api-keys", {"name": "field"}, token).status == 200
    assert _post(admin, "/dashboard/settings/api-keys", {"name": "header"}, token,
                 header=True).status == 200
    names = [k["name"] for k in keys.list_keys(server.kassa.engine)]
    assert names[-2:] == ["field", "header"]
    # Sign out and the environment switcher are forms too.
    assert _post(admin, "/dashboard/environment", {"environment": "production"}).status == 403
    assert _post(admin, "/dashboard/sign-out", {}).status == 403
    assert admin.goto("/dashboard/").url.endswith("/dashboard/")  # still signed in, in sandbox
    assert admin.get_by_role("button", name="Sandbox").get_attribute("aria-pressed") == "true"


def test_the_refusal_is_a_readable_page(server, admin) -> None:
    admin.goto("/dashboard/settings/api-keys")
    # A form whose token went stale (here: removed) is refused with a page, not a blank error.
    admin.locator("form[action$='/settings/api-keys'] input[name=csrf_token]").evaluate(
        "input => input.remove()")
    admin.evaluate("document.querySelector('form[action$=\"/settings/api-keys\"]')"
                   ".removeAttribute('hx-post')")
    admin.get_by_label("Key name").fill("stale")
    with admin.expect_response("**/settings/api-keys") as answer:
        admin.evaluate("document.querySelector('form[action$=\"/settings/api-keys\"]').submit()")
    assert answer.value.status == 403
    expect(admin.get_by_role("heading", name="This form has expired")).to_be_visible()
    assert "Reload the page and try again." in admin.get_by_role("alert").inner_text()


def test_a_viewer_cannot_act(server, page) -> None:
    sign_in(page, server.user("viewer"))
    for path in ("/dashboard/settings/api-keys", "/dashboard/settings/team", "/dashboard/clock"):
        page.goto(path)
        for name in ACTIONS + ["Freeze", "Advance"]:
            assert page.get_by_role("button", name=name, exact=True).count() == 0, (path, name)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()  # what a viewer may do
    token = form_token(page.content())
    victim = server.user("member")
    target = next(u for u in users.list_users(server.kassa.engine) if u["email"] == victim)
    key, _ = keys.create_key(server.kassa.engine, "sandbox", "viewer's target")
    admins_only = "Only admins manage API keys, users and settings."
    forged = [
        ("/dashboard/settings/api-keys", {"name": "by a viewer"}, admins_only),
        (f"/dashboard/settings/api-keys/{key['id']}/revoke", {}, admins_only),
        ("/dashboard/settings/team", {"email": "new@example.com", "role": "admin"}, admins_only),
        (f"/dashboard/settings/team/{target['id']}/role", {"role": "admin"}, admins_only),
        (f"/dashboard/settings/team/{target['id']}/disable", {}, admins_only),
        ("/dashboard/clock", {"action": "freeze", "at": "2030-01-01T00:00"},
         "Viewers can look at everything but change nothing."),
    ]
    for path, fields, reason in forged:
        answer = _post(page, path, fields, token)
        assert answer.status == 403, path
        assert reason in text_of(answer), path
    assert keys.list_keys(server.kassa.engine)[-1]["revoked_at"] is None
    assert server.kassa.ctx("sandbox").clock.now().year != 2030
    assert users.get_user(server.kassa.engine, target["id"])["role"] == "member"
    assert "new@example.com" not in [u["email"] for u in users.list_users(server.kassa.engine)]


def test_a_member_cannot_manage_keys_or_users(server, page) -> None:
    sign_in(page, server.user("member"))
    page.goto("/dashboard/settings/api-keys")
    expect(page.get_by_text("Only admins create and revoke API keys.")).to_be_visible()
    expect(page.get_by_role("button", name="Create API Key")).to_have_count(0)
    page.goto("/dashboard/settings/team")
    expect(page.get_by_role("button", name="Invite user")).to_have_count(0)
    expect(page.get_by_role("button", name="Freeze")).to_be_visible()  # members move the clock
    token = form_token(page.content())
    before = len(keys.list_keys(server.kassa.engine))
    answer = _post(page, "/dashboard/settings/api-keys", {"name": "by a member"}, token)
    assert answer.status == 403
    assert "Only admins manage API keys, users and settings." in text_of(answer)
    answer = _post(page, "/dashboard/settings/team", {"email": "m@example.com", "role": "admin"},
                   token)
    assert answer.status == 403
    assert len(keys.list_keys(server.kassa.engine)) == before
