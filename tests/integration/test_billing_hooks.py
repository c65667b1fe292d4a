"""Subscriptions reach billing only through the hooks the context carries (registered in
bootstrap): each lifecycle moment calls its hook, and a context without hooks fails loudly."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from kassa.bootstrap import build_billing_hooks
from kassa.services.billing.lifecycle_billing import LifecycleBilling
from kassa.services.subscriptions import activate, cancel, pause, resume
from kassa.services.subscriptions.billing_hooks import BillingHooksMissing
from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok


class Recording:
    """BillingHooks that only note which moment was called, for which subscription."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def on_activated(self, uow, sub):
        self.calls.append(("activated", sub.id))
        return sub

    def on_version_takes_over(self, uow, sub, old_items, new_items, at, version, *,
                              immediate) -> None:
        self.calls.append(("version_takes_over", sub.id))

    def on_end(self, uow, sub):
        self.calls.append(("end", sub.id))
        return sub

    def on_pause(self, uow, sub, items, at) -> None:
        self.calls.append(("pause", sub.id))

    def on_resume(self, uow, sub, items, at) -> None:
        self.calls.append(("resume", sub.id))


@pytest.fixture
def draft(api: TestClient) -> dict:
    sc.build(api)
    ok(api.post("/clock/freeze", json={"at": "2026-07-01T00:00:00Z"}))
    return ok(api.post("/subscriptions", json={
        "customer_id": "wcqYrqfE", "currency": "USD",
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-07-01"},
        "items": [{"product_id": sc.PLATFORM, "price": sc.fixed("500.00", "advance")}],
    }), 201)


def test_bootstrap_registers_billing_on_every_context(kassa) -> None:
    assert isinstance(build_billing_hooks(), LifecycleBilling)
    assert isinstance(kassa.ctx("sandbox").billing, LifecycleBilling)


def test_each_lifecycle_moment_calls_its_hook_through_the_context(kassa, draft: dict) -> None:
    hooks = Recording()
    ctx = replace(kassa.ctx("sandbox"), billing=hooks)
    activate(ctx, draft["id"])
    pause(ctx, draft["id"], None)
    resume(ctx, draft["id"])
    cancel(ctx, draft["id"], {"timing": "immediate"})
    assert hooks.calls == [("activated", draft["id"]), ("pause", draft["id"]),
                           ("resume", draft["id"]), ("end", draft["id"])]


def test_a_context_without_billing_hooks_refuses_a_lifecycle_change(kassa, api: TestClient,
                                                                     draft: dict) -> None:
    ctx = replace(kassa.ctx("sandbox"), billing=None)
    with pytest.raises(BillingHooksMissing):
        activate(ctx, draft["id"])
    assert ok(api.get(f"/subscriptions/{draft['id']}"))["status"] == "draft"  # rolled back
