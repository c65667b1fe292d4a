"""``Price``: a validated, immutable price, parsed once (``price_from_dict``).

A price answers every billing question through the strategy registered for its type, so callers
never branch on type names.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import localcontext
from typing import Any

from kassa.domain.periods import Interval
from kassa.domain.pricing.charges import (
    PRECISION,
    Charge,
    PeriodInputs,
    Phase,
    PriceStrategy,
    strategy_for,
)


@dataclass(frozen=True)
class Price:
    """A validated price: common settings plus the model object of its type."""

    type: str
    billing_interval: str
    fee_type: str
    billing_direction: str
    billing_frequency: str
    metric_ids: tuple[str, ...]
    model: Any  # the *Model dataclass of the type (see PricingModel)

    @property
    def metered(self) -> bool:
        return self.fee_type == "metered"

    @property
    def recurring(self) -> bool:
        return self.billing_frequency == "recurring"

    @property
    def interval(self) -> Interval:
        return Interval(self.billing_interval)

    @property
    def strategy(self) -> PriceStrategy:
        return strategy_for(self.type)

    @property
    def measures_usage(self) -> bool:
        """Usage-based (measured over each period) rather than a fee prorated by billable days."""
        return self.strategy.measures_usage(self)

    def bills_in(self, phase: Phase | str) -> bool:
        """Whether, as a recurring price, it charges anything at that moment of its periods."""
        return self.strategy.bills_in(self, Phase(phase))

    def line_kind(self, phase: Phase | str) -> str:
        """The invoice line kind of its usage-based charge in ``phase`` (usage, prepaid, ...)."""
        return self.strategy.line_kind(Phase(phase))

    def charge(self, inputs: PeriodInputs, phase: Phase | str) -> Charge:
        """What it charges for one period in ``phase`` (full precision, not rounded)."""
        with localcontext(prec=PRECISION):
            return self.strategy.charge(self, inputs, Phase(phase))

    def quote(self, inputs: PeriodInputs) -> Charge:
        """Advance and arrears of one full period, combined."""
        return self.charge(inputs, Phase.ADVANCE) + self.charge(inputs, Phase.ARREARS)

    def one_off(self, inputs: PeriodInputs) -> Charge:
        """The single charge of a one-off price."""
        with localcontext(prec=PRECISION):
            return self.strategy.one_off(self, inputs)
