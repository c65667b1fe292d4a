"""Two credit applications at the same time never spend more than the balance (PostgreSQL,
where they really run in parallel)."""

from __future__ import annotations

import threading
from decimal import Decimal

from fastapi.testclient import TestClient

from tests.scenarios.seed_catalog import ok


def test_concurrent_applications_respect_the_balance(pg_only, api: TestClient) -> None:
    ok(api.post("/customers", json={"id": "cc1", "name": "Concurrent Co"}), 201)
    # Issued first (issuing takes the numbering lock, which would serialize the race away).
    invoices = [
        ok(api.post("/invoices", json={"customer_id": "cc1",
                                       "lines": [{"description": "x", "amount": "80.00"}]}), 201)["id"]
        for _ in range(6)
    ]
    ok(api.post("/credit-grants", json={"customer_id": "cc1", "amount": "60.00"}), 201)
    ok(api.post("/credit-grants", json={"customer_id": "cc1", "amount": "40.00", "priority": 1}), 201)
    barrier = threading.Barrier(len(invoices))
    results: list = []

    def apply(invoice_id: str) -> None:
        barrier.wait()
        results.append(api.post(f"/invoices/{invoice_id}/apply-credits"))

    threads = [threading.Thread(target=apply, args=(i,)) for i in invoices]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.status_code for r in results) == [200] * len(invoices)
    applied = sum(Decimal(r.json()["credits_applied"]) for r in results)
    assert applied == Decimal("100.00")
    assert ok(api.get("/customers/cc1/credit-balance"))["monetary"] == []
    grants = ok(api.get("/credit-grants?customer_id=cc1"))["data"]
    assert sorted((g["status"], g["remaining"]) for g in grants) == [
        ("exhausted", "0.00"), ("exhausted", "0.00")]
