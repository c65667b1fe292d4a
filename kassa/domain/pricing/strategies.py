"""One strategy per price type (api-notes section 3).

Every non-prepaid, non-expression price charges in its billing direction's phase and nothing in
the other; metered prices always charge in arrears (``PriceStrategy.bills_in``). Prepaid and
expression prices charge in both phases. Missing usage for a metric counts as 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from kassa.domain.expressions import compile_expression
from kassa.domain.money import ZERO
from kassa.domain.periods import Interval
from kassa.domain.pricing.charges import (
    Charge,
    ChargeLine,
    PeriodInputs,
    Phase,
    PriceStrategy,
    register,
)
from kassa.domain.pricing.fields import Problem
from kassa.domain.pricing.model import (
    ExpressionModel,
    FixedModel,
    GraduatedPercentageModel,
    GraduatedTieredModel,
    PrepaidFixedTieredModel,
    PrepaidTieredModel,
    TieredModel,
    TieredPercentageModel,
    UnitModel,
    VolumePercentageModel,
)
from kassa.domain.pricing.price import Price
from kassa.domain.pricing.tiers import Tier, band_units, check_quantity, volume_tier_index


def period_quantity(price: Price, inputs: PeriodInputs) -> Decimal:
    """The metric's aggregate for metered prices, the item quantity for fixed-fee ones."""
    if price.metered:
        return inputs.usage.get(price.metric_ids[0], ZERO)
    return inputs.quantity


# --- tier lines --------------------------------------------------------------------------------


def _tier_line(index: int, tier: Tier, units: Decimal, percentage: bool) -> ChargeLine:
    description = f"Tier {index + 1} ({tier.label})"
    if percentage:
        rate = tier.percentage
        return ChargeLine("percentage", description, units, rate, units * rate / 100)
    rate = tier.price_per_unit
    return ChargeLine("tier", description, units, rate, units * rate)


def _fee_lines(index: int, tier: Tier) -> list[ChargeLine]:
    if not tier.fixed_fee:
        return []
    return [ChargeLine("fixed_fee", f"Tier {index + 1} flat fee", None, None, tier.fixed_fee)]


def graduated_lines(
    tiers: Sequence[Tier], quantity: Decimal, *, percentage: bool = False
) -> list[ChargeLine]:
    """Each band at its tier's rate, plus the fixed fee of every tier whose band holds units."""
    lines: list[ChargeLine] = []
    for index, (tier, units) in enumerate(zip(tiers, band_units(tiers, quantity), strict=True)):
        if units > 0:
            lines.append(_tier_line(index, tier, units, percentage))
            lines.extend(_fee_lines(index, tier))
    return lines or [_tier_line(0, tiers[0], ZERO, percentage)]


def volume_lines(
    tiers: Sequence[Tier], quantity: Decimal, *, percentage: bool = False
) -> list[ChargeLine]:
    """All units at the rate of the one tier the quantity falls in, plus that tier's fixed fee."""
    index = volume_tier_index(tiers, quantity)
    return [_tier_line(index, tiers[index], quantity, percentage), *_fee_lines(index, tiers[index])]


def graduated_amount(tiers: Sequence[Tier], quantity: Decimal) -> Decimal:
    return Charge.of(graduated_lines(tiers, quantity)).amount


# --- strategies --------------------------------------------------------------------------------


@register("unit")
class UnitStrategy(PriceStrategy):
    model = UnitModel

    def charge(self, price: Price, inputs: PeriodInputs, phase: Phase) -> Charge:
        if not self.bills_in(price, phase):
            return Charge.none()
        quantity, rate = period_quantity(price, inputs), price.model.price_per_unit
        return Charge.of([ChargeLine("unit", "Per unit", quantity, rate, quantity * rate)])


@register("fixed")
class FixedStrategy(PriceStrategy):
    """price_per_unit x the model's units; the item quantity is not used."""

    model = FixedModel
    fee_types = ("fixed",)

    def charge(self, price: Price, inputs: PeriodInputs, phase: Phase) -> Charge:
        if not self.bills_in(price, phase):
            return Charge.none()
        m = price.model
        line = ChargeLine("fixed", "Fixed price", Decimal(m.units), m.price_per_unit, m.total)
        return Charge.of([line])


class _TierStrategy(PriceStrategy):
    """Tiered types differ only in graduated vs volume and in unit vs percentage rates."""

    graduated = False
    percentage = False

    def quantity(self, price: Price, inputs: PeriodInputs) -> Decimal:
        return period_quantity(price, inputs)

    def charge(self, price: Price, inputs: PeriodInputs, phase: Phase) -> Charge:
        if not self.bills_in(price, phase):
            return Charge.none()
        lines = graduated_lines if self.graduated else volume_lines
        quantity = self.quantity(price, inputs)
        return Charge.of(lines(price.model.tiers, quantity, percentage=self.percentage))


@register("tiered")
class TieredStrategy(_TierStrategy):
    model = TieredModel


@register("graduated_tiered")
class GraduatedTieredStrategy(_TierStrategy):
    model = GraduatedTieredModel
    graduated = True

    def quantity(self, price: Price, inputs: PeriodInputs) -> Decimal:
        units = price.model.units
        if not price.metered and units is not None:
            return Decimal(units)
        return period_quantity(price, inputs)

    def problems(self, price: Price) -> list[Problem]:
        found = super().problems(price)
        if price.metered and price.model.units is not None:
            found.append(
                ("graduated_tiered_pricing_model.units", "only applies to fixed-fee prices")
            )
        return found


