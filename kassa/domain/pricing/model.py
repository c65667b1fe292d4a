"""The price models: one immutable dataclass per price type (``Price`` holds one).

Each model reads itself from its API object (``read``, collecting problems), writes itself back
(``to_dict``, money as decimal strings) and can scale its money amounts (``scaled``, used by price
escalation; percentages are not money and stay as they are).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from kassa.domain.errors import InvalidExpression
from kassa.domain.expressions import compile_expression
from kassa.domain.money import decimal_str
from kassa.domain.periods import Interval
from kassa.domain.pricing.fields import Reader
from kassa.domain.pricing.tiers import Tier, read_tiers

FEE_TYPES = ("fixed", "metered")
DIRECTIONS = ("advance", "arrears")
FREQUENCIES = ("recurring", "one-off")
INTERVALS = tuple(i.value for i in Interval)


def _text(d: Decimal | None) -> str | None:
    return None if d is None else decimal_str(d)


def _times(d: Decimal | None, factor: Decimal) -> Decimal | None:
    return None if d is None else d * factor


def _tiers_dict(tiers: tuple[Tier, ...], *, percentage: bool) -> list[dict[str, Any]]:
    return [t.to_dict(percentage=percentage) for t in tiers]


def _scaled_tiers(tiers: tuple[Tier, ...], factor: Decimal) -> tuple[Tier, ...]:
    return tuple(t.scaled(factor) for t in tiers)


class PricingModel(Protocol):
    """What every model dataclass provides."""

    @classmethod
    def read(cls, r: Reader) -> PricingModel: ...

    def to_dict(self) -> dict[str, Any]: ...

    def scaled(self, factor: Decimal) -> PricingModel: ...


@dataclass(frozen=True)
class UnitModel:
    price_per_unit: Decimal

    @classmethod
    def read(cls, r: Reader) -> UnitModel:
        return cls(r.decimal("price_per_unit"))

    def to_dict(self) -> dict[str, Any]:
        return {"price_per_unit": _text(self.price_per_unit)}

    def scaled(self, factor: Decimal) -> UnitModel:
        return UnitModel(self.price_per_unit * factor)


@dataclass(frozen=True)
class FixedModel:
    price_per_unit: Decimal
    units: int = 1

    @property
    def total(self) -> Decimal:
        return self.price_per_unit * self.units

    @classmethod
    def read(cls, r: Reader) -> FixedModel:
        return cls(r.decimal("price_per_unit"), r.integer("units", default=1, minimum=0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "price_per_unit": _text(self.price_per_unit),
            "units": self.units,
            "total": _text(self.total),
        }

    def scaled(self, factor: Decimal) -> FixedModel:
        return FixedModel(self.price_per_unit * factor, self.units)


@dataclass(frozen=True)
class TieredModel:
    """Volume tiers: the quantity picks one tier."""

    tiers: tuple[Tier, ...]
    PERCENTAGE = False

    @classmethod
    def read(cls, r: Reader) -> TieredModel:
        return cls(read_tiers(r, percentage=cls.PERCENTAGE))

    def to_dict(self) -> dict[str, Any]:
        return {"tiers": _tiers_dict(self.tiers, percentage=self.PERCENTAGE)}

    def scaled(self, factor: Decimal) -> TieredModel:
        return type(self)(_scaled_tiers(self.tiers, factor))


@dataclass(frozen=True)
class TieredPercentageModel(TieredModel):
    """Volume tiers of percentages over a money volume."""

    PERCENTAGE = True


@dataclass(frozen=True)
class GraduatedPercentageModel(TieredModel):
    """Graduated tiers of percentages over a money volume."""

    PERCENTAGE = True


@dataclass(frozen=True)
class GraduatedTieredModel:
    """Graduated tiers; ``units`` (fixed-fee prices only) replaces the item quantity."""

    tiers: tuple[Tier, ...]
    units: int | None = None

    @classmethod
    def read(cls, r: Reader) -> GraduatedTieredModel:
        return cls(
            read_tiers(r, percentage=False),
            r.integer("units", required=False, minimum=0),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"tiers": _tiers_dict(self.tiers, percentage=False), "units": self.units}

    def scaled(self, factor: Decimal) -> GraduatedTieredModel:
        return GraduatedTieredModel(_scaled_tiers(self.tiers, factor), self.units)


@dataclass(frozen=True)
class VolumePercentageModel:
    """volume x percentage / 100 + transactions x price_per_unit + fixed_fee."""

    percentage: Decimal
    price_per_unit: Decimal | None = None
    fixed_fee: Decimal | None = None

    @classmethod
    def read(cls, r: Reader) -> VolumePercentageModel:
        return cls(
            r.percentage("percentage"),
            r.decimal("price_per_unit", required=False),
            r.decimal("fixed_fee", required=False),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "percentage": _text(self.percentage),
            "price_per_unit": _text(self.price_per_unit),
            "fixed_fee": _text(self.fixed_fee),
        }

    def scaled(self, factor: Decimal) -> VolumePercentageModel:
        return VolumePercentageModel(
            self.percentage, _times(self.price_per_unit, factor), _times(self.fixed_fee, factor)
        )


@dataclass(frozen=True)
class PrepaidTieredModel:
    prepaid_units: int
    tiers: tuple[Tier, ...]

    @classmethod
    def read(cls, r: Reader) -> PrepaidTieredModel:
        return cls(r.integer("prepaid_units", minimum=0), read_tiers(r, percentage=False))

    def to_dict(self) -> dict[str, Any]:
        return {
            "prepaid_units": self.prepaid_units,
            "tiers": _tiers_dict(self.tiers, percentage=False),
        }

    def scaled(self, factor: Decimal) -> PrepaidTieredModel:
        return PrepaidTieredModel(self.prepaid_units, _scaled_tiers(self.tiers, factor))


@dataclass(frozen=True)
class PrepaidFixedTieredModel:
    """A prepaid block per billing interval; overage settled every ``overages_charge_interval``."""

    prepaid_units: int
    overages_charge_interval: str
    tiers: tuple[Tier, ...]

    @classmethod
    def read(cls, r: Reader) -> PrepaidFixedTieredModel:
        return cls(
            r.integer("prepaid_units", minimum=0),
            r.choice("overages_charge_interval", INTERVALS),
            read_tiers(r, percentage=False),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "prepaid_units": self.prepaid_units,
            "overages_charge_interval": self.overages_charge_interval,
            "tiers": _tiers_dict(self.tiers, percentage=False),
        }

    def scaled(self, factor: Decimal) -> PrepaidFixedTieredModel:
        tiers = _scaled_tiers(self.tiers, factor)
        return PrepaidFixedTieredModel(self.prepaid_units, self.overages_charge_interval, tiers)


@dataclass(frozen=True)
class ExpressionCharge:
    """One charge of an expression price: quantity_expression x unit_price_expression."""

    billing_direction: str
    description: str
    quantity_expression: str
    unit_price_expression: str

    @classmethod
    def read(cls, r: Reader) -> ExpressionCharge:
        return cls(
            r.choice("billing_direction", DIRECTIONS),
            r.text("description", default=""),
            _read_expression(r, "quantity_expression"),
            _read_expression(r, "unit_price_expression"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "billing_direction": self.billing_direction,
            "description": self.description,
            "quantity_expression": self.quantity_expression,
            "unit_price_expression": self.unit_price_expression,
        }


def _read_expression(r: Reader, key: str) -> str | None:
    source = r.text(key)
    if source is None:
        return None
    try:
        compile_expression(source)
    except InvalidExpression as exc:
        r.problem(key, exc.detail)
        return None
    return source


@dataclass(frozen=True)
class ExpressionModel:
    """Expression charges. Escalation leaves them alone: write it into the expression instead."""

    charges: tuple[ExpressionCharge, ...]

    @classmethod
    def read(cls, r: Reader) -> ExpressionModel:
        readers = r.children("charges")
        if readers is not None and not readers:
            r.problem("charges", "at least one charge is required")
        charges = [ExpressionCharge.read(c) for c in readers or () if c is not None]
        return cls(tuple(charges))

    def to_dict(self) -> dict[str, Any]:
        return {"charges": [c.to_dict() for c in self.charges]}

    def scaled(self, factor: Decimal) -> ExpressionModel:
        return self
