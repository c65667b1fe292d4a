"""Sessions, cookies and forms through the ASGI app (no browser): cookie attributes, expiry by
the wall clock, Secure on https, safe redirects after sign-in, security headers, odd bodies."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kassa.bootstrap import asgi_app
from kassa.clock import utcnow
from kassa.services import keys, users
from kassa.services.sign_in import SESSION_LIFETIME
from tests.web.server import PASSWORD, MovableClock, form_token

pytestmark = pytest.mark.both_backends  # its pages run SQL of their own


@pytest.fixture
def clock(kassa) -> MovableClock:
    kassa.wall_clock = MovableClock(start=utcnow())
    return kassa.wall_clock


def _client(kassa, base_url: str = "http://testserver") -> TestClient:
    return TestClient(asgi_app(kassa), base_url=base_url, follow_redirects=False,
                      raise_server_exceptions=False)


def _sign_in(client: TestClient, email: str, password: str = PASSWORD, next: str = "") -> Any:
    token = form_token(client.get("/dashboard/sign-in").text)
    return client.post("/dashboard/sign-in", data={
        "csrf_token": token, "email": email, "password": password, "next": next})


@pytest.fixture
def email(kassa) -> str:
    users.create_user(kassa.engine, "ops@example.com", "admin", utcnow(), PASSWORD)
    return "ops@example.com"


def test_the_session_cookie_is_httponly_lax_and_expiring(kassa, clock, email) -> None:
    with _client(kassa) as client:
        answer = _sign_in(client, email)
        assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/"
        cookie = next(h for h in answer.headers.get_list("set-cookie")
                      if h.startswith("kassa_session="))
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert attributes == {"httponly", "max-age", "path", "samesite"}
        assert "Max-Age=43200" in cookie and "Path=/dashboard" in cookie
        assert "SameSite=lax" in cookie and "Secure" not in cookie
        assert client.get("/dashboard/customers").status_code == 200
        clock.move(SESSION_LIFETIME - timedelta(seconds=1))
        assert client.get("/dashboard/customers").status_code == 200
        clock.move(timedelta(seconds=1))
        expired = client.get("/dashboard/customers")
        assert expired.status_code == 303
        assert expired.headers["location"] == "/dashboard/sign-in?next=%2Fdashboard%2Fcustomers"


def test_cookies_are_secure_on_https(kassa, clock, email) -> None:
    with _client(kassa, "https://kassa.example") as client:
        signed = client.get("/dashboard/sign-in")
        assert "Secure" in signed.headers["set-cookie"]
        answer = _sign_in(client, email)
        cookie = next(h for h in answer.headers.get_list("set-cookie")
                      if h.startswith("kassa_session="))
        assert "Secure" in cookie and "HttpOnly" in cookie


def test_a_disabled_user_is_signed_out_at_once(kassa, clock, email) -> None:
    users.create_user(kassa.engine, "other@example.com", "admin", utcnow(), PASSWORD)
    with _client(kassa) as client:
        _sign_in(client, email)
        assert client.get("/dashboard/").status_code == 200
        users.disable_user(kassa.engine, email, utcnow())
        assert client.get("/dashboard/").status_code == 303
        assert _sign_in(client, email).status_code == 401


@pytest.mark.parametrize("wanted", ["https://evil.example/", "//evil.example/dashboard/",
                                    "/customers", "/dashboard\\..\\x", "javascript:alert(1)"])
def test_sign_in_only_sends_on_to_dashboard_pages(kassa, clock, email, wanted: str) -> None:
    with _client(kassa) as client:
        answer = _sign_in(client, email, next=wanted)
        assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/"


def test_the_sign_in_form_needs_its_token(kassa, clock, email) -> None:
    with _client(kassa) as client:
        answer = client.post("/dashboard/sign-in", data={"email": email, "password": PASSWORD})
        assert answer.status_code == 403
        assert "The sign-in form was sent without its security token (CSRF)." in answer.text
        assert "kassa_session" not in answer.headers.get("set-cookie", "")


def test_pages_load_nothing_from_elsewhere_and_are_never_cached(kassa, clock, email) -> None:
    with _client(kassa) as client:
        _sign_in(client, email)
        page = client.get("/dashboard/settings/api-keys")
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["content-security-policy"].startswith("default-src 'self'; ")
        assert page.headers["x-frame-options"] == "DENY"
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(s.startswith(("/", "#")) and not s.startswith("//")
                               for s in sources)
        assert "/dashboard/static/htmx-2.0.11.min.js" in sources
        htmx = client.get("/dashboard/static/htmx-2.0.11.min.js")
        assert htmx.status_code == 200 and "public" in htmx.headers["cache-control"]
        assert htmx.text.startswith("var htmx=function()")
        assert client.get("/").headers["location"] == "/dashboard/"


def test_bodies_no_form_sends_are_refused(kassa, clock, email) -> None:
    with _client(kassa) as client:
        _sign_in(client, email)
        token = form_token(client.get("/dashboard/settings/api-keys").text)
        path = "/dashboard/settings/api-keys"
        big = client.post(path, data={"csrf_token": token, "name": "x" * 70_000})
        assert big.status_code == 413 and "The form is larger than 65536 bytes." in big.text
        json = client.post(path, json={"csrf_token": token, "name": "json"})
        assert json.status_code == 415
        nul = client.post(path, data={"csrf_token": token, "name": "a\x00b"})
        assert nul.status_code == 400
        assert "A form field must not contain the NUL character." in nul.text
        bad = client.post(path, content=b"name=%ff", headers={
            "content-type": "application/x-www-form-urlencoded", "x-csrf-token": token})
        assert bad.status_code == 400 and "The form is not valid UTF-8." in bad.text
        assert keys.list_keys(kassa.engine) == []


def test_htmx_gets_a_redirect_header_and_refusals_in_the_flash(kassa, clock, email) -> None:
    with _client(kassa) as client:
        stranger = client.get("/dashboard/customers", headers={"HX-Request": "true"})
        assert stranger.status_code == 204
        assert stranger.headers["hx-redirect"] == (
            "/dashboard/sign-in?next=%2Fdashboard%2Fcustomers")
        _sign_in(client, email)
        refused = client.post("/dashboard/settings/api-keys", data={"name": "x"},
                              headers={"HX-Request": "true"})
        assert refused.status_code == 403
        assert refused.headers["hx-retarget"] == "#flash"
        assert refused.text.startswith('<div class="alert error" role="alert">')
