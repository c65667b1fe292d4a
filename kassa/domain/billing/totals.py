"""Invoice-level modifiers and totals: discounts, spend limits, tax.

Order on an invoice: charge lines, then price-level discounts (next to their line), then the
subscription discount on the charges, then minimum/maximum spend for the spend period that ends,
then tax on what remains. Every line is rounded once, to the currency's minor unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kassa.domain.billing.boundary import LineDraft
from kassa.domain.modifiers import (
    discount_amount,
    maximum_spend_cap,
    minimum_spend_topup,
)
from kassa.domain.money import ZERO, round_money

CHARGE_KINDS = frozenset(
    {"fixed", "usage", "prepaid", "overage", "one_off", "proration", "adjustment", "minimum_spend",
     "maximum_spend", "credit", "top_up"}
)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def discount_line(
    discount: Mapping[str, Any] | None,
    base: Decimal,
    months_since_start: int,
    currency: str,
    **where: Any,
) -> LineDraft | None:
    """A negative line for ``discount`` applied to ``base`` (None when nothing is taken off)."""
    amount = round_money(discount_amount(discount, base, months_since_start), currency)
    if not amount:
        return None
    assert discount is not None
    label = (
        f"{discount['amount']}% discount"
        if discount.get("type") == "percentage"
        else "Discount"
    )
    return LineDraft(kind="discount", amount=-amount, description=label,
                     details={"discount": dict(discount)}, **where)


def spend_lines(
    spend: Decimal,
    minimum: Mapping[str, Any] | None,
    maximum: Mapping[str, Any] | None,
    currency: str,
    period: tuple[Any, Any],
) -> list[LineDraft]:
    """The top-up to a minimum spend or the cut down to a maximum, for one spend period."""
    lines = []
    limits = (("minimum", minimum, minimum_spend_topup, "Minimum spend top-up"),
              ("maximum", maximum, maximum_spend_cap, "Maximum spend cap"))
    for name, limit, adjustment, description in limits:
        if not limit:
            continue
        amount = round_money(adjustment(spend, limit["amount"]), currency)
        if amount:
            lines.append(LineDraft(kind=f"{name}_spend", amount=amount, period=period,
                                   description=description,
                                   details={"spend": format(spend, "f"),
                                            name: str(limit["amount"])}))
    return lines


def charges_of(lines: Sequence[LineDraft]) -> Decimal:
    return sum((line.amount for line in lines if line.kind in CHARGE_KINDS), ZERO)


def tax_line(taxable: Decimal, rate: Decimal | None, exempt: bool, currency: str) -> LineDraft | None:
    if exempt or not rate or taxable <= 0:
        return None
    amount = round_money(taxable * rate / 100, currency)
    return LineDraft(kind="tax", amount=amount, description=f"Tax {format(rate, 'f')}%",
                     details={"rate": format(rate, "f"), "taxable": format(taxable, "f")})


def totals(lines: Sequence[LineDraft], currency: str) -> Totals:
    zero = round_money(ZERO, currency)
    subtotal = sum((l.amount for l in lines if l.kind in CHARGE_KINDS), zero)
    discount = -sum((l.amount for l in lines if l.kind == "discount"), zero)
    tax = sum((l.amount for l in lines if l.kind == "tax"), zero)
    return Totals(subtotal, discount + zero, tax, subtotal - discount + tax)
