"""Settings -> Team: the users; invite (the generated password shown once), change role and
disable, for admins. An admin changes other people's accounts, never their own."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from kassa.domain.errors import Conflict, KassaError
from kassa.services import users
from kassa.web.auth import Managing, Viewing, Visitor
from kassa.web.rendering import page, url

router = APIRouter(prefix="/settings/team")


def _team_page(request: Request, visitor: Visitor, status: int = 200, **context: Any) -> Response:
    context = {"invited": None, "notice": None, "row_errors": {}} | context
    return page(request, "settings/team.html", partial="settings/_team.html", status=status,
                active="settings", title="Team", here=url(request, "team"),
                users=users.list_users(visitor.kassa.engine),
                role_options=[(role, role.capitalize()) for role in users.ROLES], **context)


def _not_yourself(visitor: Visitor, user_id: str, what: str) -> None:
    if user_id == visitor.session.user_id:
        raise Conflict(f"You cannot {what} your own account; ask another admin.", field="role")


@router.get("", name="team")
def team(request: Request, visitor: Viewing) -> Response:
    return _team_page(request, visitor)


@router.post("", name="invite_user")
def invite_user(request: Request, visitor: Managing) -> Response:
    """Invite a user: email and role; their generated password is in this response only."""
    form = visitor.form
    try:
        user, password = users.create_user(visitor.kassa.engine, form.get("email"),
                                           form.get("role"), visitor.kassa.wall_clock.now())
    except KassaError as exc:
        return _team_page(request, visitor, status=422, errors={exc.field or "email": exc.detail},
                          values=form.values())
    return _team_page(request, visitor, invited={"user": user, "password": password})


@router.post("/{user_id}/role", name="change_role")
def change_role(request: Request, visitor: Managing, user_id: str) -> Response:
    try:
        _not_yourself(visitor, user_id, "change the role of")
        user = users.change_role(visitor.kassa.engine, user_id, visitor.form.get("role"),
                                 visitor.kassa.wall_clock.now())
    except KassaError as exc:
        if exc.field is None:
            raise
        return _team_page(request, visitor, status=422, row_errors={user_id: exc.detail})
    return _team_page(request, visitor, notice=f"{user['email']} is now {user['role']}.")


@router.post("/{user_id}/disable", name="disable_user")
def disable_user(request: Request, visitor: Managing, user_id: str) -> Response:
    try:
        _not_yourself(visitor, user_id, "disable")
        user = users.disable_user(visitor.kassa.engine, user_id, visitor.kassa.wall_clock.now())
    except KassaError as exc:
        if exc.field is None:
            raise
        return _team_page(request, visitor, status=422, row_errors={user_id: exc.detail})
    return _team_page(request, visitor, notice=f"{user['email']} is disabled and signed out.")
