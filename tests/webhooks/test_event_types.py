"""Every event Kassa emits is in the one registry: subscribable, delivered, listed, documented."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import kassa
from kassa.domain.webhooks import EVENT_PAYLOADS, EVENT_TYPES, RESERVED_EVENT_TYPES
from tests.scenarios import seed_catalog as sc
from tests.scenarios.billing_helpers import advance, card, invoices
from tests.scenarios.helpers import event_data, events
from tests.scenarios.seed_catalog import ok

NEWLY_SUBSCRIBABLE = [
    "payment.failed",
    "payment.succeeded",
    "invoice.overdue",
    "invoice.voided",
    "invoice.created",
    "usage.threshold_exceeded",
    "account.credits.expired",
    "credit_note.created",
    "wallet.created",
    "subscription.created",
    "credits.depleted",
    "subscription.ending_soon",
]


def emitted_names() -> dict[str, str]:
    """Every event name a call in kassa/ emits: ``emit``/``emit_many`` with a literal name or a
    module constant (``uow.emit("x", ...)``, ``tl.emit(uow, EVENT, ...)``), or ``event="x"``."""
    root = Path(kassa.__file__).parent
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        constants = {
            node.targets[0].id: node.value.value for node in tree.body
            if isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Constant)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            values = []
            if name in ("emit", "emit_many"):
                values += node.args[:2]
            values += [k.value for k in node.keywords if k.arg == "event"]
            for value in values:
                text = value.value if isinstance(value, ast.Constant) else (
                    constants.get(value.id) if isinstance(value, ast.Name) else None)
                if isinstance(text, str) and "." in text:
                    found[text] = f"{path.relative_to(root.parent)}:{node.lineno}"
    return found


def test_every_emitted_event_is_in_the_registry_and_every_registered_one_is_emitted() -> None:
    emitted = emitted_names()
    assert {"payment.failed", "customer.archived", "subscription.canceled",
            "invoice.issued", "credits.depleted", "subscription.ending_soon"} <= set(emitted)  # the scan sees every form
    missing = {name: where for name, where in emitted.items() if name not in EVENT_TYPES}
    assert missing == {}, "emitted but not in kassa/domain/webhooks.py EVENT_PAYLOADS"
    never = EVENT_TYPES - set(emitted) - RESERVED_EVENT_TYPES
    assert never == set(), "registered but never emitted: emit them or mark them reserved"
    assert all(EVENT_PAYLOADS[name].strip() for name in EVENT_TYPES)


def test_the_readme_documents_every_event_type() -> None:
    readme = (Path(kassa.__file__).parent.parent / "README.md").read_text()
    undocumented = [name for name in EVENT_TYPES
                    if f"| `{name}` | {EVENT_PAYLOADS[name]} |" not in readme]
    assert undocumented == []


def test_event_types_are_listed_with_their_payloads(api: TestClient) -> None:
    listed = ok(api.get("/webhook-event-types"))["data"]
    assert [t["type"] for t in listed] == sorted(EVENT_TYPES)
    failed = next(t for t in listed if t["type"] == "payment.failed")
    assert failed == {"type": "payment.failed", "data": EVENT_PAYLOADS["payment.failed"],
                      "emitted": True}


@pytest.mark.parametrize("event_type", NEWLY_SUBSCRIBABLE)
def test_an_endpoint_can_subscribe_to_every_emitted_type(api: TestClient, event_type: str) -> None:
    r = api.post("/webhook-endpoints", json={"url": "http://127.0.0.1:1/x",
                                             "event_types": [event_type]})
    assert r.status_code == 201, r.text
    assert r.json()["event_types"] == [event_type]
    assert api.get(f"/webhook-events?type={event_type}").status_code == 200


def _endpoint(api: TestClient, receiver, event_types: list[str]) -> dict:
    endpoint = ok(api.post("/webhook-endpoints", json={"url": receiver.url,
                                                      "event_types": event_types}), 201)
    receiver.secrets.append(endpoint["secret"])
    return endpoint


def _delivered(api: TestClient, endpoint: dict, event_type: str) -> list[dict]:
    listed = ok(api.get(f"/webhook-endpoints/{endpoint['id']}/messages"
                        f"?event_type={event_type}"))["data"]
    return [m for m in listed if m["status"] == "succeeded"]


def _subscribe(api: TestClient, start: str, amount: str, **billing) -> dict:
    ok(api.post("/clock/freeze", json={"at": f"{start}T00:00:00Z"}))
    return ok(api.post("/subscriptions", json={
        "customer_id": "wcqYrqfE", "currency": "USD", "auto_activate": True,
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed(amount, "advance")}],
        "contract": {"period_type": "monthly_rolling", "start_date": start},
        "billing": {"payment_terms": "net_30", **billing},
    }), 201)


def test_a_declined_payment_is_delivered_as_payment_failed(api: TestClient, receiver) -> None:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    only_failed = _endpoint(api, receiver, ["payment.failed"])
    everything = _endpoint(api, receiver, [])
    card(api, "wcqYrqfE", "decline_once")
    _subscribe(api, "2026-07-01", "80.00", auto_pay_invoices=True)
    advance(api, "2026-07-01T00:01:00Z")

    [message] = _delivered(api, only_failed, "payment.failed")
    assert [m["event_type"] for m in ok(api.get(
        f"/webhook-endpoints/{only_failed['id']}/messages"))["data"]] == ["payment.failed"]
    payment = message["payload"]["data"]
    assert (payment["status"], payment["amount"], payment["currency"]) == ("failed", "80.00", "USD")
    assert payment["failure_reason"].startswith("card_declined")
    assert len(_delivered(api, everything, "payment.failed")) == 1
    listed = ok(api.get("/webhook-events?type=payment.failed"))["data"]
    assert [(e["id"], e["data"]) for e in listed] == [(message["event_id"], payment)]
    assert all(r.verified for r in receiver.requests)


def test_an_overdue_invoice_is_delivered_as_invoice_overdue(api: TestClient, receiver) -> None:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    endpoint = _endpoint(api, receiver, ["invoice.overdue"])
    _subscribe(api, "2026-07-01", "80.00")
    [invoice] = invoices(api)
    assert invoice["due_date"] == "2026-07-31"
    advance(api, "2026-07-31T00:00:00Z")
    assert _delivered(api, endpoint, "invoice.overdue") == []
    advance(api, "2026-08-01T00:01:00Z")

    [message] = _delivered(api, endpoint, "invoice.overdue")
    data = message["payload"]["data"]
    assert (data["id"], data["status"], data["amount_due"]) == (invoice["id"], "overdue", "80.00")
    [listed] = ok(api.get("/webhook-events?type=invoice.overdue"))["data"]
    assert listed["id"] == message["event_id"] and listed["data"]["id"] == invoice["id"]


def test_a_depleted_grant_emits_both_names_once(kassa, api: TestClient, receiver) -> None:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    endpoint = _endpoint(api, receiver, ["credits.depleted"])
    ok(api.post("/credit-grants", json={"customer_id": "wcqYrqfE", "amount": "30.00",
                                        "currency": "USD", "reason": "Referral"}), 201)
    _subscribe(api, "2026-07-01", "100.00")
    advance(api, "2026-07-01T00:01:00Z")

    names = [t for t, _ in events(kassa) if "depleted" in t]
    assert names == ["account.credits.balance_depleted", "credits.depleted"]
    [old] = event_data(kassa, "account.credits.balance_depleted")
    [new] = event_data(kassa, "credits.depleted")
    assert new == old
    assert (new["customer_id"], new["currency"]) == ("wcqYrqfE", "USD")
    [message] = _delivered(api, endpoint, "credits.depleted")
    assert message["payload"]["data"] == new
    # Billing again spends nothing more: no second depletion.
    advance(api, "2026-08-01T00:01:00Z")
    assert [t for t, _ in events(kassa) if "depleted" in t] == names
