"""The arithmetic of pricing expressions: Decimal operators and functions with their limits.

Everything here raises InvalidExpression (or a decimal signal that ``Expression.evaluate`` turns
into one); nothing here knows about syntax. Truth values are Decimals: 1 and 0.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

from kassa.domain.errors import InvalidExpression

MAX_EXPONENT = 64
MAX_ROUND_DIGITS = 64
MAX_ADJUSTED_EXPONENT = 999  # magnitudes stay below 1e1000
PRECISION = 60

CONTEXT = Context(
    prec=PRECISION,
    rounding=ROUND_HALF_EVEN,
    Emax=MAX_ADJUSTED_EXPONENT,
    Emin=-MAX_ADJUSTED_EXPONENT,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
ZERO = Decimal(0)
ONE = Decimal(1)


def number(value: object, name: str) -> Decimal:
    """A variable's value as a finite Decimal (ints welcome; floats and text are refused)."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise InvalidExpression(
            f"{name} must be a Decimal or an integer, not {type(value).__name__}."
        )
    value = Decimal(value)
    if not value.is_finite():
        raise InvalidExpression(f"{name} must be a finite number.")
    return value


def truth(value: Decimal) -> bool:
    return not value.is_zero()


def flag(condition: bool) -> Decimal:
    return ONE if condition else ZERO


def _nonzero(divisor: Decimal) -> None:
    if divisor.is_zero():
        raise InvalidExpression("Division by zero.")


def divide(a: Decimal, b: Decimal) -> Decimal:
    _nonzero(b)
    return a / b


def floor_divmod(a: Decimal, b: Decimal) -> tuple[Decimal, Decimal]:
    """Python's floor division and modulo (the remainder takes the divisor's sign)."""
    _nonzero(b)
    q = (a / b).to_integral_value(rounding=ROUND_FLOOR)
    r = a - q * b
    if not r.is_zero() and (r < 0) != (b < 0):  # a / b was rounded across an integer
        q -= 1
        r += b
    return q, r


def check_exponent(exponent: Decimal) -> int:
    if abs(exponent) > MAX_EXPONENT or exponent != exponent.to_integral_value():
        raise InvalidExpression(
            f"Exponents must be whole numbers between -{MAX_EXPONENT} and {MAX_EXPONENT}."
        )
    return int(exponent)


def power(base: Decimal, exponent: Decimal) -> Decimal:
    n = check_exponent(exponent)
    if base.is_zero():
        if n < 0:
            raise InvalidExpression("Division by zero (zero to a negative power).")
        return ONE if n == 0 else ZERO
    return base**n


def round_half_up(x: Decimal, digits: Decimal = ZERO) -> Decimal:
    """``round`` as money is rounded: half up (away from zero), not half even."""
    if abs(digits) > MAX_ROUND_DIGITS or digits != digits.to_integral_value():
        raise InvalidExpression(
            f"round() digits must be a whole number between -{MAX_ROUND_DIGITS} and "
            f"{MAX_ROUND_DIGITS}."
        )
    return x.quantize(ONE.scaleb(-int(digits)), rounding=ROUND_HALF_UP)


BINARY: dict[type[ast.operator], Callable[[Decimal, Decimal], Decimal]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: divide,
    ast.FloorDiv: lambda a, b: floor_divmod(a, b)[0],
    ast.Mod: lambda a, b: floor_divmod(a, b)[1],
    ast.Pow: power,
}

COMPARE: dict[type[ast.cmpop], Callable[[Decimal, Decimal], bool]] = {
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
}

# name -> (function, least arguments, most arguments or None)
FUNCTIONS: dict[str, tuple[Callable[..., Decimal], int, int | None]] = {
    "min": (lambda *xs: min(xs), 2, None),
    "max": (lambda *xs: max(xs), 2, None),
    "ceil": (lambda x: x.to_integral_value(rounding=ROUND_CEILING), 1, 1),
    "floor": (lambda x: x.to_integral_value(rounding=ROUND_FLOOR), 1, 1),
    "abs": (lambda x: abs(x), 1, 1),
    "round": (round_half_up, 1, 2),
}
