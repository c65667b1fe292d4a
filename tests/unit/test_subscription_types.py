"""Typed subscriptions and versions, and the pure plan → price of a billing run, without a
database."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace
from datetime import UTC, date, datetime

import pytest

from kassa.domain.billing.drafts import Customer, Measured, plan_due, price, spend_span
from kassa.domain.subscription import Subscription, Version, current_version, pending_versions

from .helpers import D, fixed_fee, metered
from .test_billing_boundary import item

JAN, FEB, MAR, APR = (datetime(2026, month, 1, tzinfo=UTC) for month in (1, 2, 3, 4))
SEAT = fixed_fee("unit", {"price_per_unit": "100.00"})
API_CALLS = metered("unit", {"price_per_unit": "0.10"})


def sub_row(**values) -> dict:
    return {
        "environment": "sandbox", "id": "sub_1", "customer_id": "cus_1", "plan_id": None,
        "name": None, "currency": "USD", "status": "active",
        "contract": {"period_type": "monthly_rolling", "start_date": "2026-01-01"},
        "renewal": {"auto_renew": True}, "billing": {"payment_terms": "net_30"},
        "discount": None, "minimum_spend": None, "maximum_spend": None, "price_escalation": None,
        "metadata": {}, "current_version_id": "ver_1", "term_start": date(2026, 1, 1),
        "term_end": date(2026, 2, 1), "billing_anchor": date(2026, 1, 1), "cycle_start": None,
        "cancellation": None, "cancel_at": None, "pause": None, "pauses": [],
        "activated_at": JAN, "canceled_at": None, "next_action_at": None, "billed_through": None,
        "next_billing_at": JAN, "ending_soon_for": None, "ending_soon_sent": None,
        "created_at": JAN, "updated_at": JAN, "seq": 7, **values,
    }


def version_row(number: int, effective_at: datetime | None, items=(), status="published") -> dict:
    return {
        "environment": "sandbox", "id": f"ver_{number}", "subscription_id": "sub_1",
        "number": number, "status": status, "effective_at": effective_at, "effective": None,
        "description": None, "plan_id": None, "items": list(items), "proration": "full",
        "source_version_id": None, "published_at": effective_at, "created_at": JAN,
        "updated_at": JAN, "seq": number,
    }


def test_a_row_is_parsed_once_into_typed_read_only_fields():
    sub = Subscription.of(sub_row(
        pauses=[{"start": "2026-01-10T00:00:00Z", "end": None}],
        billing={"auto_pay_invoices": True, "auto_issue_invoices": False},
    ))
    assert sub.contract_start == date(2026, 1, 1)
    assert sub.pause_spans == ((datetime(2026, 1, 10, tzinfo=UTC), None),)
    assert (sub.payment_terms, sub.auto_pay, sub.auto_issue) == ("due_on_receipt", True, False)
    assert sub.ending_soon_sent == ()
    with pytest.raises(FrozenInstanceError):
        sub.status = "canceled"  # type: ignore[misc]


def test_writing_values_gives_a_new_subscription():
    sub = Subscription.of(sub_row())
    later = sub.with_values({"status": "paused", "pauses": [{"start": "2026-01-10T00:00:00Z"}]})
    assert (sub.status, later.status) == ("active", "paused")
    assert later.pause_spans == ((datetime(2026, 1, 10, tzinfo=UTC), None),)
    assert later.as_row()["pauses"] == [{"start": "2026-01-10T00:00:00Z"}]


def test_current_and_pending_versions():
    versions = [Version.of(version_row(1, JAN)), Version.of(version_row(2, MAR)),
                Version.of(version_row(3, MAR)), Version.of(version_row(4, None, status="draft"))]
    assert current_version(versions, FEB).id == "ver_1"
    assert current_version(versions, MAR).id == "ver_3"  # the later number wins a tie
    assert current_version(versions[1:3], FEB).id == "ver_2"  # none yet: the first to apply
    assert [v.id for v in pending_versions(versions, versions[0], FEB)] == ["ver_2", "ver_3"]
    assert current_version(versions[3:], FEB) is None


def test_plan_due_walks_every_boundary_up_to_now_and_prices_each():
    sub = Subscription.of(sub_row(billing_anchor=date(2026, 1, 1)))
    versions = [Version.of(version_row(1, JAN, [item(SEAT), item(API_CALLS, "prod_api")]))]
    plan = plan_due(sub, versions, {"mtr_api": "api_call"}, MAR)
    assert [b.at for b in plan.boundaries] == [JAN, FEB, MAR]
    assert plan.following == APR
    feb = plan.boundaries[1]
    usage = {w: D(10) for w in feb.windows}
    lines = price(feb, Measured(usage), Customer("cus_1", D("20"), False))
    assert [(line.kind, line.amount) for line in lines] == [
        ("usage", D("1.00")), ("fixed", D("100.00")), ("tax", D("20.20"))]
    assert feb.kind == "subscription"


def test_spend_limits_count_what_was_invoiced_before():
    minimum = {"amount": "500", "period": "quarterly"}
    sub = Subscription.of(sub_row(minimum_spend=minimum))
    plan = plan_due(sub, [Version.of(version_row(1, JAN, [item(SEAT)]))], {}, APR)
    apr = plan.boundaries[-1]
    assert spend_span(sub, apr.terms, apr.at) == (date(2026, 1, 1), date(2026, 4, 1))
    assert spend_span(sub, apr.terms, FEB) is None
    lines = price(apr, Measured({}, prior_spend=D("300.00")), Customer("cus_1", None, False))
    # April's advance fee covers April, outside the quarter: only the 300.00 before counts.
    assert [(line.kind, line.amount) for line in lines] == [
        ("fixed", D("100.00")), ("minimum_spend", D("200.00"))]


def test_an_end_makes_the_final_boundary():
    sub = Subscription.of(sub_row(canceled_at=datetime(2026, 1, 20, tzinfo=UTC),
                                  next_billing_at=datetime(2026, 1, 20, tzinfo=UTC)))
    plan = plan_due(sub, [Version.of(version_row(1, JAN, [item(SEAT)]))], {}, MAR)
    assert [b.kind for b in plan.boundaries] == ["final"]
    assert plan.following is None
    assert replace(sub, canceled_at=None).canceled_at is None
