"""Subscription-level modifiers: discount, minimum and maximum spend, price escalation.

Amounts come back at full precision; the caller rounds each resulting invoice line once.
Money and percentages may be given as Decimals or decimal strings (as stored in JSON).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal, localcontext
from typing import Any

from kassa.domain.errors import InvalidRequest
from kassa.domain.money import ZERO, to_decimal
from kassa.domain.pricing import Price

ONE = Decimal(1)


def _decimal(settings: Mapping[str, Any], key: str, where: str) -> Decimal:
    value = settings.get(key)
    if value is None:
        raise InvalidRequest(f"{where}.{key} is required.", field=f"{where}.{key}")
    if isinstance(value, bool) or not isinstance(value, (Decimal, str, int)):
        raise InvalidRequest(f"{where}.{key} must be a decimal string.", field=f"{where}.{key}")
    return to_decimal(value)


def _percentage(settings: Mapping[str, Any], key: str, where: str) -> Decimal:
    value = _decimal(settings, key, where)
    if not 0 <= value <= 100:
        raise InvalidRequest(f"{where}.{key} must be between 0 and 100.", field=f"{where}.{key}")
    return value


def _months(value: Any, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidRequest(f"{name} must be an integer of at least {minimum}.", field=name)
    return value


def discount_is_active(discount: Mapping[str, Any], months_since_start: int) -> bool:
    """``forever`` discounts always apply; ``limited`` ones in their first duration_value months."""
    _months(months_since_start, "months_since_start", minimum=0)
    duration_type = discount.get("duration_type", "forever")
    if duration_type == "forever":
        return True
    if duration_type != "limited":
        raise InvalidRequest(
            "discount.duration_type must be forever or limited.", field="discount.duration_type"
        )
    if discount.get("duration_unit", "months") != "months":
        raise InvalidRequest(
            "discount.duration_unit must be months.", field="discount.duration_unit"
        )
    duration = _months(discount.get("duration_value"), "discount.duration_value", minimum=1)
    return months_since_start < duration


def discount_amount(
    discount: Mapping[str, Any] | None, subtotal: Decimal, months_since_start: int
) -> Decimal:
    """The (positive) amount to take off ``subtotal``; never more than the subtotal, never below 0.

    Month 0 is the first month of the subscription, so a 3-month limited discount applies for
    months 0, 1 and 2 and is 0 from month 3 on.
    """
    if not discount or not discount_is_active(discount, months_since_start):
        return ZERO
    subtotal = to_decimal(subtotal)
    if subtotal <= 0:
        return ZERO
    kind = discount.get("type")
    if kind == "percentage":
        return subtotal * _percentage(discount, "amount", "discount") / 100
    if kind == "fixed_amount":
        amount = _decimal(discount, "amount", "discount")
        if amount < 0:
            raise InvalidRequest("discount.amount must not be negative.", field="discount.amount")
        return min(amount, subtotal)
    raise InvalidRequest("discount.type must be percentage or fixed_amount.", field="discount.type")


def minimum_spend_topup(total: Decimal, minimum: Decimal | str | None) -> Decimal:
    """What lifts ``total`` to ``minimum`` (>= 0; 0 without a minimum)."""
    if minimum is None:
        return ZERO
    return max(to_decimal(minimum) - to_decimal(total), ZERO)


def maximum_spend_cap(total: Decimal, maximum: Decimal | str | None) -> Decimal:
    """The adjustment (<= 0) that brings ``total`` down to ``maximum`` (0 without a maximum)."""
    if maximum is None:
        return ZERO
    return min(to_decimal(maximum) - to_decimal(total), ZERO)


def escalation_factor(escalation: Mapping[str, Any] | None, months_since_start: int) -> Decimal:
    """(1 + percentage/100) ** floor(months_since_start / interval_months); 1 when disabled."""
    months = _months(months_since_start, "months_since_start", minimum=0)
    if not escalation or not escalation.get("enabled"):
        return ONE
    if escalation.get("type", "percentage") != "percentage":
        raise InvalidRequest(
            "price_escalation.type must be percentage.", field="price_escalation.type"
        )
    rate = _percentage(escalation, "percentage", "price_escalation")
    interval = _months(
        escalation.get("interval_months"), "price_escalation.interval_months", minimum=1
    )
    with localcontext(prec=60):
        return (ONE + rate / 100) ** (months // interval)


def escalate_price(price: Price, factor: Decimal, *, metered: bool) -> Price:
    """``price`` with its money rates (unit prices, tier rates, fixed fees) times ``factor``.

    Percentages are not money and never change. Metered prices change only when ``metered`` is
    true (the subscription's ``escalate_metered_unit_rates``). Expression prices never change.
    Rates stay at full precision: the invoice line is rounded, not the rate.
    """
    factor = to_decimal(factor)
    if factor == ONE or (price.metered and not metered):
        return price
    with localcontext(prec=60):
        return replace(price, model=price.model.scaled(factor))
