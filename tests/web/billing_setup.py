"""What the Customers and Subscriptions browser tests set up through the HTTP API: a module's
own server (its sandbox clock is the module's to move), an API client, a small catalog (the
lifecycle document's $99 and $199 plans, billed in advance, and a per-seat plan) and customers
with subscriptions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import API_VERSION_HEADERS, BACKENDS
from tests.scenarios.seed_catalog import fixed, per_seat
from tests.web.conftest import error_beside, serve
from tests.web.server import Server

# June 2026 has the 30 days of the lifecycle document's proration example; its day 16 leaves 15.
PERIOD_START = "2026-06-01T00:00:00Z"
DAY_16 = "2026-06-16T00:00:00Z"


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The module's own server: these tests freeze the sandbox clock where they need it."""
    yield from serve(request.param, tmp_path_factory)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@dataclass
class Catalog:
    platform: dict
    seats: dict
    api_usage: dict
    metric: dict
    basic: dict  # Platform at 99.00 a month, in advance
    pro: dict  # Platform at 199.00 a month, in advance
    team: dict  # Platform at 99.00 and 10 seats at 20.00 a month, in advance


@dataclass
class Api:
    """The sandbox's HTTP API, with an API key of the module's server."""

    client: httpx.Client
    catalog: Catalog

    def get(self, path: str, **params: Any) -> Any:
        return ok(self.client.get(path, params=params))

    def post(self, path: str, body: Any = None, status: int = 200) -> Any:
        return ok(self.client.post(path, json=body), status)

    def freeze(self, at: str) -> None:
        self.post("/clock/freeze", {"at": at})

    def customer(self, **fields: Any) -> dict:
        fields.setdefault("name", f"Customer {uuid.uuid4().hex[:8]}")
        return self.post("/customers", {"currency": "USD", **fields}, 201)

    def subscription(self, customer: dict, plan: dict, **fields: Any) -> dict:
        """An active subscription of ``customer`` to ``plan``, from the frozen clock's day."""
        return self.post("/subscriptions", {"customer_id": customer["id"], "plan_id": plan["id"],
                                            "auto_activate": True, **fields}, 201)

    def started(self, customer: dict, plan: dict, **fields: Any) -> dict:
        """``subscription`` from the start of June, the clock then moved to its day 16."""
        self.freeze(PERIOD_START)
        sub = self.subscription(customer, plan, **fields)
        self.freeze(DAY_16)
        return sub

    def invoices(self, sub: dict) -> list[tuple[str, str, str]]:
        """(kind, total, status) of ``sub``'s invoices, oldest first."""
        found = self.get("/invoices", subscription_id=sub["id"], sort="created_at:asc")["data"]
        return [(i["kind"], i["total"], i["status"]) for i in found]


def corrected(page: Any, label: str, wrong: str, message: str, right: str, button: str) -> None:
    """Enter ``wrong`` in the field ``label`` and press ``button``: ``message`` is beside the
    field; then enter ``right`` (pressing ``button`` again is the caller's)."""
    page.get_by_label(label).fill(wrong)
    page.get_by_role("button", name=button).click()
    error_beside(page, page.get_by_label(label), message)
    page.get_by_label(label).fill(right)


def _catalog(client: httpx.Client) -> Catalog:
    def post(path: str, body: dict) -> dict:
        return ok(client.post(path, json=body), 201)

    tag = uuid.uuid4().hex[:6]
    metric = post("/metrics", {"name": "API calls", "event_name": f"api_call_{tag}",
                               "aggregation": {"method": "count"}})
    platform = post("/products", {"name": "Platform", "fee_type": "fixed",
                                  "billing_frequency": "recurring"})
    seats = post("/products", {"name": "Seats", "fee_type": "fixed",
                               "billing_frequency": "recurring"})
    api_usage = post("/products", {"name": "API usage", "fee_type": "metered",
                                   "metric_ids": [metric["id"]]})

    def plan(name: str, items: list[dict]) -> dict:
        return post("/plans", {"name": f"{name} {tag}", "currency": "USD", "items": items})

    return Catalog(
        platform, seats, api_usage, metric,
        basic=plan("Basic", [{"product_id": platform["id"], "price": fixed("99.00", "advance")}]),
        pro=plan("Pro", [{"product_id": platform["id"], "price": fixed("199.00", "advance")}]),
        team=plan("Team", [
            {"product_id": platform["id"], "price": fixed("99.00", "advance")},
            {"product_id": seats["id"], "price": per_seat("20.00", "advance"), "quantity": 10},
            {"product_id": api_usage["id"], "price": {
                "type": "unit", "billing_interval": "monthly", "fee_type": "metered",
                "billing_direction": "arrears", "metric_ids": [metric["id"]],
                "unit_pricing_model": {"price_per_unit": "0.01"}}},
        ]),
    )


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[Api]:
    headers = {**API_VERSION_HEADERS, "Authorization": f"Bearer {server.key('sandbox')}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        ok(client.post("/clock/freeze", json={"at": PERIOD_START}))
        yield Api(client, _catalog(client))
