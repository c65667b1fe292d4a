"""What a customer holds stays consistent under parallel requests: one active wallet per currency,
one default payment method (PostgreSQL, where the requests really run in parallel)."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from tests.scenarios.seed_catalog import ok


def test_one_active_wallet_per_currency_under_concurrency(pg_only, api: TestClient) -> None:
    customers = [ok(api.post("/customers", json={"name": f"C{i}", "currency": "USD"}), 201)["id"]
                 for i in range(4)]
    for customer in customers:
        barrier = threading.Barrier(8)
        statuses: list[int] = []

        def create(customer: str = customer, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            statuses.append(api.post("/wallets", json={"customer_id": customer}).status_code)

        threads = [threading.Thread(target=create) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(statuses) == [201] + [409] * 7, customer
        wallets = ok(api.get(f"/wallets?customer_id={customer}"))["data"]
        assert len(wallets) == 1, customer


def test_one_default_payment_method_under_concurrency(pg_only, api: TestClient) -> None:
    """The first method attached becomes the default: attached in parallel, several did."""
    for i in range(4):
        customer = ok(api.post("/customers", json={"name": f"P{i}"}), 201)["id"]
        barrier = threading.Barrier(6)
        statuses: list[int] = []

        def attach(customer: str = customer, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            r = api.post(f"/customers/{customer}/payment-methods",
                         json={"type": "card", "details": {"last4": "4242"}})
            statuses.append(r.status_code)

        threads = [threading.Thread(target=attach) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert statuses == [201] * 6
        methods = ok(api.get(f"/customers/{customer}/payment-methods"))["data"]
        assert [m["is_default"] for m in methods].count(True) == 1, customer
