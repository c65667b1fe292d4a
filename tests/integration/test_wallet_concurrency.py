"""Wallets created at the same time for one customer and currency: exactly one wins
(PostgreSQL, where the requests really run in parallel)."""

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
