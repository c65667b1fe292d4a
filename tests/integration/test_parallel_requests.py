"""Parallel requests keep the data consistent and get a 4xx, never a 500: one active wallet per
currency, one default payment method, one object per client-chosen id (PostgreSQL, where the
requests really run in parallel)."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from tests.scenarios import seed_catalog as sc
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


@pytest.mark.parametrize("path", ["/plans", "/bundles", "/products", "/customers"])
def test_parallel_creations_with_one_client_id(pg_only, api: TestClient, path: str) -> None:
    """The id is checked, then inserted: a parallel request could slip between the two, and
    its unique-index error was a 500 (plans, bundles)."""
    sc.build(api)
    price = {"product_id": sc.PLATFORM, "price": sc.fixed("1.00")}
    bodies = {
        "/plans": {"id": "pln_same", "name": "P", "currency": "USD", "items": [price]},
        "/bundles": {"id": "bnd_same", "name": "B", "items": [price]},
        "/products": {"id": "prod_same", "name": "P", "fee_type": "fixed",
                      "billing_frequency": "recurring"},
        "/customers": {"id": "same", "name": "C"},
    }
    barrier = threading.Barrier(8)
    responses: list = []

    def create() -> None:
        barrier.wait()
        responses.append(api.post(path, json=bodies[path]))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.status_code for r in responses) == [201] + [409] * 7


def test_parallel_alias_changes(pg_only, api: TestClient) -> None:
    """Two customers claiming one alias at once: the loser's unique-index error was a 500. One
    customer's aliases replaced in parallel: the delete-and-insert interleaved (500s too), and
    metadata merges overwrote each other."""
    customers = [ok(api.post("/customers", json={"name": f"A{i}"}), 201)["id"] for i in range(6)]
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def claim(customer: str) -> None:
        barrier.wait()
        statuses.append(api.patch(f"/customers/{customer}", json={"aliases": ["crm-1"]}).status_code)

    threads = [threading.Thread(target=claim, args=(c,)) for c in customers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(statuses) == [200] + [409] * 5

    one = customers[0]
    barrier = threading.Barrier(6)
    statuses.clear()

    def patch(i: int) -> None:
        barrier.wait()
        body = {"aliases": [f"own-{i}", "shared"], "metadata": {f"k{i}": i}}
        statuses.append(api.patch(f"/customers/{one}", json=body).status_code)

    threads = [threading.Thread(target=patch, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert statuses == [200] * 6
    final = ok(api.get(f"/customers/{one}"))
    assert final["metadata"] == {f"k{i}": i for i in range(6)}
    assert len(final["aliases"]) == 2 and "shared" in final["aliases"]


@pytest.mark.parametrize("path", ["/products", "/metrics", "/plans", "/bundles"])
def test_parallel_metadata_patches_all_land(pg_only, api: TestClient, path: str) -> None:
    """PATCH merges metadata into what it read: parallel patches read the same row and the
    last write dropped the others' keys, until the row is locked for the read."""
    sc.build(api)
    target = {"/products": sc.PLATFORM, "/metrics": sc.METRIC, "/plans": sc.PLAN,
              "/bundles": sc.BUNDLE}[path]
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def patch(i: int) -> None:
        barrier.wait()
        statuses.append(api.patch(f"{path}/{target}", json={"metadata": {f"k{i}": str(i)}})
                        .status_code)

    threads = [threading.Thread(target=patch, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert statuses == [200] * 6
    assert ok(api.get(f"{path}/{target}"))["metadata"] == {f"k{i}": str(i) for i in range(6)}


def test_parallel_decision_and_cancellation(pg_only, api: TestClient) -> None:
    """A decision locked the approval, then the subscription; a cancellation the other way
    round: run together they deadlocked (a 500). Now one wins and the other is a 4xx."""
    sc.build(api)
    ok(api.post("/approval-rules", json={
        "name": "Any discount", "conditions": [{"type": "discount_percentage_exceeds",
                                               "value": "1"}],
        "match": "all", "priority": 1, "approvers": {"strategy": "any", "names": ["cfo"]}}), 201)
    for decision in ["approve", "reject"] * 3:
        sub = ok(api.post("/subscriptions", json={
            "customer_id": "wcqYrqfE", "plan_id": sc.PLAN,
            "discount": {"type": "percentage", "amount": "25"}}), 201)
        assert ok(api.post(f"/subscriptions/{sub['id']}/activate"))["status"] == "pending_approval"
        approval = ok(api.get(f"/approvals?status=pending&subscription_id={sub['id']}"))["data"][0]
        body = {"approver": "cfo", "reason": "no"} if decision == "reject" else {"approver": "cfo"}
        barrier = threading.Barrier(2)
        responses: dict = {}

        def decide(approval_id: str = approval["id"], body: dict = body,
                   decision: str = decision, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            responses["decide"] = api.post(f"/approvals/{approval_id}/{decision}", json=body)

        def cancel(sub_id: str = sub["id"], barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            responses["cancel"] = api.post(f"/subscriptions/{sub_id}/cancel",
                                           json={"timing": "immediate"})

        threads = [threading.Thread(target=decide), threading.Thread(target=cancel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        statuses = {k: r.status_code for k, r in responses.items()}
        assert all(s < 500 for s in statuses.values()), {k: r.text for k, r in responses.items()}
        assert statuses["decide"] == 200 or statuses["cancel"] == 200, statuses


def test_subscriptions_of_one_customer_activated_at_once(pg_only, api: TestClient) -> None:
    """Eight subscriptions of one customer created with auto_activate at the same moment: each
    is billed, none deadlocks (the insert's key-share lock on the customer, then billing's FOR
    UPDATE of it, taken crosswise by two requests, made PostgreSQL abort all but one with 500)."""
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-01-10T00:00:00Z"}))
    barrier = threading.Barrier(8)
    answers: list[tuple[int, str]] = []

    def subscribe() -> None:
        barrier.wait()
        r = api.post("/subscriptions", json={
            "customer_id": "wcqYrqfE", "currency": "USD", "auto_activate": True,
            "contract": {"period_type": "monthly_rolling", "start_date": "2026-01-10"},
            "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("100.00", "advance")}]})
        answers.append((r.status_code, r.text[:200]))

    threads = [threading.Thread(target=subscribe) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [status for status, _ in answers] == [201] * 8, answers
    invoices = ok(api.get("/invoices", params={"customer_id": "wcqYrqfE", "limit": 100}))["data"]
    assert sorted(i["total"] for i in invoices) == ["100.00"] * 8
