"""Every portal route, read off its router (a new page is covered the day it is added): without a
visit, a page says to open the billing link again and a POST changes nothing; with a visit, a
POST without the visit's form token is refused. Through the ASGI app, no browser."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from kassa.bootstrap import asgi_app
from kassa.services import customers
from kassa.services.portal import sessions
from kassa.web.portal import ROUTERS

# Routes anyone may open: the link itself and the page after leaving.
OPEN = {("GET", "/open/{token}"), ("GET", "/signed-out")}


def _routes() -> list[tuple[str, str]]:
    found = set()
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            found.update((method, route.path) for method in route.methods)
    return sorted(found - OPEN)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "nosuchid", path)


@pytest.fixture
def client(kassa) -> Iterator[TestClient]:
    with TestClient(asgi_app(kassa), follow_redirects=False,
                    raise_server_exceptions=False) as client:
        yield client


def test_the_routes_are_read() -> None:
    routes = _routes()
    assert ("GET", "/plan") in routes and ("POST", "/billing/payment-methods") in routes
    assert len(routes) >= 15


def test_without_a_visit_nothing_is_shown_or_changed(client) -> None:
    let_in = [(method, path, answer.status_code) for method, path in _routes()
              if (answer := client.request(method, "/portal" + _concrete(path),
                                           data={"x": "1"})).status_code != 401
              or "open the billing link" not in answer.text.lower()]
    assert let_in == []


def test_with_a_visit_every_post_needs_its_token(kassa, client) -> None:
    ctx = kassa.ctx("sandbox")
    customer = customers.create_customer(ctx, {"name": "Globex"})
    link = sessions.create_link(ctx, customer_ref=customer["id"], by_alias=False, sections={},
                                return_url=None, expires_in=600, now=kassa.wall_clock.now())
    assert client.get(link["url"].replace("http://127.0.0.1:8000", "")).status_code == 303
    posts = [path for method, path in _routes() if method == "POST"]
    refused = [(path, answer.status_code) for path in posts
               if (answer := client.post("/portal" + _concrete(path),
                                         data={"csrf_token": "forged"})).status_code != 403]
    assert refused == []
