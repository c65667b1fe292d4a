"""A year's story for the revenue reports, on the sandbox clock through the API (a TestClient
or an httpx client of a running server): activations, a plan change up, one down, a
cancellation, a second currency."""

from __future__ import annotations

from typing import Any

from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok


def subscribe(api: Any, customer: str, currency: str, price: dict, *,
              start: str, extra: list | None = None, terms: str = "due_on_receipt") -> dict:
    return ok(api.post("/subscriptions", json={
        "customer_id": customer, "currency": currency, "auto_activate": True,
        "contract": {"period_type": "monthly_rolling", "start_date": start},
        "billing": {"payment_terms": terms},
        "items": [{"product_id": sc.PLATFORM, "price": price}, *(extra or [])],
    }), 201)


def reprice(api: Any, sub: dict, price: dict) -> None:
    ok(api.post(f"/subscriptions/{sub['id']}/changes", json={
        "update": [{"product_id": sc.PLATFORM, "new_price": price}], "effective": "immediate"}), 201)


def quarterly(amount: str) -> dict:
    return {**sc.fixed(amount, "advance"), "billing_interval": "quarterly"}


def story(api: Any) -> dict[str, dict]:
    """Jan: A (100.00) and B (300.00 + usage) start. Feb: A goes up to 150.00, C starts in EUR
    (240.00 a quarter). Mar: B goes down to 200.00, A is canceled. A draft never counts. B's
    invoices are due in 30 days, the others on receipt; nobody pays."""
    sc.build(api)
    ok(api.post("/customers", json={"id": "EuroCo001", "name": "Euro Co", "currency": "EUR"}), 201)
    ok(api.post("/clock/freeze", json={"at": "2026-01-01T00:00:00Z"}))
    a = subscribe(api, "wcqYrqfE", "USD", sc.fixed("100.00", "advance"), start="2026-01-01")
    b = subscribe(api, "AcBigCo12", "USD", sc.fixed("300.00", "advance"), start="2026-01-01",
                  extra=[{"product_id": sc.API_USAGE, "price": sc.GRADUATED_API}], terms="net_30")
    ok(api.post("/subscriptions", json={
        "customer_id": "wcqYrqfE", "currency": "USD",
        "items": [{"product_id": sc.SUPPORT, "price": sc.fixed("999.00")}]}), 201)
    ok(api.post("/clock/advance", json={"to": "2026-02-10T00:00:00Z"}))
    reprice(api, a, sc.fixed("150.00", "advance"))
    c = subscribe(api, "EuroCo001", "EUR", quarterly("240.00"), start="2026-02-10")
    ok(api.post("/clock/advance", json={"to": "2026-03-05T00:00:00Z"}))
    reprice(api, b, sc.fixed("200.00", "advance"))
    ok(api.post("/clock/advance", json={"to": "2026-03-20T12:00:00Z"}))
    ok(api.post(f"/subscriptions/{a['id']}/cancel", json={"timing": "immediate", "reason": "pricing"}))
    ok(api.post("/clock/advance", json={"to": "2026-04-15T00:00:00Z"}))
    return {"a": a, "b": b, "c": c}
