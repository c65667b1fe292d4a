"""OPTIONS names every method of a path in ``Allow`` (204); an unknown path is a 404."""

from __future__ import annotations

from fastapi.testclient import TestClient


def _allowed(r) -> set[str]:
    return {m.strip() for m in r.headers["allow"].split(",")}


def test_options_lists_every_method_of_the_path(api: TestClient) -> None:
    r = api.options("/customers")
    assert r.status_code == 204, r.text
    assert _allowed(r) == {"GET", "POST", "OPTIONS"}
    r = api.options("/customers/cus_anything")
    assert r.status_code == 204, r.text
    assert _allowed(r) == {"GET", "PATCH", "DELETE", "OPTIONS"}
    assert r.content == b""


def test_options_on_an_unknown_path_is_a_404(api: TestClient) -> None:
    r = api.options("/no-such-thing")
    assert r.status_code == 404
    assert r.json()["status"] == 404


def test_another_missing_method_is_a_405_naming_them_all(api: TestClient) -> None:
    r = api.put("/customers/cus_anything", json={})
    assert r.status_code == 405
    assert _allowed(r) == {"GET", "PATCH", "DELETE", "OPTIONS"}
