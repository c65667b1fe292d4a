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


def test_a_literal_path_names_only_its_own_methods(api: TestClient) -> None:
    """``/versions/current`` is its own resource (GET), though ``/versions/{version_id}``
    (GET, PUT, DELETE) matches its path too; the schemathesis run found the extra two."""
    r = api.options("/subscriptions/sub_x/versions/current")
    assert r.status_code == 204, r.text
    assert _allowed(r) == {"GET", "OPTIONS"}
    r = api.options("/subscriptions/sub_x/versions/ver_1")
    assert _allowed(r) == {"GET", "PUT", "DELETE", "OPTIONS"}
