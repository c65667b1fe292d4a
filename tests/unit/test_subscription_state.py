"""The subscription state machine's pure parts, without a database: what a Subscription reads
of its documents, when its next transition is due, how it is shown, the billing period a metric
is measured over, and a billing run's new instants."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kassa.domain.periods import Period
from kassa.domain.subscription import Subscription, Version
from kassa.services.billing.run import Billed, Written
from kassa.services.subscriptions.metric_users import billing_period
from kassa.services.subscriptions.transitions import later_versions, next_action_at, next_cycle
from kassa.services.subscriptions.views import subscription_view, version_view

from .test_billing_boundary import item
from .test_subscription_types import API_CALLS, FEB, JAN, MAR, SEAT, sub_row, version_row

FIXED = {"period_type": "fixed", "duration_months": 12, "start_date": "2026-01-01"}


def at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def test_dates_and_flags_are_read_from_the_documents():
    sub = Subscription.of(sub_row(
        status="paused", contract=FIXED, renewal={"auto_renew": False},
        billing={"first_billing_date": "2026-01-15"},
        pause={"paused_at": "2026-01-10T00:00:00Z", "resume_at": "2026-03-01"},
    ))
    assert (sub.contract_start, sub.first_billing_date) == (date(2026, 1, 1), date(2026, 1, 15))
    assert sub.resume_at == at(3, 1)
    assert (sub.period_type, sub.renews) == ("fixed", False)
    # Nothing derived survives a write of what it was derived from.
    later = sub.with_values({"contract": {"period_type": "monthly_rolling",
                                          "start_date": "2026-02-01"},
                             "pause": {"paused_at": "2026-01-10T00:00:00Z", "resume_at": None},
                             "billing": {}})
    assert (later.contract_start, later.first_billing_date) == (date(2026, 2, 1), None)
    assert (later.resume_at, later.period_type, later.renews) == (None, "monthly_rolling", True)
    assert Subscription.of(sub_row()).resume_at is None  # not paused at all


def test_the_end_to_announce_is_the_commitment_end_until_it_was_announced():
    fixed = Subscription.of(sub_row(contract=FIXED, term_end=date(2027, 1, 1)))
    assert fixed.commitment_end == fixed.end_to_announce == at(1, 1, 2027)
    announced = fixed.with_values({"ending_soon_sent": ["2027-01-01T00:00:00Z"]})
    assert (announced.commitment_end, announced.end_to_announce) == (at(1, 1, 2027), None)
    canceling = announced.with_values({"cancel_at": at(6, 15)})
    assert canceling.end_to_announce == at(6, 15)  # the earlier end, not announced yet
    rolling = Subscription.of(sub_row())
    assert (rolling.commitment_end, rolling.end_to_announce) == (None, None)
    assert canceling.with_values({"status": "canceled"}).end_to_announce is None


def versions(*more: Version) -> list[Version]:
    return [Version.of(version_row(1, JAN, [item(SEAT)])), *more]


def test_the_next_transition_is_the_earliest_one_due():
    sub = Subscription.of(sub_row(cycle_start=date(2026, 1, 1), term_end=date(2026, 2, 1)))
    assert next_cycle(sub, versions()) == date(2026, 2, 1)
    assert next_action_at(sub, versions()) == FEB  # the term end and the next cycle
    taking_over = Version.of(version_row(2, at(1, 20), [item(SEAT)]))
    assert [v.id for v in later_versions(sub, versions(taking_over), MAR)] == ["ver_2"]
    assert next_action_at(sub, versions(taking_over)) == at(1, 20)
    paused = sub.with_values({"status": "paused", "pause": {"resume_at": "2026-01-10"}})
    assert next_action_at(paused, versions(taking_over)) == at(1, 10)
    canceling = sub.with_values({"cancel_at": at(1, 5)})
    assert next_action_at(canceling, versions()) == at(1, 5)
    assert next_action_at(sub.with_values({"status": "canceled"}), versions()) is None


def test_the_first_cycle_starts_with_the_contract():
    sub = Subscription.of(sub_row(billing_anchor=date(2026, 1, 15)))
    assert next_cycle(sub, versions()) == date(2026, 1, 1)
    assert next_cycle(sub.with_values({"cycle_start": date(2026, 1, 1)}), versions()) == \
        date(2026, 1, 15)
    assert next_cycle(sub.with_values({"billing_anchor": None}), versions()) is None


def test_a_subscription_is_shown_with_its_term_period_and_pending_changes():
    pending = Version.of({**version_row(2, MAR, [item(SEAT)]), "description": "More seats"})
    sub = Subscription.of(sub_row(
        name="Acme", contract=FIXED, term_end=date(2027, 1, 1), discount={"percent": "10"},
        metadata={"crm": "42"}, cancellation=None, updated_at=at(1, 2, 2026),
    ))
    view = subscription_view(sub, versions(pending), at(2, 10))
    assert view == {
        "id": "sub_1", "customer_id": "cus_1", "plan_id": None, "name": "Acme",
        "currency": "USD", "price_currency": "USD", "status": "active", "current_version_id": "ver_1",
        "pending_changes": [{"version_id": "ver_2", "effective_at": "2026-03-01T00:00:00Z",
                             "description": "More seats"}],
        "contract": FIXED, "renewal": {"auto_renew": True}, "billing": {"payment_terms": "net_30"},
        "current_term": {"start": "2026-01-01", "end": "2027-01-01"},
        "current_period": {"start": "2026-02-01", "end": "2026-03-01"},
        "discount": {"percent": "10"}, "minimum_spend": None, "maximum_spend": None,
        "price_escalation": None, "cancellation": None, "pause": None,
        "metadata": {"crm": "42"}, "activated_at": "2026-01-01T00:00:00Z", "canceled_at": None,
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z",
    }
    assert view["contract"] is not sub.contract  # a copy: the payload never shares a document
    before_anchor = sub.with_values({"billing_anchor": date(2026, 2, 15)})
    assert subscription_view(before_anchor, versions(), at(2, 10))["current_period"] == {
        "start": "2026-01-01", "end": "2026-02-15"}
    not_started = sub.with_values({"contract": {**FIXED, "start_date": "2026-03-01"},
                                   "billing_anchor": date(2026, 3, 1)})
    assert subscription_view(not_started, versions(), at(2, 10))["current_period"] is None
    draft = sub.with_values({"status": "draft", "term_start": None, "billing_anchor": None})
    shown = subscription_view(draft, versions(pending), at(2, 10))
    assert (shown["pending_changes"], shown["current_term"], shown["current_period"]) == \
        ([], None, None)


def test_a_version_is_shown_as_stored():
    version = Version.of({**version_row(3, MAR, [item(SEAT)]), "effective": "2026-03-01",
                          "proration": "none", "source_version_id": "ver_1"})
    assert version_view(version) == {
        "id": "ver_3", "subscription_id": "sub_1", "number": 3, "status": "published",
        "effective": "2026-03-01", "effective_at": "2026-03-01T00:00:00Z", "description": None,
        "plan_id": None, "proration": "none", "source_version_id": "ver_1",
        "items": [item(SEAT)], "published_at": "2026-03-01T00:00:00Z",
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    }


def test_usage_is_measured_over_the_period_of_the_item_on_the_metric():
    sub = Subscription.of(sub_row(billing_anchor=date(2026, 1, 15)))
    metered = [Version.of(version_row(1, JAN, [item(SEAT), item(API_CALLS, "prod_api")]))]
    assert billing_period(sub, metered, "mtr_api", at(1, 10)) == \
        Period(date(2026, 1, 1), date(2026, 1, 15))  # the stub before the anchor
    assert billing_period(sub, metered, "mtr_api", at(2, 20)) == \
        Period(date(2026, 2, 15), date(2026, 3, 15))
    assert billing_period(sub, metered, "mtr_other", at(2, 20)) is None
    assert billing_period(sub, versions(), "mtr_api", at(2, 20)) is None
    unanchored = sub.with_values({"billing_anchor": None})
    assert billing_period(unanchored, metered, "mtr_api", at(2, 20)) is None


def test_a_billing_run_gives_each_billed_subscription_its_new_instants():
    sub = Subscription.of(sub_row())
    written = Written([], {"sub_1": Billed(FEB, MAR)})
    billed = written.billed(sub)
    assert (billed.billed_through, billed.next_billing_at) == (FEB, MAR)
    assert (sub.billed_through, sub.next_billing_at) == (None, JAN)  # unchanged
    other = Subscription.of(sub_row(id="sub_2"))
    assert written.billed(other) is other
    assert written.events == []
