"""Invoice totals without a database: discount, spend limits and tax compose as documented
(charges, then the discount on them, then minimum/maximum spend, then tax on what remains)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.billing.boundary import LineDraft
from kassa.domain.billing.totals import (
    CHARGE_KINDS,
    Totals,
    charges_of,
    discount_line,
    spend_lines,
    tax_line,
    totals,
)

from .helpers import PROPERTY, D

SPAN = (date(2026, 9, 1), date(2026, 10, 1))
CENTS = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)


def _line(kind: str, amount: str) -> LineDraft:
    return LineDraft(kind=kind, amount=D(amount))


def _compose(charges: list[LineDraft], discount: dict | None, minimum: str | None,
             maximum: str | None, rate: str | None) -> list[LineDraft]:
    """The order of a period-end invoice: charges, discount, spend limits, tax."""
    lines = list(charges)
    off = discount_line(discount, charges_of(lines), 0, "USD")
    lines += [off] if off else []
    spend = charges_of(lines) + sum((ln.amount for ln in lines if ln.kind == "discount"), D(0))
    limits = [None if v is None else {"amount": v} for v in (minimum, maximum)]
    lines += spend_lines(spend, *limits, "USD", SPAN)
    tax = tax_line(sum((ln.amount for ln in lines), D(0)), None if rate is None else D(rate),
                   False, "USD")
    return lines + ([tax] if tax else [])


def test_discount_then_minimum_spend_then_tax() -> None:
    lines = _compose([_line("fixed", "100.00"), _line("usage", "50.00")],
                     {"type": "percentage", "amount": "10"}, "200.00", None, "10")
    assert [(ln.kind, ln.amount) for ln in lines] == [
        ("fixed", D("100.00")), ("usage", D("50.00")), ("discount", D("-15.00")),
        ("minimum_spend", D("65.00")), ("tax", D("20.00")),
    ]
    assert lines[2].description == "10% discount"
    assert lines[3].details == {"spend": "135.00", "minimum": "200.00"} and lines[3].period == SPAN
    assert lines[4].details == {"rate": "10", "taxable": "200.00"}
    assert totals(lines, "USD") == Totals(D("215.00"), D("15.00"), D("20.00"), D("220.00"))


def test_a_maximum_spend_cuts_after_the_discount() -> None:
    lines = _compose([_line("usage", "500.00")], {"type": "fixed_amount", "amount": "50"},
                     None, "300.00", "8.25")
    assert [(ln.kind, ln.amount) for ln in lines] == [
        ("usage", D("500.00")), ("discount", D("-50.00")), ("maximum_spend", D("-150.00")),
        ("tax", D("24.75")),
    ]
    assert lines[1].description == "Discount"
    assert totals(lines, "USD") == Totals(D("350.00"), D("50.00"), D("24.75"), D("324.75"))


def test_a_spend_within_both_limits_adds_nothing() -> None:
    assert spend_lines(D("150.00"), {"amount": "100"}, {"amount": "200"}, "USD", SPAN) == []


def test_a_fixed_discount_takes_at_most_the_charges() -> None:
    line = discount_line({"type": "fixed_amount", "amount": "80"}, D("30.00"), 0, "USD")
    assert line is not None and line.amount == D("-30.00")
    assert line.details == {"discount": {"type": "fixed_amount", "amount": "80"}}


def test_no_discount_line_when_nothing_comes_off() -> None:
    limited = {"type": "percentage", "amount": "20", "duration_type": "limited",
               "duration_unit": "months", "duration_value": 3}
    assert discount_line(limited, D("100.00"), 2, "USD") is not None
    assert discount_line(limited, D("100.00"), 3, "USD") is None  # months 0, 1 and 2 only
    assert discount_line(None, D("100.00"), 0, "USD") is None
    assert discount_line({"type": "percentage", "amount": "10"}, D("0.00"), 0, "USD") is None
    assert discount_line({"type": "percentage", "amount": "10"}, D("0.04"), 0, "USD") is None


def test_no_tax_when_exempt_without_a_rate_or_nothing_taxable() -> None:
    assert tax_line(D("100.00"), D("10"), True, "USD") is None
    assert tax_line(D("100.00"), None, False, "USD") is None
    assert tax_line(D("100.00"), D("0"), False, "USD") is None
    assert tax_line(D("-5.00"), D("10"), False, "USD") is None
    assert tax_line(D("99.99"), D("8.25"), False, "USD").amount == D("8.25")  # 8.249175
    assert tax_line(D("999"), D("10"), False, "JPY").amount == D("100")  # 99.9


def test_totals_of_nothing_are_zero_at_the_currency_scale() -> None:
    assert [str(v) for v in vars(totals([], "USD")).values()] == ["0.00"] * 4
    assert [str(v) for v in vars(totals([], "JPY")).values()] == ["0"] * 4
    assert [str(v) for v in vars(totals([], "KWD")).values()] == ["0.000"] * 4


def test_lines_of_other_kinds_are_not_charges() -> None:
    lines = [_line("fixed", "10.00"), _line("discount", "-1.00"), _line("tax", "0.90"),
             _line("note", "5.00")]
    assert charges_of(lines) == D("10.00")
    assert totals(lines, "USD") == Totals(D("10.00"), D("1.00"), D("0.90"), D("9.90"))


@PROPERTY
@given(
    st.lists(st.tuples(st.sampled_from(sorted(CHARGE_KINDS - {"minimum_spend", "maximum_spend"})),
                       CENTS), min_size=1, max_size=6),
    st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2).map(
        lambda p: {"type": "percentage", "amount": str(p)})),
    st.one_of(st.none(), CENTS),
    st.one_of(st.none(), CENTS),
    st.one_of(st.none(), st.decimals(min_value=0, max_value=30, places=3)),
)
def test_composed_totals_add_up(charges, discount, minimum, maximum, rate) -> None:
    """total = the sum of every line; the discount never exceeds the charges; the spend ends
    within [minimum, maximum] (limits that cross are both applied to the same spend, so neither
    holds); tax is the rate on what remains."""
    lines = _compose([LineDraft(kind=k, amount=a) for k, a in charges], discount,
                     *(None if v is None else str(v) for v in (minimum, maximum, rate)))
    result = totals(lines, "USD")
    assert result.total == sum((ln.amount for ln in lines), D(0))
    charged = sum((a for _, a in charges), D(0))
    assert D(0) <= result.discount <= charged
    spend = result.subtotal - result.discount
    if minimum is None or maximum is None or minimum <= maximum:
        assert minimum is None or spend >= minimum
        assert maximum is None or spend <= maximum
    expected_tax = (spend * rate / 100).quantize(D("0.01"), "ROUND_HALF_UP") if rate else 0
    assert result.tax == (expected_tax if spend > 0 else 0)
    assert all(ln.amount == ln.amount.quantize(Decimal("0.01")) for ln in lines)
