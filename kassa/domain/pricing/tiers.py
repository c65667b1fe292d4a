"""Tiers: reading, the structural rules the API enforces, and band arithmetic.

A tier covers the units above the previous tier's ``max_units`` up to and including its own
(the first tier starts at 0). With tiers 0-10000, 10001-100000, 100001+ and 150000 units the bands
hold 10000, 90000 and 50000 units. Fractional quantities split the same way: 10000.5 units put
0.5 in the second band, and pick the second tier for volume pricing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from kassa.domain.errors import InvalidRequest
from kassa.domain.money import decimal_str
from kassa.domain.pricing.fields import Problem, Reader, first_per_path, join


@dataclass(frozen=True)
class Tier:
    """One tier. Unit-priced tiers set ``price_per_unit``; percentage tiers set ``percentage``."""

    min_units: int
    max_units: int | None
    price_per_unit: Decimal | None = None
    percentage: Decimal | None = None
    fixed_fee: Decimal | None = None

    @property
    def label(self) -> str:
        """``10001-100000`` or ``100001 and above``."""
        if self.max_units is None:
            return f"{self.min_units} and above"
        return f"{self.min_units}-{self.max_units}"

    def scaled(self, factor: Decimal) -> Tier:
        """Money amounts (rate and fixed fee) times ``factor``; a percentage is not money."""
        return replace(
            self,
            price_per_unit=None if self.price_per_unit is None else self.price_per_unit * factor,
            fixed_fee=None if self.fixed_fee is None else self.fixed_fee * factor,
        )

    def to_dict(self, *, percentage: bool) -> dict[str, Any]:
        rate_key = "percentage" if percentage else "price_per_unit"
        rate = self.percentage if percentage else self.price_per_unit
        return {
            "min_units": self.min_units,
            "max_units": self.max_units,
            rate_key: None if rate is None else decimal_str(rate),
            "fixed_fee": None if self.fixed_fee is None else decimal_str(self.fixed_fee),
        }


# --- reading and rules -------------------------------------------------------------------------


def read_tier(r: Reader, *, percentage: bool) -> Tier:
    """Field types only; the rules (required rate, ranges, contiguity) are ``_tier_rules``."""
    rate_key, wrong_key = (
        ("percentage", "price_per_unit") if percentage else ("price_per_unit", "percentage")
    )
    if r.data.get(wrong_key) is not None:
        r.problem(wrong_key, f"is not used by these tiers: give {rate_key}")
    rate = r.decimal(rate_key, required=False, non_negative=False)
    return Tier(
        min_units=r.integer("min_units"),  # None only with a problem
        max_units=r.integer("max_units", required=False),
        price_per_unit=None if percentage else rate,
        percentage=rate if percentage else None,
        fixed_fee=r.decimal("fixed_fee", required=False, non_negative=False),
    )


def read_tiers(r: Reader, *, percentage: bool) -> tuple[Tier, ...] | None:
    """The ``tiers`` list of a model object, with every type and rule problem recorded."""
    readers = r.children("tiers")
    if readers is None:
        return None
    tiers = [None if t is None else read_tier(t, percentage=percentage) for t in readers]
    rules = _tier_rules(tiers, percentage)
    r.problems.extend((join(r.path, path), message) for path, message in rules)
    return None if None in tiers else tuple(tiers)


def tier_problems(tiers: Sequence[Tier | Mapping[str, Any]], *, percentage: bool) -> list[Problem]:
    """Every problem of a tier list as ``(path relative to the model, message)``.

    Accepts parsed Tier objects or the raw request mappings. Paths look like
    ``tiers[2].max_units``; an empty list is reported at ``tiers``.
    """
    problems: list[Problem] = []
    parsed: list[Tier | None] = []
    for index, tier in enumerate(tiers):
        path = join("tiers", index)
        if isinstance(tier, Tier):
            parsed.append(tier)
        elif isinstance(tier, Mapping):
            parsed.append(read_tier(Reader(tier, path, problems), percentage=percentage))
        else:
            problems.append((path, "must be an object"))
            parsed.append(None)
    problems.extend(_tier_rules(parsed, percentage))
    return first_per_path(problems)


def _tier_rules(tiers: Sequence[Tier | None], percentage: bool) -> list[Problem]:
    if not tiers:
        return [("tiers", "at least one tier is required")]
    problems: list[Problem] = []
    last = len(tiers) - 1
    rate_key = "percentage" if percentage else "price_per_unit"
    previous: Tier | None = None
    for index, tier in enumerate(tiers):
        if tier is not None:
            problems.extend(
                (f"tiers[{index}].{key}", message)
                for key, message in _one_tier_rules(tier, previous, index, last, rate_key)
            )
        previous = tier
    return problems


def _one_tier_rules(
    tier: Tier, previous: Tier | None, index: int, last: int, rate_key: str
) -> list[tuple[str, str]]:
    """(field, message) problems of one tier, given the tier before it (None if unreadable)."""
    found = []
    low, high = tier.min_units, tier.max_units
    if low is not None:
        if index == 0 and low not in (0, 1):
            found.append(("min_units", "the first tier must start at 0 or 1"))
        elif previous is not None and previous.max_units is not None:
            expected = previous.max_units + 1
            if low != expected:
                message = f"must be {expected}, one more than the previous max_units"
                found.append(("min_units", message))
        if high is not None and high < low:
            found.append(("max_units", "must not be less than min_units"))
    if high is None and index < last:
        found.append(("max_units", "only the last tier may be open-ended (null)"))
    if high is not None and index == last:
        found.append(("max_units", "the last tier must be open-ended (null)"))
    rate = tier.percentage if rate_key == "percentage" else tier.price_per_unit
    if rate is None:
        found.append((rate_key, "is required"))
    elif rate_key == "percentage" and not 0 <= rate <= 100:
        found.append((rate_key, "must be between 0 and 100"))
    elif rate < 0:
        found.append((rate_key, "must not be negative"))
    if tier.fixed_fee is not None and tier.fixed_fee < 0:
        found.append(("fixed_fee", "must not be negative"))
    return found


# --- band arithmetic ---------------------------------------------------------------------------


def check_quantity(quantity: Decimal) -> None:
    """Tiered prices have no meaning for negative quantities: refuse them loudly."""
    if quantity < 0:
        raise InvalidRequest(f"A tiered price cannot charge a negative quantity ({quantity}).")


def band_units(tiers: Sequence[Tier], quantity: Decimal) -> list[Decimal]:
    """How many of ``quantity``'s units fall in each tier's band (one entry per tier)."""
    check_quantity(quantity)
    units: list[Decimal] = []
    lower = Decimal(0)
    for tier in tiers:
        upper = None if tier.max_units is None else Decimal(tier.max_units)
        top = quantity if upper is None else min(quantity, upper)
        units.append(max(top - lower, Decimal(0)))
        if upper is not None:
            lower = upper
    return units


def volume_tier_index(tiers: Sequence[Tier], quantity: Decimal) -> int:
    """Index of the tier whose band contains ``quantity`` (0 units pick the first tier)."""
    check_quantity(quantity)
    for index, tier in enumerate(tiers):
        if tier.max_units is None or quantity <= tier.max_units:
            return index
    return len(tiers) - 1  # unreachable for valid tiers: the last one is open-ended
