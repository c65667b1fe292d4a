"""Customers through HTTP: CRUD, aliases, metadata, events and bad input."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from kassa.store.tables import outbox_events


def test_create_get_update_archive(kassa, api: TestClient) -> None:
    r = api.post(
        "/customers",
        json={
            "name": "Acme Corp",
            "email": "billing@acme.io",
            "currency": "eur",
            "segment": "enterprise",
            "tags": ["eu", "priority"],
            "aliases": ["wcqYrqfE", "acme-crm-17"],
            "metadata": {"crm_id": "17", "seats": 40, "vip": True},
            "tax_rate": "19.00",
        },
    )
    assert r.status_code == 201, r.text
    customer = r.json()
    assert len(customer["id"]) == 8 and customer["id"].isalnum()
    expected = {
        "id": customer["id"],
        "name": "Acme Corp",
        "email": "billing@acme.io",
        "billing_email": None,
        "billing_address": None,
        "tax_id": None,
        "currency": "EUR",
        "segment": "enterprise",
        "tags": ["eu", "priority"],
        "aliases": ["wcqYrqfE", "acme-crm-17"],
        "metadata": {"crm_id": "17", "seats": 40, "vip": True},
        "tax_rate": "19.00",
        "tax_exempt": False,
        "created_at": customer["created_at"],
        "updated_at": customer["created_at"],
        "archived_at": None,
    }
    assert customer == expected
    assert customer["created_at"].endswith("Z")
    # Reachable by id and by each alias.
    for ref in (customer["id"], "wcqYrqfE", "acme-crm-17"):
        assert api.get(f"/customers/{ref}").json() == expected

    r = api.patch(
        "/customers/wcqYrqfE",
        json={"name": "Acme Inc", "metadata": {"crm_id": None, "tier": "gold"}, "email": None},
    )
    assert r.status_code == 200
    updated = r.json()
    assert updated["name"] == "Acme Inc" and updated["email"] is None
    assert updated["metadata"] == {"seats": 40, "vip": True, "tier": "gold"}
    assert updated["aliases"] == ["wcqYrqfE", "acme-crm-17"]

    r = api.patch(f"/customers/{customer['id']}", json={"aliases": ["acme-new"]})
    assert r.json()["aliases"] == ["acme-new"]
    assert api.get("/customers/wcqYrqfE").status_code == 404
    assert api.get("/customers/acme-new").json()["id"] == customer["id"]

    archived = api.delete(f"/customers/{customer['id']}").json()
    assert archived["archived_at"] is not None
    assert api.get("/customers").json()["data"] == []
    assert [c["id"] for c in api.get("/customers?archived=true").json()["data"]] == [
        customer["id"]
    ]
    assert api.get(f"/customers/{customer['id']}").json()["archived_at"] == archived["archived_at"]

    with kassa.engine.connect() as conn:
        events = conn.execute(
            select(outbox_events.c.type, outbox_events.c.data).order_by(outbox_events.c.seq)
        ).all()
    assert [e.type for e in events] == [
        "customer.created",
        "customer.updated",
        "customer.updated",
        "customer.archived",
    ]
    assert events[0].data == expected


def test_default_currency_and_client_chosen_id(api: TestClient) -> None:
    r = api.post("/customers", json={"id": "AcBigCo12", "name": "Big Co"})
    assert r.status_code == 201
    assert r.json()["id"] == "AcBigCo12" and r.json()["currency"] == "USD"
    again = api.post("/customers", json={"id": "AcBigCo12", "name": "Dup"})
    assert again.status_code == 409
    assert again.json()["detail"] == "A customer with id or alias 'AcBigCo12' exists."


def test_alias_must_be_unique(api: TestClient) -> None:
    first = api.post("/customers", json={"name": "A", "aliases": ["ext-1"]}).json()
    r = api.post("/customers", json={"name": "B", "aliases": ["ext-1"]})
    assert r.status_code == 409
    assert r.json()["detail"] == f"Alias 'ext-1' already identifies customer '{first['id']}'."
    assert r.json()["errors"][0]["field"] == "aliases"


def _errors(r) -> list[tuple[str, str]]:
    return [(e["field"], e["message"]) for e in r.json()["errors"]]


def test_bad_input_names_the_field(api: TestClient) -> None:
    r = api.post("/customers", json={})
    assert r.status_code == 422
    assert _errors(r) == [("name", "Field required")]
    assert r.json()["detail"] == "Invalid request: name: Field required"

    r = api.post("/customers", json={"name": 42, "tags": "x", "tax_exempt": "maybe"})
    assert r.status_code == 422
    assert [f for f, _ in _errors(r)] == ["name", "tags", "tax_exempt"]

    r = api.post("/customers", json={"name": "A", "currency": "XYZ"})
    assert _errors(r) == [("currency", "'XYZ' is not an ISO 4217 currency code")]

    r = api.post("/customers", json={"name": "x" * 256})
    assert _errors(r) == [("name", "String should have at most 255 characters")]

    r = api.post("/customers", json={"name": "A", "email": "not-an-email"})
    assert _errors(r) == [("email", "must be an email address such as billing@example.com")]

    r = api.post("/customers", json={"name": "A", "tax_rate": "120"})
    assert _errors(r) == [("tax_rate", "must be a percentage between 0 and 100")]

    r = api.post("/customers", json={"name": "A", "metadata": {"k" * 41: "v"}})
    assert r.status_code == 422 and _errors(r)[0][0].startswith("metadata")

    r = api.post("/customers", json={"name": "A", "aliases": ["a", "a"]})
    assert _errors(r) == [("aliases", "must not repeat a value")]

    r = api.post("/customers", json={"name": "A", "colour": "red"})
    assert _errors(r) == [("colour", "Extra inputs are not permitted")]

    r = api.post("/customers", json={"id": "bad id!", "name": "A"})
    assert _errors(r)[0][0] == "id"

    r = api.patch("/customers/nope", json={"name": "A"})
    assert r.status_code == 404
    assert r.json() == {"status": 404, "detail": "Customer 'nope' was not found.",
                        "errors": [{"field": "customer_id",
                                    "message": "Customer 'nope' was not found."}]}


def test_malformed_json_is_400(api: TestClient) -> None:
    r = api.post(
        "/customers", content=b'{"name": "A",', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["detail"].startswith("Malformed JSON body")
    r = api.post("/customers", content=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"] == (
        "The request body must be a JSON object (send it with Content-Type: application/json)."
    )


def test_body_without_content_type_is_read_as_json(api: TestClient) -> None:
    r = api.post("/customers", content=b'{"name": "Curl Co"}')
    assert r.status_code == 201 and r.json()["name"] == "Curl Co"


def test_null_for_required_field_in_patch_is_422(api: TestClient) -> None:
    cid = api.post("/customers", json={"name": "A"}).json()["id"]
    r = api.patch(f"/customers/{cid}", json={"name": None})
    assert r.status_code == 422
    assert _errors(r) == [("name", "cannot be null")]


def test_unknown_route_and_method(api: TestClient) -> None:
    r = api.get("/nope")
    assert r.status_code == 404 and r.json() == {
        "status": 404,
        "detail": "No such endpoint: GET /nope.",
    }
    r = api.put("/customers")
    assert r.status_code == 405
    assert r.json()["detail"] == "Method PUT is not allowed on /customers."


def test_metadata_values_must_survive_storage_and_the_response(api: TestClient) -> None:
    """Integers past 64 bits broke the JSON encoder (a 500); NaN and 1e400 were silently
    stored as null; nested values are not metadata."""
    big = str(10**30).encode()
    cases = [
        (b'{"n": ' + big + b"}", "integers must fit in 64 bits; send larger numbers as strings"),
        (b'{"n": 1e400}', "numbers must be finite"),
        (b'{"n": NaN}', "numbers must be finite"),
        (b'{"n": -Infinity}', "numbers must be finite"),
        (b'{"n": {"deep": 1}}', "values must be a string, number, boolean or null (metadata is flat)"),
    ]
    created = api.post("/customers", json={"name": "A"}).json()
    headers = {"Content-Type": "application/json"}
    for metadata, message in cases:
        for method, path, extra in (("POST", "/customers", b'"name": "A", '),
                                    ("PATCH", f"/customers/{created['id']}", b"")):
            body = b"{" + extra + b'"metadata": ' + metadata + b"}"
            r = api.request(method, path, content=body, headers=headers)
            assert r.status_code == 422, (method, metadata, r.text)
            assert _errors(r) == [("metadata.n", message)], (method, metadata)
    # The limits themselves are fine, and come back unchanged.
    edge = {"max": 2**63 - 1, "min": -(2**63), "x": 1.5, "s": "v" * 500, "b": False, "z": None}
    r = api.post("/customers", json={"name": "A", "metadata": edge})
    assert r.status_code == 201, r.text
    assert r.json()["metadata"] == {k: v for k, v in edge.items() if v is not None}
    assert api.patch(f"/customers/{created['id']}", json={"metadata": {"max": 2**63 - 1}}).json()[
        "metadata"] == {"max": 2**63 - 1}


def test_metadata_patch_is_checked_like_metadata_everywhere(api: TestClient) -> None:
    big = {"metadata": {"n": 10**30}}
    message = [{"field": "metadata.n",
                "message": "integers must fit in 64 bits; send larger numbers as strings"}]
    product = api.post("/products", json={"name": "P", "fee_type": "fixed",
                                          "billing_frequency": "recurring"}).json()
    metric = api.post("/metrics", json={"name": "M", "event_name": "m",
                                        "aggregation": {"method": "count"}}).json()
    for path in (f"/products/{product['id']}", f"/metrics/{metric['id']}"):
        r = api.patch(path, json=big)
        assert r.status_code == 422 and r.json()["errors"] == message, (path, r.text)


def test_oversized_bodies_are_413(api: TestClient) -> None:
    big = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    r = api.post("/customers", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json() == {"status": 413, "detail": "The request body is larger than 2097152 bytes."}

    def chunks():  # no Content-Length: counted while read
        yield b'{"name": "'
        for _ in range(3):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    r = api.post("/customers", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_search_matches_name_or_email_in_any_case_or_the_id(api: TestClient) -> None:
    made = [api.post("/customers", json=body).json() for body in (
        {"name": "Acme Corp", "email": "billing@acme.io"},
        {"name": "Globex", "email": "ap@ACME-partner.example"},
        {"name": "Initech", "email": None},
        {"name": "100%_Real Ltd"},
    )]

    def found(query: str) -> list[str]:
        answer = api.get("/customers", params={"search": query, "sort": "name:asc"})
        assert answer.status_code == 200, answer.text
        return [c["name"] for c in answer.json()["data"]]

    assert found("acme") == ["Acme Corp", "Globex"]
    assert found("INITECH") == ["Initech"]
    assert found(made[2]["id"]) == ["Initech"]
    assert found("initech,globex") == ["Globex", "Initech"]  # any of
    assert found("%_") == ["100%_Real Ltd"] and found("0%") == ["100%_Real Ltd"]
    assert found("_") == ["100%_Real Ltd"]  # LIKE's wildcards are plain characters


def test_billing_details_are_kept_replaced_and_checked(api) -> None:
    r = api.post("/customers", json={
        "name": "Globex", "email": "ops@globex.io", "billing_email": "ap@globex.io",
        "billing_address": {"line1": "Unter den Linden 1", "city": "Berlin",
                            "postal_code": "10117", "country": "DE"},
        "tax_id": "DE123456789",
    })
    assert r.status_code == 201, r.text
    customer = r.json()
    assert customer["billing_email"] == "ap@globex.io"
    assert customer["billing_address"] == {"line1": "Unter den Linden 1", "line2": None,
                                           "city": "Berlin", "state": None,
                                           "postal_code": "10117", "country": "DE"}
    assert customer["tax_id"] == "DE123456789"

    r = api.patch(f"/customers/{customer['id']}", json={
        "billing_address": {"line1": "Main St 5", "country": "US", "state": "CA"},
        "tax_id": None})
    assert r.status_code == 200, r.text
    assert r.json()["billing_address"] == {"line1": "Main St 5", "line2": None, "city": None,
                                           "state": "CA", "postal_code": None, "country": "US"}
    assert r.json()["tax_id"] is None
    assert api.patch(f"/customers/{customer['id']}",
                     json={"billing_address": None}).json()["billing_address"] is None

    for body, field in (({"billing_address": {"country": "Germany"}}, "billing_address.country"),
                        ({"billing_email": "not-an-address"}, "billing_email"),
                        ({"billing_address": {"line1": "x", "planet": "Mars"}},
                         "billing_address.planet"),
                        ({"tax_id": "X" * 51}, "tax_id")):
        r = api.patch(f"/customers/{customer['id']}", json=body)
        assert r.status_code == 422, body
        assert [e["field"] for e in r.json()["errors"]] == [field], r.json()
