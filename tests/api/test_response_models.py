"""Every route declares its response, the declaration names every field the service returns, and
the OpenAPI document shows money as decimal strings."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel

from tests.scenarios.billing_helpers import card
from tests.scenarios.seed_catalog import ok

# Served by docs.install (HTML pages and the OpenAPI document itself), not API resources.
# The docs pages, and the PDFs (application/pdf, documented in their responses).
WITHOUT_RESPONSE_MODEL = {"/docs", "/redoc", "/openapi.json", "/invoices/{invoice_id}/pdf",
                          "/credit-notes/{note_id}/pdf"}
MONEY_PATTERN = r"^-?\d+(\.\d+)?$"


def _api_routes(app: Any) -> list[tuple[str, APIRoute]]:
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            found.extend((f"{method} {context.path}", route) for method in sorted(context.methods))
    return found


def _response_models(app: Any) -> dict[str, type[BaseModel]]:
    return {key: route.response_model for key, route in _api_routes(app)}


def test_every_route_has_a_response_model(app: Any) -> None:
    routes = _api_routes(app)
    assert len(routes) > 100
    missing = [
        key for key, route in routes
        if key.split(" ", 1)[1] not in WITHOUT_RESPONSE_MODEL
        and not (isinstance(route.response_model, type)
                 and issubclass(route.response_model, BaseModel))
    ]
    assert missing == []


def _undeclared(value: Any, path: str = "$") -> list[str]:
    """Fields a response carried that its schema does not declare (they pass through, but the
    documentation would not show them)."""
    found: list[str] = []
    if isinstance(value, BaseModel):
        found += [f"{path}.{key}" for key in value.model_extra or {}]
        for name in type(value).model_fields:
            found += _undeclared(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list):
        for item in value:
            found += _undeclared(item, f"{path}[]")
    return found


def test_money_responses_declare_every_field_in_the_order_served(api: TestClient, app: Any) -> None:
    models = _response_models(app)
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T12:00:00Z"}))
    customer = ok(api.post("/customers", json={"name": "Acme", "currency": "USD"}), 201)["id"]
    method = card(api, customer)["id"]
    ids = {"customer_id": customer, "method_id": method}
    steps: list[tuple[str, str, dict | None]] = [
        ("GET", "/customers/{customer_id}", None),
        ("POST", "/invoices", {"customer_id": customer, "lines": [
            {"description": "Setup", "quantity": "2", "unit_amount": "50.00"}]}),
        ("POST", "/invoices/{invoice_id}/payments", {"amount": "40.00"}),
        ("POST", "/invoices/{invoice_id}/retry-payment", None),
        ("GET", "/payments", None),
        ("GET", "/payments/{payment_id}", None),
        ("POST", "/credit-notes", {"invoice_id": "{invoice_id}", "amount": "10.00"}),
        ("POST", "/credit-notes/{note_id}/apply", {"resolution": "refund"}),
        ("GET", "/credit-notes", None),
        ("GET", "/refunds", None),
        ("GET", "/refunds/{refund_id}", None),
        ("POST", "/credit-grants", {"customer_id": customer, "amount": "5.00",
                                    "expires_at": "2027-01-01T00:00:00Z"}),
        ("GET", "/credit-grants", None),
        ("GET", "/customers/{customer_id}/credit-balance", None),
        ("POST", "/wallets", {"customer_id": customer}),
        ("POST", "/wallets/{wallet_id}/top-up", {"amount": "20.00"}),
        ("POST", "/wallets/{wallet_id}/grants", {"amount": "3.00", "reason": "welcome"}),
        ("POST", "/wallets/{wallet_id}/debit", {"amount": "1.50"}),
        ("GET", "/wallets/{wallet_id}/transactions", None),
        ("GET", "/wallet-grants", None),
        ("GET", "/wallets", None),
        ("GET", "/customers/{customer_id}/payment-methods", None),
        ("POST", "/customers/{customer_id}/payment-methods/{method_id}/default", None),
        ("DELETE", "/customers/{customer_id}/payment-methods/{method_id}", None),
        ("POST", "/credit-grants/{grant_id}/void", None),
    ]
    for verb, template, body in steps:
        if body is not None:
            body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
        r = api.request(verb, template.format(**ids), json=body)
        assert r.status_code in (200, 201), f"{verb} {template}: {r.text}"
        data = r.json()
        model = models[f"{verb} {template}"]
        assert _undeclared(model.model_validate(data)) == [], f"{verb} {template}"
        assert list(data) == list(model.model_fields), f"{verb} {template}"
        item = data["data"][0] if "data" in data and data["data"] else data
        ids.update({
            "/invoices": {"invoice_id": item.get("id")},
            "/invoices/{invoice_id}/payments": {"payment_id": data.get("payment", {}).get("id")},
            "/credit-notes": {"note_id": item.get("id")},
            "/credit-notes/{note_id}/apply": {"refund_id": item.get("refund_id")},
            "/credit-grants": {"grant_id": item.get("id")},
            "/wallets": {"wallet_id": item.get("id")},
        }.get(template, {}) if verb == "POST" else {})
    assert ok(api.get(f"/invoices/{ids['invoice_id']}"))["amount_credited"] == "10.00"


def _field(components: dict, schema: str, name: str) -> dict:
    declared = components[schema]["properties"][name]
    return next((s for s in declared.get("anyOf", [declared]) if s.get("type") != "null"), {})


def test_openapi_shows_money_as_decimal_strings(anon: TestClient) -> None:
    document = ok(anon.get("/openapi.json"))
    components = document["components"]["schemas"]
    money_fields = {
        "Invoice": ["subtotal", "discount", "tax", "total", "credits_applied", "wallet_applied",
                    "amount_paid", "amount_credited", "amount_due"],
        "InvoiceLine": ["unit_amount", "amount"],
        "Payment": ["amount", "amount_refunded"],
        "Refund": ["amount"],
        "CreditGrant": ["amount", "remaining"],
        "Wallet": ["current_balance"],
        "WalletTransaction": ["amount", "balance_after"],
        "CreditNote": ["amount"],
        "CreditNoteLine": ["amount"],
    }
    for schema, names in money_fields.items():
        for name in names:
            assert _field(components, schema, name)["type"] == "string", (schema, name)
            assert _field(components, schema, name)["pattern"] == MONEY_PATTERN, (schema, name)
    assert _field(components, "Invoice", "issued_at") == {"type": "string", "format": "date-time"}
    served = {
        ("/invoices/{invoice_id}", "get"): "Invoice",
        ("/payments/{payment_id}", "get"): "Payment",
        ("/credit-grants", "post"): "CreditGrant",
        ("/wallets/{wallet_id}", "get"): "Wallet",
        ("/credit-notes/{note_id}", "get"): "CreditNote",
    }
    for (path, verb), schema in served.items():
        operation = document["paths"][path][verb]
        success = operation["responses"]["201" if verb == "post" else "200"]
        ref = success["content"]["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/{schema}", (path, verb)
