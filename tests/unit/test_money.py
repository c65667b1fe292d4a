from __future__ import annotations

import pytest

from kassa.domain.errors import CurrencyMismatch, InvalidRequest
from kassa.domain.money import Money, decimal_str, round_money, to_decimal

from .helpers import D


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1.005", "USD", "1.01"),  # half up, not banker's
        ("1.004999", "USD", "1.00"),
        ("2.5", "JPY", "3"),
        ("3.5", "JPY", "4"),
        ("1234.4999", "JPY", "1234"),
        ("-2.5", "JPY", "-3"),  # half away from zero
        ("1.0005", "KWD", "1.001"),
        ("1.00049", "KWD", "1.000"),
        ("7", "KWD", "7.000"),
        ("0.125", "EUR", "0.13"),
        ("99999999999999999999999999999.995", "USD", "100000000000000000000000000000.00"),
    ],
)
def test_round_money(amount, currency, expected):
    result = round_money(D(amount), currency)
    assert decimal_str(result) == expected


def test_round_money_refuses_unknown_currency_and_floats():
    with pytest.raises(InvalidRequest, match="'ZZZ'"):
        round_money(D("1"), "ZZZ")
    with pytest.raises(TypeError):
        round_money(1.5, "USD")  # type: ignore[arg-type]


def test_decimal_str_is_plain_text():
    assert decimal_str(D("1E+3")) == "1000"
    assert decimal_str(D("0.00000001")) == "0.00000001"
    assert decimal_str(D("500.00")) == "500.00"
    assert decimal_str(D("-0.00")) == "0.00"
    assert decimal_str(D("-1.50")) == "-1.50"


def test_to_decimal():
    assert to_decimal("12.50") == D("12.50")
    assert to_decimal(3) == D(3)
    with pytest.raises(TypeError):
        to_decimal(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        to_decimal(True)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest):
        to_decimal("twelve")
    with pytest.raises(InvalidRequest):
        to_decimal("NaN")


def test_money_arithmetic_stays_exact():
    a, b = Money(D("0.10"), "USD"), Money(D("0.20"), "USD")
    assert a + b == Money(D("0.30"), "USD")
    assert b - a == Money(D("0.10"), "USD")
    assert -a == Money(D("-0.10"), "USD")
    assert a * 3 == Money(D("0.30"), "USD")
    assert 3 * a == Money(D("0.30"), "USD")
    assert a * D("0.5") == Money(D("0.050"), "USD")
    assert (a * D("0.5")).rounded() == Money(D("0.05"), "USD")
    assert str(a * D("0.5")) == "0.050"
    assert Money.zero("JPY") == Money(D(0), "JPY")
    assert Money(5, "USD").amount == D(5)


def test_money_comparisons():
    one, two = Money(D(1), "EUR"), Money(D(2), "EUR")
    assert one < two and one <= two and two > one and two >= one
    assert not one > two
    assert sorted([two, one]) == [one, two]
    assert Money(D("1.0"), "EUR") == Money(D("1.00"), "EUR")


def test_money_refuses_mixed_currencies():
    usd, eur = Money(D(1), "USD"), Money(D(1), "EUR")
    with pytest.raises(CurrencyMismatch):
        usd + eur
    with pytest.raises(CurrencyMismatch):
        usd - eur
    with pytest.raises(CurrencyMismatch):
        assert usd < eur
    with pytest.raises(CurrencyMismatch):
        assert usd >= eur
    assert usd != eur  # equality is just False: Money may live in sets and dicts
    assert len({usd, eur}) == 2


def test_money_refuses_floats_and_unknown_currencies():
    with pytest.raises(TypeError):
        Money(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(D(1), "USD") * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money(D(1), "USD") + D(1)  # type: ignore[operator]
    with pytest.raises(InvalidRequest, match="'ABC'"):
        Money(D(1), "ABC")


def test_money_is_immutable():
    m = Money(D(1), "USD")
    with pytest.raises(AttributeError):
        m.amount = D(2)  # type: ignore[misc]


def test_rounding_per_currency():
    assert Money(D("1234.5"), "JPY").rounded().amount == D("1235")
    assert Money(D("1.2345"), "KWD").rounded().amount == D("1.235")
    assert str(Money(D("10"), "KWD").rounded()) == "10.000"
    assert str(Money(D("10"), "JPY").rounded()) == "10"
