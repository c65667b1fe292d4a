"""Money: a Decimal amount with its currency. No binary floating point anywhere.

Amounts stay at full precision while they are computed; ``round_money`` is the one place where an
amount is quantized to the currency's minor unit (ROUND_HALF_UP), once per invoice line.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from kassa.domain.currencies import minor_units
from kassa.domain.errors import CurrencyMismatch, InvalidRequest

ZERO = Decimal(0)


def to_decimal(value: Decimal | int | str) -> Decimal:
    """An exact Decimal from a Decimal, an int or a decimal string; binary floats are refused.

    Raises TypeError for floats, bools and other types (a programming error), InvalidRequest for
    text that is not a finite decimal number.
    """
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"expected a Decimal, int or decimal string, not {type(value).__name__}")
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidRequest(f"{value!r} is not a decimal number.") from None
    elif isinstance(value, int):
        value = Decimal(value)
    if not value.is_finite():
        raise InvalidRequest(f"{value} is not a finite decimal number.")
    return value


def decimal_str(d: Decimal) -> str:
    """Canonical text of a Decimal: never an exponent, never a negative zero ("-0.00" is "0.00")."""
    if d.is_zero():
        d = abs(d)
    return format(d, "f")


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Quantize ``amount`` to the minor unit of ``currency`` with ROUND_HALF_UP."""
    amount = to_decimal(amount)
    places = minor_units(currency)
    with localcontext() as ctx:
        # quantize fails when the result has more digits than the precision: make room.
        ctx.prec = max(ctx.prec, amount.adjusted() + places + 2)
        return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def in_minor_units(amount: Decimal, currency: str, *, field: str) -> Decimal:
    """``amount`` at the currency's scale ("40.000" → 40.00); an amount finer than the minor
    unit (0.001 USD) is refused: money that moves (a payment, credit spent or granted) must be an
    amount the currency can hold."""
    rounded = round_money(amount, currency)
    if rounded != amount:
        places = minor_units(currency)
        unit = "whole units" if places == 0 else f"at most {places} decimal places"
        raise InvalidRequest(f"{currency} amounts have {unit}; got {decimal_str(amount)}.",
                             field=field)
    return rounded


@dataclass(frozen=True)
class Money:
    """An amount in one currency. Mixing currencies raises CurrencyMismatch.

    ``==`` between different currencies is simply False (so Money works in sets and dicts);
    ordering (``<`` and friends) across currencies raises.
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        minor_units(self.currency)  # an unknown code is an InvalidRequest naming it

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Nothing, in ``currency``."""
        return cls(ZERO, currency)

    def rounded(self) -> Money:
        """This amount quantized to the currency's minor unit (see ``round_money``)."""
        return Money(round_money(self.amount, self.currency), self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"Cannot combine {self.currency} and {other.currency} amounts.")

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, (Decimal, int)):
            return NotImplemented
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def _compare(self, other: object) -> tuple[Decimal, Decimal] | None:
        if not isinstance(other, Money):
            return None
        self._same_currency(other)
        return self.amount, other.amount

    def __lt__(self, other: object) -> bool:
        pair = self._compare(other)
        return NotImplemented if pair is None else pair[0] < pair[1]

    def __le__(self, other: object) -> bool:
        pair = self._compare(other)
        return NotImplemented if pair is None else pair[0] <= pair[1]

    def __gt__(self, other: object) -> bool:
        pair = self._compare(other)
        return NotImplemented if pair is None else pair[0] > pair[1]

    def __ge__(self, other: object) -> bool:
        pair = self._compare(other)
        return NotImplemented if pair is None else pair[0] >= pair[1]

    def __str__(self) -> str:
        return decimal_str(self.amount)
