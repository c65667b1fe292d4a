"""Hostile request bodies: whatever is sent, the answer is a documented 4xx, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

ROUTES = [
    ("POST", "/events"),
    ("POST", "/events?upsert=true"),
    ("POST", "/customers"),
    ("PATCH", "/customers/cus_missing"),
    ("POST", "/webhook-endpoints"),
    ("POST", "/plans"),
    ("POST", "/automations"),
]


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize("method, path", ROUTES)
def test_deeply_nested_json_is_a_400(api: TestClient, method: str, path: str, depth: int) -> None:
    body = '{"a":' * depth + "1" + "}" * depth
    r = api.request(method, path, content=body, headers={"Content-Type": "application/json"})
    problem = r.json()
    if path == "/automations" and depth == 1_000:  # orjson reads 1,024 levels: the field is named
        assert (r.status_code, problem["errors"][0]["field"]) == (422, "a"), r.text
        return
    assert r.status_code == 400, r.text
    assert problem["status"] == 400 and "nested too deeply" in problem["detail"]
    assert problem["errors"] == [{"field": "body", "message": problem["errors"][0]["message"]}]


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_yaml_is_refused_not_a_500(api: TestClient, depth: int) -> None:
    body = "{a: " * depth + "1" + "}" * depth
    r = api.post("/automations", content=body, headers={"Content-Type": "application/yaml"})
    assert r.status_code in (400, 422), r.text  # parsed (a 422 naming the field) or too deep
    assert r.json()["status"] == r.status_code and r.json()["errors"][0]["field"]


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_arrays_are_a_400(api: TestClient, depth: int) -> None:
    body = "[" * depth + "]" * depth
    for path in ("/events", "/customers"):
        r = api.post(path, content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, r.text


def test_a_deep_body_with_an_idempotency_key_is_a_400_replayed_as_such(api: TestClient) -> None:
    body = '{"a":' * 100_000 + "1" + "}" * 100_000
    headers = {"Content-Type": "application/json", "Idempotency-Key": "deep-1"}
    for _ in range(2):  # the 400 is stored and replayed like any 4xx
        r = api.post("/customers", content=body, headers=headers)
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "body"
