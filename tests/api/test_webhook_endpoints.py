"""The webhook endpoints API: CRUD, the secret shown once, URL policy, filters, 404s."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from kassa.webhooks.outbound import Outbound


def _errors(r) -> list[tuple[str, str]]:
    return [(e["field"], e["message"]) for e in r.json().get("errors", [])]


def test_create_read_update_delete(api: TestClient) -> None:
    r = api.post(
        "/webhook-endpoints",
        json={"url": "http://localhost:9000/hooks", "description": "CRM sync",
              "event_types": ["invoice.paid", "customer.created", "invoice.paid"]},
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert re.fullmatch(r"whe_[A-Za-z0-9]{22}", created["id"])
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", created["secret"])
    assert created["event_types"] == ["invoice.paid", "customer.created"]  # de-duplicated
    assert created["enabled"] is True and created["description"] == "CRM sync"
    shown = api.get(f"/webhook-endpoints/{created['id']}").json()
    assert shown == {k: v for k, v in created.items() if k != "secret"}
    listed = api.get("/webhook-endpoints").json()
    assert listed["pagination"]["total"] == 1 and "secret" not in listed["data"][0]

    r = api.patch(f"/webhook-endpoints/{created['id']}",
                  json={"event_types": [], "description": None, "enabled": False})
    assert r.status_code == 200
    assert (r.json()["event_types"], r.json()["description"], r.json()["enabled"]) == ([], None, False)
    assert api.get("/webhook-endpoints?enabled=true").json()["data"] == []
    assert len(api.get("/webhook-endpoints?enabled=false").json()["data"]) == 1

    r = api.delete(f"/webhook-endpoints/{created['id']}")
    assert r.status_code == 200 and r.json()["deleted"] is True
    assert api.get(f"/webhook-endpoints/{created['id']}").status_code == 404


def test_bad_urls_are_refused_naming_the_field(api: TestClient) -> None:
    cases = {
        "ftp://example.com/x": "url must be an http:// or https:// URL.",
        "not a url": "url must be an http:// or https:// URL.",
        "http:///path-only": "url must name a host.",
        "https://user:pw@example.com/x": "url must not contain credentials (user:password@).",
        "https://example.com:99999/x": "url is not a valid URL (Port out of range 0-65535).",
    }
    for url, message in cases.items():
        r = api.post("/webhook-endpoints", json={"url": url})
        assert r.status_code == 422, url
        assert _errors(r) == [("url", message)], url
    r = api.post("/webhook-endpoints", json={"url": "https://x.io/" + "a" * 2048})
    assert r.status_code == 422 and _errors(r)[0][0] == "url"
    r = api.post("/webhook-endpoints", json={})
    assert _errors(r) == [("url", "Field required")]
    r = api.post("/webhook-endpoints", json={"url": "https://x.io", "secret": "whsec_mine"})
    assert _errors(r) == [("secret", "Extra inputs are not permitted")]
    assert api.get("/webhook-endpoints").json()["data"] == []


def test_unknown_event_types_are_refused(api: TestClient) -> None:
    r = api.post("/webhook-endpoints",
                 json={"url": "http://127.0.0.1:1/x", "event_types": ["invoice.paid", "invoice.payed"]})
    assert r.status_code == 422
    assert _errors(r) == [(
        "event_types[1]",
        "Unknown event type 'invoice.payed'; see the webhook event types in the API reference.",
    )]
    endpoint = api.post("/webhook-endpoints", json={"url": "http://127.0.0.1:1/x"}).json()
    r = api.patch(f"/webhook-endpoints/{endpoint['id']}", json={"event_types": ["webhook.test"]})
    assert r.status_code == 422 and _errors(r)[0][0] == "event_types[0]"
    r = api.patch(f"/webhook-endpoints/{endpoint['id']}", json={"url": None})
    assert r.status_code == 422 and _errors(r)[0][0] == "url"


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://hooks.example.com/x", "url must use https in production."),
        ("https://127.0.0.1/x", "127.0.0.1"),
        ("https://localhost/x", "127.0.0.1"),
        ("https://10.1.2.3/x", "10.1.2.3"),
        ("https://169.254.169.254/latest", "169.254.169.254"),
        ("https://[::1]/x", "::1"),
        ("https://[::ffff:192.168.0.1]/x", "::ffff:192.168.0.1"),
        ("https://internal.example.com/x", "10.0.0.7"),
        ("https://does-not-exist.invalid/x", "cannot be resolved"),
    ],
)
def test_production_needs_https_to_a_public_address(kassa, prod_api: TestClient, url, reason) -> None:
    kassa.outbound = Outbound(resolve=_fake_dns)
    r = prod_api.post("/webhook-endpoints", json={"url": url})
    assert r.status_code == 422
    ((field, message),) = _errors(r)
    assert field == "url" and reason in message


def test_production_accepts_public_https(kassa, prod_api: TestClient) -> None:
    kassa.outbound = Outbound(resolve=_fake_dns)
    r = prod_api.post("/webhook-endpoints", json={"url": "https://hooks.example.com/kassa"})
    assert r.status_code == 201, r.text
    r = prod_api.patch(f"/webhook-endpoints/{r.json()['id']}", json={"url": "https://localhost/x"})
    assert r.status_code == 422 and _errors(r)[0][0] == "url"


def test_the_operator_can_allow_private_addresses_in_production(
    kassa, prod_api: TestClient
) -> None:
    kassa.settings = kassa.settings.model_copy(update={"webhook_allow_private": True})
    r = prod_api.post("/webhook-endpoints", json={"url": "http://127.0.0.1:8080/hooks"})
    assert r.status_code == 201, r.text


def _fake_dns(host: str, port: int) -> list[str]:
    table = {
        "hooks.example.com": ["93.184.216.34"],
        "localhost": ["127.0.0.1", "::1"],
        "internal.example.com": ["93.184.216.34", "10.0.0.7"],
    }
    if host not in table:
        raise OSError("name not known")
    return table[host]


def test_unknown_ids_are_404(api: TestClient) -> None:
    for method, path, body in [
        ("get", "/webhook-endpoints/whe_nope", None),
        ("patch", "/webhook-endpoints/whe_nope", {"enabled": False}),
        ("delete", "/webhook-endpoints/whe_nope", None),
        ("post", "/webhook-endpoints/whe_nope/rotate-secret", None),
        ("post", "/webhook-endpoints/whe_nope/test", None),
        ("get", "/webhook-endpoints/whe_nope/messages", None),
        ("post", "/webhook-endpoints/whe_nope/recover", {"since": "2026-07-01T00:00:00Z"}),
        ("get", "/webhook-messages/msg_nope", None),
        ("post", "/webhook-messages/msg_nope/retry", None),
    ]:
        kwargs = {"json": body} if body is not None else {}
        r = getattr(api, method)(path, **kwargs)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["detail"] in {
            "Webhook endpoint 'whe_nope' was not found.",
            "Webhook message 'msg_nope' was not found.",
        }


def test_environments_do_not_see_each_others_endpoints(api: TestClient, prod_api: TestClient) -> None:
    endpoint = api.post("/webhook-endpoints", json={"url": "http://127.0.0.1:1/x"}).json()
    assert prod_api.get(f"/webhook-endpoints/{endpoint['id']}").status_code == 404
    assert prod_api.get("/webhook-endpoints").json()["data"] == []


def test_list_parameters_are_validated(api: TestClient) -> None:
    endpoint = api.post("/webhook-endpoints", json={"url": "http://127.0.0.1:1/x"}).json()
    r = api.get(f"/webhook-endpoints/{endpoint['id']}/messages?status=lost")
    assert r.status_code == 422 and _errors(r)[0][0] == "status"
    assert "'lost' is not a message status" in _errors(r)[0][1]
    r = api.get("/webhook-endpoints?enabled=maybe")
    assert r.status_code == 422 and _errors(r)[0][0] == "enabled"
    r = api.post(f"/webhook-endpoints/{endpoint['id']}/recover", json={"since": "yesterday"})
    assert r.status_code == 422 and _errors(r)[0][0] == "since"
    r = api.post(f"/webhook-endpoints/{endpoint['id']}/recover", json={"since": "2026-07-01T00:00:00"})
    assert r.status_code == 422 and _errors(r)[0][0] == "since"


def test_webhook_events_lists_public_events_with_filters(api: TestClient) -> None:
    api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"})
    first = api.post("/customers", json={"name": "A"}).json()
    api.post("/clock/advance", json={"to": "2026-07-02T00:00:00Z"})
    second = api.post("/customers", json={"name": "B"}).json()
    api.patch(f"/customers/{second['id']}", json={"name": "B2"})

    everything = api.get("/webhook-events?sort=created_at:asc").json()
    assert everything["pagination"] == {"per_page": 20, "total_pages": 1, "total": 3}
    assert [(e["type"], e["timestamp"]) for e in everything["data"]] == [
        ("customer.created", "2026-07-01T00:00:00Z"),
        ("customer.created", "2026-07-02T00:00:00Z"),
        ("customer.updated", "2026-07-02T00:00:00Z"),
    ]
    assert everything["data"][0]["data"] == first
    assert everything["data"][0]["id"].startswith("evt_")
    since = api.get("/webhook-events?type=customer.created&since=2026-07-01T12:00:00Z").json()
    assert [e["data"]["name"] for e in since["data"]] == ["B"]
    both = api.get("/webhook-events?type=customer.created,customer.updated&limit=2").json()
    assert both["pagination"] == {"per_page": 2, "total_pages": 2, "total": 3}
    r = api.get("/webhook-events?type=customer.deleted")
    assert r.status_code == 422 and _errors(r)[0][0] == "type"
    r = api.get("/webhook-events?since=last-week")
    assert r.status_code == 422 and _errors(r)[0][0] == "since"
    r = api.get("/webhook-events?since=2026-07-01T00:00:00")
    assert r.status_code == 422 and "time zone" in _errors(r)[0][1]
