"""Helpers shared by the usage tests: seed events through the real ingestion path, aggregate."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from kassa.bootstrap import Kassa
from kassa.services import clock
from kassa.services.usage import ingest as events
from kassa.services.usage.aggregation import aggregate_usage

FROZEN_AT = "2026-12-01T00:00:00Z"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def freeze(kassa: Kassa, when: str = FROZEN_AT) -> None:
    clock.freeze(kassa.ctx("sandbox"), at(when))


def customer(api: TestClient, name: str, aliases: list[str] | None = None) -> str:
    r = api.post("/customers", json={"name": name, "aliases": aliases or []})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def metric(
    api: TestClient,
    method: str,
    field: str | None = None,
    groups: list[dict[str, Any]] | None = None,
    event_name: str = "api",
) -> dict[str, Any]:
    aggregation: dict[str, Any] = {"method": method}
    if field is not None:
        aggregation["field"] = field
    body = {
        "name": f"{method} {field}",
        "event_name": event_name,
        "aggregation": aggregation,
        "filter_groups": groups or [],
    }
    r = api.post("/metrics", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def send(kassa: Kassa, batch: list[dict[str, Any]], *, upsert: bool = False) -> dict[str, Any]:
    """Ingest through the service (the API's path), returning the API's response body."""
    return events.ingest_events(kassa.ctx("sandbox"), batch, upsert=upsert).response()


def value(
    kassa: Kassa, metric_row: dict[str, Any], customer_id: str, start: str, end: str
) -> Decimal | None:
    with kassa.engine.connect() as conn:
        return aggregate_usage(conn, "sandbox", metric_row, customer_id, at(start), at(end))


def subscribe(api: TestClient, customer_id: str, metric_id: str, start: str = "2026-07-01") -> str:
    """An active subscription of ``customer_id`` billing ``metric_id`` (per unit) since ``start``."""
    product = api.post("/products", json={"name": f"Usage {metric_id}", "fee_type": "metered",
                                          "metric_ids": [metric_id]})
    assert product.status_code == 201, product.text
    r = api.post("/subscriptions", json={
        "customer_id": customer_id, "currency": "USD", "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": start},
        "items": [{"product_id": product.json()["id"], "price": {
            "type": "unit", "fee_type": "metered", "billing_direction": "arrears",
            "metric_ids": [metric_id], "unit_pricing_model": {"price_per_unit": "0.01"}}}],
    })
    assert r.status_code == 201, r.text
    return str(r.json()["id"])
