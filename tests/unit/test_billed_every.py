"""billed_every: the overrides that bill a plan's recurring items at another interval, which the
dashboard's Add Subscription sends as items (pattern 3) when the billing frequency is not the
plan's."""

from __future__ import annotations

import copy

from kassa.domain.items import billed_every, merge_overrides
from tests.scenarios.seed_catalog import GRADUATED_API, fixed, per_seat

ONE_OFF = {**fixed("250.00"), "billing_frequency": "one-off"}
PLAN = [
    {"product_id": "prod_platform", "price": fixed("500.00", "advance")},
    {"product_id": "prod_usage", "price": GRADUATED_API},
    {"product_id": "prod_setup", "price": ONE_OFF},
    {"bundle_id": "bnd_team", "items": [
        {"product_id": "prod_seats", "price": per_seat("20.00"), "quantity": 10},
        {"product_id": "prod_onboarding", "price": ONE_OFF},
    ]},
]


def test_every_recurring_price_moves_and_nothing_else() -> None:
    before = copy.deepcopy(PLAN)
    overrides = billed_every(PLAN, "quarterly")
    assert PLAN == before  # the plan's items are left as they were
    assert overrides == [
        {"product_id": "prod_platform",
         "price": {**fixed("500.00", "advance"), "billing_interval": "quarterly"}},
        {"product_id": "prod_usage", "price": {**GRADUATED_API, "billing_interval": "quarterly"}},
        # A bundle is overridden whole: its one-off child goes with it, unchanged.
        {"bundle_id": "bnd_team", "items": [
            {"product_id": "prod_seats",
             "price": {**per_seat("20.00"), "billing_interval": "quarterly"}, "quantity": 10},
            {"product_id": "prod_onboarding", "price": ONE_OFF},
        ]},
    ]
    merged = merge_overrides(PLAN, overrides)
    assert [item.get("product_id") or item["bundle_id"] for item in merged] == [
        "prod_platform", "prod_usage", "prod_setup", "bnd_team"]
    assert merged[2] == PLAN[2]


def test_the_plans_own_interval_needs_no_override() -> None:
    assert billed_every(PLAN, "monthly") == []
    assert billed_every([PLAN[2]], "yearly") == []
