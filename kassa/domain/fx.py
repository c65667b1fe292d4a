"""Exchange rates and converting prices into the currency a subscription bills in (pure).

A rate ``(base, quote, rate, valid_from)`` says 1 ``base`` = ``rate`` ``quote`` from that day on.
The rate of a pair on a day is the newest one with ``valid_from`` on or before it, read either
way round (a quote→base rate is inverted); with none, a cross rate through a pivot currency (the
environment's base currency first, then any currency rates are quoted against, such as the
ECB's EUR): ``source→pivot × pivot→target``, dated by its older leg.

Rounding, in one place each:
- a derived rate (an inverse or a cross rate) keeps ``RATE_DIGITS`` significant digits,
  ROUND_HALF_UP;
- a converted amount is ``amount × rate`` at full precision, quantized once to the target
  currency's minor unit with ``kassa.domain.money.round_money`` (ROUND_HALF_UP, as every invoice
  line). Prices are converted before they are charged (``converted_price``: every money rate of
  the model times the rate, unrounded), so an invoice line is still rounded exactly once.
A cross rate therefore differs from applying its two legs exactly by at most one minor unit of
the target for converted amounts below 10**(12 - decimals) target units (a trillion yen, ten
billion euros, a billion dinars); ``tests/unit/test_fx.py`` checks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from kassa.domain.errors import InvalidRequest
from kassa.domain.items import priced_items
from kassa.domain.money import decimal_str, round_money, to_decimal
from kassa.domain.pricing import ExpressionModel, price_from_dict
from kassa.domain.pricing.currency_options import OPTIONS, option_price, options_of
from kassa.domain.pricing.serialization import MODEL_SUFFIX

RATE_DIGITS = 15
MAX_RATE_PLACES = 12
MAX_RATE = Decimal(10) ** 9
_PRECISION = 60


class FxRateMissing(InvalidRequest):
    """No exchange rate is known for this conversion."""


def parse_rate(value: Any, *, field: str = "rate") -> Decimal:
    """A rate from a plain decimal string ("1.0842": no exponent) or a Decimal: above 0, below
    10**9, at most 12 decimal places; InvalidRequest naming ``field`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (str, Decimal)):
        raise InvalidRequest(f"{field} must be a decimal string such as \"1.0842\".", field=field)
    rate = to_decimal(value) if isinstance(value, Decimal) else _text(value, field)
    if rate <= 0:
        raise InvalidRequest(f"{field} must be greater than 0.", field=field)
    if rate >= MAX_RATE:
        raise InvalidRequest(f"{field} must be below {MAX_RATE:,}.", field=field)
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_RATE_PLACES:
        raise InvalidRequest(f"{field} has at most {MAX_RATE_PLACES} decimal places.", field=field)
    return rate


def _text(value: str, field: str) -> Decimal:
    text = value.strip()
    digits = text[1:] if text.startswith("-") else text
    whole, _, fraction = digits.partition(".")
    if not (whole.isdigit() and whole.isascii()) or (
            fraction and not (fraction.isdigit() and fraction.isascii())) or digits.endswith("."):
        raise InvalidRequest(f"{field}: {value!r} is not a decimal number such as \"1.0842\".",
                             field=field)
    return to_decimal(text)


def derived(rate: Decimal) -> Decimal:
    """A computed rate at ``RATE_DIGITS`` significant digits (ROUND_HALF_UP)."""
    with localcontext(prec=RATE_DIGITS, rounding=ROUND_HALF_UP):
        return +rate


def inverse(rate: Decimal) -> Decimal:
    """1 / ``rate`` at ``RATE_DIGITS`` significant digits."""
    with localcontext(prec=RATE_DIGITS, rounding=ROUND_HALF_UP):
        return Decimal(1) / rate


def convert(amount: Decimal, rate: Decimal, currency: str) -> Decimal:
    """``amount × rate`` quantized once to ``currency``'s minor unit (ROUND_HALF_UP)."""
    with localcontext(prec=_PRECISION):
        return round_money(to_decimal(amount) * rate, currency)


@dataclass(frozen=True)
class Rate:
    """A stored rate: 1 ``base`` = ``rate`` ``quote`` from ``valid_from`` on."""

    base: str
    quote: str
    rate: Decimal
    valid_from: date


@dataclass(frozen=True)
class Conversion:
    """How ``source`` amounts become ``target`` ones: times ``rate``, the rate of
    ``rate_date`` (``via``: the pivot of a cross rate)."""

    source: str
    target: str
    rate: Decimal
    rate_date: date
    via: str | None = None

    def convert(self, amount: Decimal) -> Decimal:
        return convert(amount, self.rate, self.target)

    def to_dict(self) -> dict[str, Any]:
        """The invoice's ``fx``: what its converted prices were in, the rate and its day."""
        return {"base_currency": self.source, "currency": self.target,
                "rate": decimal_str(self.rate), "rate_date": self.rate_date.isoformat(),
                "via": self.via}


def leg(rates: Iterable[Rate], source: str, target: str, on: date) -> Conversion | None:
    """The newest rate of the pair on ``on``, either way round (a tie: the direct one)."""
    best: tuple[date, int, Rate] | None = None
    for r in rates:
        if r.valid_from > on:
            continue
        if (r.base, r.quote) == (source, target):
            key = (r.valid_from, 1, r)
        elif (r.base, r.quote) == (target, source):
            key = (r.valid_from, 0, r)
        else:
            continue
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None:
        return None
    r = best[2]
    rate = r.rate if r.base == source else inverse(r.rate)
    return Conversion(source, target, rate, r.valid_from)


def cross(first: Conversion, second: Conversion) -> Conversion:
    """``first`` (source→pivot) then ``second`` (pivot→target) as one rate."""
    with localcontext(prec=_PRECISION):
        product = first.rate * second.rate
    return Conversion(first.source, second.target, derived(product),
                      min(first.rate_date, second.rate_date), via=first.target)


def find(rates: Sequence[Rate], source: str, target: str, on: date,
         pivots: Sequence[str] = ()) -> Conversion:
    """The conversion of ``source`` into ``target`` on ``on``: a direct (or inverted) rate,
    else a cross rate through the first of ``pivots`` (then any base currency of ``rates``)
    that has both legs; ``FxRateMissing`` when there is none."""
    if source == target:
        return Conversion(source, target, Decimal(1), on)
    direct = leg(rates, source, target, on)
    if direct is not None:
        return direct
    candidates = list(dict.fromkeys([*pivots, *sorted({r.base for r in rates})]))
    for pivot in candidates:
        if pivot in (source, target):
            continue
        first, second = leg(rates, source, pivot, on), leg(rates, pivot, target, on)
        if first is not None and second is not None:
            return cross(first, second)
    raise FxRateMissing(
        f"No exchange rate from {source} to {target} valid on {on.isoformat()} (directly or "
        f"through {', '.join(p for p in candidates if p not in (source, target)) or 'a base currency'}"
        f"): add one with POST /fx-rates or kassa fx import, or give the prices a "
        f"currency_options.{target}.")


# ------------------------------------------------------------------ prices in another currency


def converted_price(price: Mapping[str, Any], rate: Decimal) -> dict[str, Any]:
    """The stored price with every money rate times ``rate`` (full precision): unit prices,
    tier rates, fixed fees, an expression's unit prices and a fixed-amount discount.
    Percentages and unit counts are not money and stay as they are."""
    parsed = price_from_dict(price)
    model = parsed.model
    with localcontext(prec=_PRECISION):
        if isinstance(model, ExpressionModel):
            model = replace(model, charges=tuple(
                replace(c, unit_price_expression=f"({c.unit_price_expression}) * {decimal_str(rate)}")
                for c in model.charges))
        else:
            model = model.scaled(rate)
        out = {k: v for k, v in price.items() if k != OPTIONS}
        out[parsed.type + MODEL_SUFFIX] = model.to_dict()
        discount = price.get("discount")
        if discount and discount.get("type") == "fixed_amount":
            out["discount"] = {**discount,
                               "amount": decimal_str(to_decimal(discount["amount"]) * rate)}
    return out


def needs_conversion(items: Sequence[Mapping[str, Any]], currency: str) -> list[str]:
    """The product ids of ``items`` whose price has no option in ``currency``."""
    return [child["product_id"] for _, child in priced_items(items)
            if currency not in options_of(child["price"])]


def localized(items: Sequence[Mapping[str, Any]], currency: str,
              conversion: Conversion | None) -> list[dict[str, Any]]:
    """``items`` (priced in another currency) as they bill in ``currency``: each price from
    its option in ``currency``, else converted at ``conversion`` (``FxRateMissing`` without
    one)."""

    def price_in(price: Mapping[str, Any]) -> dict[str, Any]:
        if currency in options_of(price):
            return option_price(price, currency)
        if conversion is None:
            raise FxRateMissing(f"No exchange rate into {currency} was given for a price "
                                f"without currency_options.{currency}.")
        return converted_price(price, conversion.rate)

    def child_in(child: Mapping[str, Any]) -> dict[str, Any]:
        return {**child, "price": price_in(child["price"])}

    out = []
    for item in items:
        if item.get("bundle_id"):
            out.append({**item, "items": [child_in(c) for c in item.get("items") or ()]})
        else:
            out.append(child_in(item))
    return out
