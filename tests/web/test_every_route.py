"""Every dashboard route, read off the routers (so a new page is covered the day it is added):
without a session a GET is sent to sign in and a POST changes nothing; with a viewer's session a
POST that changes anything is refused. Through the ASGI app, no browser."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from kassa.bootstrap import asgi_app
from kassa.clock import utcnow
from kassa.services import users
from kassa.web.dashboard import ROUTERS
from tests.web.server import PASSWORD, form_token

# Who may use a route without signing in: the sign-in page and its form.
OPEN = {("GET", "/sign-in"), ("POST", "/sign-in")}
# What a viewer may post: signing out and looking at the other environment.
VIEWER_POSTS = {"/sign-out", "/environment"}


def _routes() -> list[tuple[str, str]]:
    found = set()
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            for method in route.methods:
                found.add((method, route.path))
    return sorted(found - OPEN)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "nosuchid", path)


@pytest.fixture
def client(kassa) -> Iterator[TestClient]:
    with TestClient(asgi_app(kassa), follow_redirects=False,
                    raise_server_exceptions=False) as client:
        yield client


def test_the_routes_are_read(kassa) -> None:
    routes = _routes()
    assert ("GET", "/customers") in routes and ("POST", "/settings/api-keys") in routes
    assert len(routes) > 40


def test_a_stranger_is_sent_to_sign_in(client) -> None:
    let_in = []
    for method, path in _routes():
        answer = client.request(method, "/dashboard" + _concrete(path), data={"x": "1"})
        if answer.status_code != 303 or not answer.headers["location"].startswith(
                "/dashboard/sign-in"):
            let_in.append((method, path, answer.status_code))
    assert let_in == []


def test_a_viewer_posts_nothing_but_sign_out_and_the_switcher(kassa, client) -> None:
    users.create_user(kassa.engine, "viewer@example.com", "viewer", utcnow(), PASSWORD)
    token = form_token(client.get("/dashboard/sign-in").text)
    signed = client.post("/dashboard/sign-in", data={
        "csrf_token": token, "email": "viewer@example.com", "password": PASSWORD})
    assert signed.status_code == 303
    csrf = form_token(client.get("/dashboard/").text)
    posts = [path for method, path in _routes() if method == "POST" and path not in VIEWER_POSTS]
    assert posts
    let_through = []
    for path in posts:
        answer = client.post("/dashboard" + _concrete(path), data={"csrf_token": csrf})
        if answer.status_code != 403 or "Not allowed" not in answer.text:
            let_through.append((path, answer.status_code))
    assert let_through == []
