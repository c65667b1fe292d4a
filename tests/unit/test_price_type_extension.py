"""Adding a price type is one class: a type defined here, in the test only, is parsed, quoted and
billed through the domain (its own advance/arrears split included) without touching any module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from kassa.domain.money import decimal_str
from kassa.domain.pricing import (
    STRATEGIES,
    Charge,
    ChargeLine,
    PeriodInputs,
    Phase,
    PriceStrategy,
    price_from_dict,
    price_problems,
    price_to_dict,
    register,
)
from kassa.domain.pricing.fields import Reader

from .helpers import D, metered
from .test_billing_boundary import FEB, JAN, bill, item, summary, terms

CALLS: list[Phase] = []  # every charge the strategy computes


@dataclass(frozen=True)
class BasePlusUsageModel:
    base_fee: Decimal
    price_per_unit: Decimal

    @classmethod
    def read(cls, r: Reader) -> BasePlusUsageModel:
        return cls(r.decimal("base_fee"), r.decimal("price_per_unit"))

    def to_dict(self) -> dict[str, Any]:
        return {"base_fee": decimal_str(self.base_fee),
                "price_per_unit": decimal_str(self.price_per_unit)}

    def scaled(self, factor: Decimal) -> BasePlusUsageModel:
        return BasePlusUsageModel(self.base_fee * factor, self.price_per_unit * factor)


class BasePlusUsage(PriceStrategy):
    """A base fee at each period start, the period's usage at its end."""

    model = BasePlusUsageModel
    fee_types = ("metered",)
    metered_advance = True

    def bills_in(self, price, phase) -> bool:
        return True

    def line_kind(self, phase) -> str:
        return "base" if phase is Phase.ADVANCE else "usage"

    def charge(self, price, inputs: PeriodInputs, phase: Phase) -> Charge:
        CALLS.append(phase)
        m = price.model
        if phase is Phase.ADVANCE:
            return Charge.of([ChargeLine("base", "Base fee", None, None, m.base_fee)])
        used = inputs.usage.get(price.metric_ids[0], D(0))
        return Charge.of([ChargeLine("unit", "Per unit", used, m.price_per_unit,
                                     used * m.price_per_unit)])


@pytest.fixture
def base_plus_usage() -> Iterator[dict]:
    register("base_plus_usage")(BasePlusUsage)
    CALLS.clear()
    try:
        yield metered("base_plus_usage", {"base_fee": "20.00", "price_per_unit": "0.50"})
    finally:
        del STRATEGIES["base_plus_usage"]


def test_a_new_type_reads_writes_and_validates_through_the_registry(base_plus_usage):
    price = price_from_dict(base_plus_usage)
    assert price.model == BasePlusUsageModel(D("20.00"), D("0.50"))
    assert price_from_dict(price_to_dict(price)) == price
    broken = {**base_plus_usage, "base_plus_usage_pricing_model": {"base_fee": "-1"}}
    assert price_problems(broken) == [
        ("base_plus_usage_pricing_model.base_fee", "must not be negative"),
        ("base_plus_usage_pricing_model.price_per_unit", "is required"),
    ]


def test_a_new_type_quotes_both_phases(base_plus_usage):
    price = price_from_dict(base_plus_usage)
    quoted = price.quote(PeriodInputs(usage={"mtr_api": D(10)}))
    assert quoted.amount == D("25.00")
    assert [line.kind for line in quoted.lines] == ["base", "unit"]


def test_a_new_type_is_billed_by_the_boundary_with_its_own_split(base_plus_usage):
    t = terms(item(base_plus_usage))
    assert summary(bill(t, JAN)) == [("base", "2026-01-01", D("20.00"))]
    assert summary(bill(t, FEB, {"mtr_api": D(7)})) == [
        ("usage", "2026-01-01", D("3.50")),
        ("base", "2026-02-01", D("20.00")),
    ]


def test_the_type_is_gone_once_unregistered(base_plus_usage):
    assert "base_plus_usage" in STRATEGIES
    del STRATEGIES["base_plus_usage"]
    assert price_problems(base_plus_usage)[0][0] == "type"
    register("base_plus_usage")(BasePlusUsage)  # for the fixture to remove


class CountedFee(PriceStrategy):
    """A flat fee in its billing direction's phase, counting its charges."""

    model = BasePlusUsageModel
    fee_types = ("fixed",)

    def charge(self, price, inputs: PeriodInputs, phase: Phase) -> Charge:
        CALLS.append(phase)
        if not self.bills_in(price, phase):
            return Charge.none()
        return Charge.of([ChargeLine("fixed", "Fee", None, None, price.model.base_fee)])


def test_a_fee_is_charged_once_per_item_version_and_boundary():
    """A pause splits the period into two billed pieces of the same item: one charge."""
    register("counted_fee")(CountedFee)
    CALLS.clear()
    try:
        price = {"type": "counted_fee", "fee_type": "fixed", "billing_direction": "arrears",
                 "counted_fee_pricing_model": {"base_fee": "31.00", "price_per_unit": "0"}}
        pause = (datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 1, 20, tzinfo=UTC))
        (line,) = bill(terms(item(price), pauses=[pause]), FEB)
        assert (line.kind, line.amount) == ("fixed", D("21.00"))  # 21 active days at 1.00
        assert [p["days"] for p in line.details["prorated"]] == [9, 12]
        assert CALLS == [Phase.ARREARS]
    finally:
        del STRATEGIES["counted_fee"]
