"""Charging a price for one period: inputs, results and the strategy registry.

Every price type has one strategy class, registered with ``@register("type")``: it owns the
type's validation, its split between period start (advance) and end (arrears) and its charge;
``Price`` asks it. Amounts are full precision: an invoice line is rounded once, later, with
``kassa.domain.money.round_money``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar, TypeVar

from kassa.domain.errors import InvalidRequest
from kassa.domain.money import ZERO, to_decimal
from kassa.domain.pricing.fields import Problem
from kassa.domain.pricing.model import PricingModel

if TYPE_CHECKING:
    from kassa.domain.pricing.price import Price

# Digits kept while pricing: far beyond any real amount, so products and sums stay exact.
PRECISION = 60


class Phase(StrEnum):
    """When in a period a charge is billed: at its start (advance) or its end (arrears)."""

    ADVANCE = "advance"
    ARREARS = "arrears"


def _usage_map(usage: Mapping[str, Decimal | int]) -> Mapping[str, Decimal]:
    return MappingProxyType({name: to_decimal(value) for name, value in usage.items()})


@dataclass(frozen=True)
class PeriodInputs:
    """What a period's charge depends on.

    ``quantity``: seats or quantity of a fixed-fee item. ``usage``: the period's aggregate per
    metric id (expression prices may also read event names). ``prior_usage``: usage already
    settled earlier in the same prepaid block (prepaid_fixed_tiered overage).
    """

    quantity: Decimal = Decimal(1)
    usage: Mapping[str, Decimal] = field(default_factory=dict)
    prior_usage: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "quantity", to_decimal(self.quantity))
        object.__setattr__(self, "usage", _usage_map(self.usage))
        object.__setattr__(self, "prior_usage", _usage_map(self.prior_usage))


@dataclass(frozen=True)
class ChargeLine:
    """One component of a charge. For ``percentage`` lines ``rate`` is a percentage (2.9)."""

    kind: str
    description: str
    units: Decimal | None
    rate: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class Charge:
    """The full-precision amount a price charges in one phase, with its breakdown."""

    amount: Decimal
    lines: tuple[ChargeLine, ...] = ()

    @classmethod
    def none(cls) -> Charge:
        """Nothing is billed in this phase."""
        return cls(ZERO, ())

    @classmethod
    def of(cls, lines: Iterable[ChargeLine]) -> Charge:
        lines = tuple(lines)
        return cls(sum((line.amount for line in lines), ZERO), lines)

    def __add__(self, other: Charge) -> Charge:
        return Charge(self.amount + other.amount, self.lines + other.lines)


class PriceStrategy:
    """How one price type reads, validates, splits and charges. Subclasses are registered by type.

    The defaults describe a price with a single billing moment: a fixed fee charges in its
    billing direction's phase and is prorated by billable days; a metered price charges its
    measured usage in arrears.
    """

    type: ClassVar[str]
    model: ClassVar[type[PricingModel]]
    fee_types: ClassVar[tuple[str, ...]] = ("fixed", "metered")
    # How many metric ids a price takes, as (at least, at most or None), per fee type.
    metered_metrics: ClassVar[tuple[int, int | None]] = (1, 1)
    fixed_metrics: ClassVar[tuple[int, int | None]] = (0, 0)
    # Whether a metered price of the type may set billing_direction advance (a prepaid block).
    metered_advance: ClassVar[bool] = False

    def bills_in(self, price: Price, phase: Phase) -> bool:
        """Whether a recurring price charges anything in ``phase`` of its periods."""
        return phase == (Phase.ARREARS if price.metered else Phase(price.billing_direction))

    def measures_usage(self, price: Price) -> bool:
        """Usage-based (its periods' usage is measured) rather than a fee prorated by days."""
        return price.metered

    def line_kind(self, phase: Phase) -> str:
        """The invoice line kind of a usage-based charge in ``phase``."""
        return "usage"

    def one_off(self, price: Price, inputs: PeriodInputs) -> Charge:
        """A one-off price's single charge: its direction's phase, else its arrears."""
        first = self.charge(price, inputs, Phase(price.billing_direction))
        return first if first.amount else self.charge(price, inputs, Phase.ARREARS)

    def problems(self, price: Price) -> list[Problem]:
        """Cross-field problems of an otherwise readable price (paths from the price object)."""
        if price.fee_type not in self.fee_types:
            return [("fee_type", f"a {self.type} price must be {' or '.join(self.fee_types)}")]
        least, most = self.metered_metrics if price.metered else self.fixed_metrics
        count = len(price.metric_ids)
        if least <= count and (most is None or count <= most):
            return []
        if most == 0:
            return [("metric_ids", "only metered prices take metric_ids")]
        if most is None:
            wanted = f"at least {least} metric id" + ("s" if least > 1 else "")
        elif least == most:
            wanted = f"exactly {least} metric id" + ("s" if least > 1 else "")
        else:
            wanted = f"{least} to {most} metric ids"
        return [("metric_ids", f"a {price.fee_type} {self.type} price takes {wanted}")]

    def charge(self, price: Price, inputs: PeriodInputs, phase: Phase) -> Charge:
        raise NotImplementedError


STRATEGIES: dict[str, PriceStrategy] = {}

S = TypeVar("S", bound=type[PriceStrategy])


def register(price_type: str) -> Callable[[S], S]:
    """Class decorator: make the strategy the one for ``price_type``."""

    def decorate(cls: S) -> S:
        if price_type in STRATEGIES:
            raise ValueError(f"a strategy for {price_type!r} is already registered")
        cls.type = price_type
        STRATEGIES[price_type] = cls()
        return cls

    return decorate


def strategy_for(price_type: str) -> PriceStrategy:
    """The registered strategy; an unknown type is an InvalidRequest."""
    try:
        return STRATEGIES[price_type]
    except KeyError:
        raise InvalidRequest(f"Unknown price type {price_type!r}.", field="type") from None


def charge(price: Price, inputs: PeriodInputs, phase: Phase | str) -> Charge:
    """What ``price`` charges for one period in ``phase`` (full precision, not rounded)."""
    return price.charge(inputs, phase)


def quote(price: Price, inputs: PeriodInputs) -> Charge:
    """Advance and arrears of one full period, combined."""
    return price.quote(inputs)
