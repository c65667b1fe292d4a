"""Settings -> Team: invite a user (the password shown once), change the role, disable; errors
stand beside the field."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from kassa.services import users
from tests.web.conftest import error_beside, sign_in, text_of


def test_invite_change_role_and_disable(server, admin, open_page) -> None:
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    admin.goto("/dashboard/settings/team")
    invite = admin.get_by_role("region", name="Invite a user")
    invite.get_by_label("Email").fill(email.upper())
    invite.get_by_label("Role").select_option("viewer")
    invite.get_by_role("button", name="Invite user").click()
    assert f"Invited {email} as viewer." in admin.get_by_role("status").inner_text()
    password = admin.get_by_label(f"Password of {email}").inner_text()
    assert len(password) == 20
    row = admin.get_by_role("row").filter(has_text=email)
    assert row.get_by_role("cell").nth(1).inner_text() == "Viewer"

    newcomer = open_page()
    sign_in(newcomer, email, password)
    expect(newcomer.get_by_text(email)).to_be_visible()
    expect(newcomer.get_by_role("button", name="Freeze")).to_have_count(0)  # a viewer

    row.get_by_label(f"Role of {email}").select_option("member")
    row.get_by_role("button", name="Change role").click()
    expect(admin.get_by_role("status")).to_have_text(f"{email} is now member.")
    newcomer.reload()  # the role holds from the next request on
    expect(newcomer.get_by_role("button", name="Freeze")).to_be_visible()

    admin.get_by_role("row").filter(has_text=email).get_by_role("button", name="Disable").click()
    expect(admin.get_by_role("status")).to_have_text(f"{email} is disabled and signed out.")
    expect(admin.get_by_role("row").filter(has_text=email).get_by_text("Disabled")).to_be_visible()
    newcomer.reload()
    assert newcomer.url.startswith(f"{server.url}/dashboard/sign-in")
    newcomer.get_by_label("Email").fill(email)
    newcomer.get_by_label("Password").fill(password)
    with newcomer.expect_response("**/dashboard/sign-in*") as answer:
        newcomer.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 401


def test_bad_input_is_shown_beside_the_field(server, admin) -> None:
    admin.goto("/dashboard/settings/team")
    invite = admin.get_by_role("region", name="Invite a user")
    cases = [("not-an-email", "'not-an-email' is not an email address."),
             ("", "Enter an email address.")]
    taken = server.user("member")
    cases.append((taken, f"A user with the email {taken!r} already exists."))
    for typed, message in cases:
        invite = admin.get_by_role("region", name="Invite a user")
        invite.get_by_label("Email").fill(typed)
        with admin.expect_response("**/settings/team") as answer:
            invite.get_by_role("button", name="Invite user").click()
        assert answer.value.status == 422
        field = admin.get_by_role("region", name="Invite a user").get_by_label("Email")
        error_beside(admin, field, message)
        expect(field).to_have_value(typed)  # what was typed stays for correcting
    expect(admin.get_by_role("status")).to_have_count(0)


def test_an_admin_cannot_lock_themselves_out(server, admin, admin_email: str) -> None:
    me = next(u for u in users.list_users(server.kassa.engine) if u["email"] == admin_email)
    admin.goto("/dashboard/settings/team")
    row = admin.get_by_role("row").filter(has_text=me["email"])
    expect(row.get_by_role("button")).to_have_count(0)  # no Change role / Disable on your own row
    token = admin.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = admin.request.post(f"/dashboard/settings/team/{me['id']}/disable",
                                form={"csrf_token": token})
    assert answer.status == 422
    assert "You cannot disable your own account; ask another admin." in text_of(answer)
    assert users.get_user(server.kassa.engine, me["id"])["disabled_at"] is None