@register("tiered_percentage")
class TieredPercentageStrategy(_TierStrategy):
    model = TieredPercentageModel
    percentage = True


@register("graduated_percentage")
class GraduatedPercentageStrategy(_TierStrategy):
    model = GraduatedPercentageModel
    graduated = True
    percentage = True


@register("volume_percentage")
class VolumePercentageStrategy(PriceStrategy):
    """usage[metric 0] x percentage / 100 + usage[metric 1] x price_per_unit + fixed_fee."""

    model = VolumePercentageModel
    fee_types = ("metered",)
    metered_metrics = (1, 2)

    def charge(self, price: Price, inputs: PeriodInputs, phase: Phase) -> Charge:
        if not self.bills_in(price, phase):
            return Charge.none()
        m, metrics = price.model, price.metric_ids
        volume = inputs.usage.get(metrics[0], ZERO)
        description = f"{m.percentage}% of volume"
        lines = [
            ChargeLine("percentage", description, volume, m.percentage, volume * m.percentage / 100)
        ]
        if m.price_per_unit is not None:
            count = inputs.usage.get(metrics[1], ZERO) if len(metrics) > 1 else ZERO
            fee = ChargeLine(
                "transaction_fee",
                "Per transaction",
                count,
                m.price_per_unit,
                count * m.price_per_unit,
            )
            lines.append(fee)
        if m.fixed_fee:
            lines.append(ChargeLine("fixed_fee", "Fixed fee", None, None, m.fixed_fee))
        return Charge.of(lines)


Prepaid = PrepaidTieredModel | PrepaidFixedTieredModel


def _prepaid_line(model: Prepaid) -> ChargeLine:
    units = Decimal(model.prepaid_units)
    amount = graduated_amount(model.tiers, units)
    return ChargeLine("prepaid", f"{model.prepaid_units} prepaid units", units, None, amount)


def _overage_line(model: Prepaid, before: Decimal, after: Decimal) -> ChargeLine:
    """The units between two cumulative totals (both >= the prepaid units) at graduated prices."""
    amount = graduated_amount(model.tiers, after) - graduated_amount(model.tiers, before)
    description = f"Usage beyond {model.prepaid_units} prepaid units"
    return ChargeLine("overage", description, after - before, None, amount)


class _PrepaidStrategy(PriceStrategy):
    """A prepaid block billed in advance ("prepaid" line), usage beyond it in arrears ("overage")."""

    fee_types = ("metered",)
    metered_advance = True

    def bills_in(self, price: Price, phase: Phase) -> bool:
        return True

    def line_kind(self, phase: Phase) -> str:
        return "prepaid" if phase is Phase.ADVANCE else "overage"


@register("prepaid_tiered")
class PrepaidTieredStrategy(_PrepaidStrategy):
    """Advance: price(prepaid units). Arrears: price(usage) - price(prepaid) above the block."""

    model = PrepaidTieredModel

    def charge(self, price: Price, inputs: PeriodInputs, phase: Phase) -> Charge:
        if phase is Phase.ADVANCE:
            return Charge.of([_prepaid_line(price.model)])
        prepaid, used = Decimal(price.model.prepaid_units), period_quantity(price, inputs)
        check_quantity(used)
        return Charge.of([_overage_line(price.model, prepaid, max(used, prepaid))])


@register("prepaid_fixed_tiered")
class PrepaidFixedTieredStrategy(_PrepaidStrategy):
    """Advance: price(prepaid units), once per billing interval (the caller's schedule).

    Arrears, every overage interval: usage is cumulative over the block, so this period owes
    price(max(prior + usage, P)) - price(max(prior, P)).
    """

    model = PrepaidFixedTieredModel

    def charge(self, price: Price, inputs: PeriodInputs, phase: Phase) -> Charge:
        if phase is Phase.ADVANCE:
            return Charge.of([_prepaid_line(price.model)])
        prepaid, used = Decimal(price.model.prepaid_units), period_quantity(price, inputs)
        prior = inputs.prior_usage.get(price.metric_ids[0], ZERO)
        check_quantity(used)
        check_quantity(prior)
        before, after = max(prior, prepaid), max(prior + used, prepaid)
        return Charge.of([_overage_line(price.model, before, after)])

    def problems(self, price: Price) -> list[Problem]:
        found = super().problems(price)
        block = Interval(price.billing_interval)
        if Interval(price.model.overages_charge_interval).months > block.months:
            found.append(
                (
                    "prepaid_fixed_tiered_pricing_model.overages_charge_interval",
                    f"must not be longer than the billing_interval ({price.billing_interval})",
                )
            )
        return found


@register("expression")
class ExpressionStrategy(PriceStrategy):
    """Each charge: quantity_expression x unit_price_expression, in its own direction's phase."""

    model = ExpressionModel
    metered_metrics = (1, None)
    fixed_metrics = (0, None)
    metered_advance = True

    def bills_in(self, price: Price, phase: Phase) -> bool:
        return True

    def measures_usage(self, price: Price) -> bool:
        return True

    def charge(self, price: Price, inputs: PeriodInputs, phase: Phase) -> Charge:
        variables = {"quantity": inputs.quantity, "usage": inputs.usage}
        lines = []
        for item in price.model.charges:
            if item.billing_direction != phase:
                continue
            quantity = compile_expression(item.quantity_expression).evaluate(variables)
            rate = compile_expression(item.unit_price_expression).evaluate(variables)
            amount = quantity * rate
            lines.append(ChargeLine("expression", item.description, quantity, rate, amount))
        return Charge.of(lines)
