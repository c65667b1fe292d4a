from __future__ import annotations

import pytest

from kassa.domain.errors import InvalidRequest
from kassa.domain.modifiers import (
    discount_amount,
    escalate_price,
    escalation_factor,
    maximum_spend_cap,
    minimum_spend_topup,
)
from kassa.domain.pricing import PeriodInputs, Phase, charge, price_from_dict

from .helpers import D, fixed_fee, metered

TEN_PERCENT_FOREVER = {"amount": "10", "type": "percentage", "duration_type": "forever"}
FIFTY_OFF_FOR_3_MONTHS = {
    "amount": "50.00",
    "type": "fixed_amount",
    "duration_type": "limited",
    "duration_unit": "months",
    "duration_value": 3,
}


def test_percentage_discount():
    assert discount_amount(TEN_PERCENT_FOREVER, D("1234.50"), 0) == D("123.450")
    assert discount_amount(TEN_PERCENT_FOREVER, D("1234.50"), 240) == D("123.450")


def test_limited_fixed_discount_expires():
    assert [discount_amount(FIFTY_OFF_FOR_3_MONTHS, D("200.00"), m) for m in range(5)] == [
        D("50.00"),
        D("50.00"),
        D("50.00"),
        D(0),
        D(0),
    ]


def test_fixed_discount_never_exceeds_the_subtotal():
    assert discount_amount(FIFTY_OFF_FOR_3_MONTHS, D("30.00"), 0) == D("30.00")
    assert discount_amount(FIFTY_OFF_FOR_3_MONTHS, D("-5.00"), 0) == 0
    assert discount_amount(TEN_PERCENT_FOREVER, D(0), 0) == 0


def test_no_discount():
    assert discount_amount(None, D("100"), 0) == 0
    assert discount_amount({}, D("100"), 0) == 0


@pytest.mark.parametrize(
    ("discount", "field"),
    [
        ({"amount": "10", "type": "bogus"}, "discount.type"),
        ({"amount": "110", "type": "percentage"}, "discount.amount"),
        ({"type": "percentage"}, "discount.amount"),
        ({"amount": 0.1, "type": "percentage"}, "discount.amount"),
        ({"amount": "-1", "type": "fixed_amount"}, "discount.amount"),
        (
            {"amount": "1", "type": "fixed_amount", "duration_type": "limited"},
            "discount.duration_value",
        ),
        (
            {
                "amount": "1",
                "type": "fixed_amount",
                "duration_type": "limited",
                "duration_value": 2,
                "duration_unit": "weeks",
            },
            "discount.duration_unit",
        ),
        (
            {"amount": "1", "type": "fixed_amount", "duration_type": "sometimes"},
            "discount.duration_type",
        ),
    ],
)
def test_invalid_discounts_name_the_field(discount, field):
    with pytest.raises(InvalidRequest) as caught:
        discount_amount(discount, D(100), 0)
    assert caught.value.field == field


def test_minimum_spend_topup():
    assert minimum_spend_topup(D("420.00"), D("500.00")) == D("80.00")
    assert minimum_spend_topup(D("620.00"), "500.00") == 0
    assert minimum_spend_topup(D("620.00"), None) == 0


def test_maximum_spend_cap():
    assert maximum_spend_cap(D("1200.00"), D("1000.00")) == D("-200.00")
    assert maximum_spend_cap(D("800.00"), "1000.00") == 0
    assert maximum_spend_cap(D("800.00"), None) == 0


ESCALATION = {
    "enabled": True,
    "type": "percentage",
    "percentage": "5",
    "interval_months": 12,
    "escalate_metered_unit_rates": False,
}


@pytest.mark.parametrize(
    ("months", "factor"), [(0, "1"), (11, "1"), (12, "1.05"), (35, "1.1025"), (36, "1.157625")]
)
def test_escalation_factor_compounds_per_interval(months, factor):
    assert escalation_factor(ESCALATION, months) == D(factor)


def test_disabled_escalation_is_one():
    assert escalation_factor({**ESCALATION, "enabled": False}, 48) == 1
    assert escalation_factor(None, 48) == 1
    with pytest.raises(InvalidRequest):
        escalation_factor({**ESCALATION, "interval_months": 0}, 12)


def test_escalate_fixed_fee_prices_but_not_percentages():
    tiers = [
        {"min_units": 1, "max_units": 10, "price_per_unit": "10.00", "fixed_fee": "100.00"},
        {"min_units": 11, "max_units": None, "price_per_unit": "8.00", "fixed_fee": None},
    ]
    seats = price_from_dict(fixed_fee("graduated_tiered", {"tiers": tiers}))
    raised = escalate_price(seats, D("1.05"), metered=False)
    assert [t.price_per_unit for t in raised.model.tiers] == [D("10.5000"), D("8.4000")]
    assert [t.fixed_fee for t in raised.model.tiers] == [D("105.0000"), None]
    assert charge(raised, PeriodInputs(quantity=D(12)), Phase.ADVANCE).amount == D(
        "226.8"
    )  # 1.05 x 216

    card = price_from_dict(
        metered("volume_percentage", {"percentage": "2.9", "price_per_unit": "0.30"})
    )
    assert escalate_price(card, D("1.1"), metered=False) is card
    raised_card = escalate_price(card, D("1.1"), metered=True).model
    assert (raised_card.percentage, raised_card.price_per_unit) == (D("2.9"), D("0.330"))


def test_escalate_metered_only_on_request():
    usage = price_from_dict(metered("unit", {"price_per_unit": "0.05"}))
    assert escalate_price(usage, D("1.05"), metered=False) == usage
    assert escalate_price(usage, D("1.05"), metered=True).model.price_per_unit == D("0.0525")
    flat = price_from_dict(fixed_fee("fixed", {"price_per_unit": "500.00", "units": 2}))
    assert escalate_price(flat, D("1.05"), metered=False).model.total == D("1050.0000")
