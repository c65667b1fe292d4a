"""Shared moves of the billing stories."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.scenarios.seed_catalog import ok


def advance(api: TestClient, to: str) -> list[dict]:
    return ok(api.post("/clock/advance", json={"to": to}))["ran"]


def invoices(api: TestClient, **filters: str) -> list[dict]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return ok(api.get(f"/invoices?sort=created_at:asc&limit=100&{query}"))["data"]


def summary(invoice: dict) -> tuple:
    """(issue date, status, total, amount due) of an invoice."""
    return (invoice["issue_date"], invoice["status"], invoice["total"], invoice["amount_due"])


def lines(invoice: dict) -> list[tuple]:
    """(kind, period start, period end, quantity, amount) of each line."""
    return [
        (line["kind"], line["period_start"], line["period_end"], line["quantity"], line["amount"])
        for line in invoice["line_items"]
    ]


def send_usage(api: TestClient, customer: str, event: str, values: list[tuple[str, str, int]]) -> None:
    """``values``: (unique id, timestamp, calls)."""
    body = {"events": [
        {"account": customer, "event_name": event, "unique_id": uid, "timestamp": ts,
         "properties": {"calls": calls}}
        for uid, ts, calls in values
    ]}
    result = ok(api.post("/events", json=body))
    assert result["failed"] == [], result


def card(api: TestClient, customer: str, behavior: str = "succeed") -> dict:
    return ok(api.post(f"/customers/{customer}/payment-methods",
                       json={"type": "card", "details": {"brand": "visa", "last4": "4242"},
                             "test_behavior": behavior}), 201)
