"""The typed invoice without a database: a draft from line drafts, the status rules, and the
amount due derived from the other amounts (what the services used to keep by hand)."""

from __future__ import annotations

import itertools
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.billing.boundary import LineDraft
from kassa.domain.billing.invoice import Invoice
from kassa.domain.errors import InvalidTransition

from .helpers import PROPERTY, D

AT = datetime(2026, 7, 1, tzinfo=UTC)
CENTS = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)


def _draft(*amounts: str, currency: str = "USD") -> Invoice:
    counter = itertools.count(1)
    lines = [LineDraft(kind="fixed", amount=D(a), period=(date(2026, 7, 1), date(2026, 8, 1)))
             for a in amounts]
    return Invoice.draft(id="inv_1", line_id=lambda: f"il_{next(counter)}", customer_id="c",
                         currency=currency, kind="subscription", lines=lines,
                         payment_terms="net_30", auto_pay=False, at=AT)


def _issued(*amounts: str) -> Invoice:
    return _draft(*amounts).issued("INV-1", date(2026, 7, 1), date(2026, 7, 31), AT)


def test_a_draft_has_its_lines_totals_and_all_of_its_total_due() -> None:
    draft = _draft("100.00", "20.50")
    assert (draft.status, draft.total, draft.amount_due) == ("draft", D("120.50"), D("120.50"))
    assert [(ln.id, ln.position, ln.description) for ln in draft.lines] == [
        ("il_1", 0, "Fixed"), ("il_2", 1, "Fixed")]
    assert (draft.billing_period_start, draft.billing_period_end) == (date(2026, 7, 1),
                                                                      date(2026, 8, 1))
    assert str(draft.credits_applied) == "0.00"
    with pytest.raises(FrozenInstanceError):
        draft.status = "paid"  # type: ignore[misc]


def test_more_credit_than_charge_is_carried_to_the_credit_balance() -> None:
    draft = _draft("-30.00")
    assert (draft.total, draft.amount_due, draft.carried_to_credit) == (D("0.00"), D("0.00"),
                                                                        D("30.00"))
    assert draft.lines[-1].description == "Carried to credit balance"
    assert draft.metadata == {"carried_to_credit": "30.00"}


def test_only_a_draft_is_issued_and_only_an_open_invoice_is_paid_for() -> None:
    issued = _issued("10.00")
    assert (issued.status, issued.number, issued.due_date) == ("issued", "INV-1", date(2026, 7, 31))
    with pytest.raises(InvalidTransition, match="Invoice inv_1 is issued; only a draft can be"):
        issued.issued("INV-2", date(2026, 7, 1), date(2026, 7, 1), AT)
    with pytest.raises(InvalidTransition, match="Cannot pay invoice inv_1: it is draft."):
        _draft("10.00").require_open("pay")
    issued.require_open("pay")
    assert issued.payment_failed().status == "payment_failed"
    assert issued.overdue(AT).payment_failed().status == "overdue"


def test_amount_due_follows_credits_wallet_payments_and_credit_notes() -> None:
    invoice = _issued("100.00").with_credits(D("30.00")).with_wallet(D("20.00"))
    assert invoice.amount_due == D("50.00")
    invoice = invoice.settled(D("10.00")).credited(D("15.00"), refund=False)
    assert invoice.amount_due == D("25.00")
    # A refund gives the money back: it is credited but not taken off what is due.
    assert invoice.credited(D("5.00"), refund=True).amount_due == D("25.00")


def test_paid_and_void_have_nothing_due_even_when_overpaid() -> None:
    overpaid = _issued("100.00").settled(D("120.00"))
    assert overpaid.amount_due == D("-20.00")  # the caller marks it paid
    assert str(overpaid.paid(AT).amount_due) == "0.00"
    assert str(_issued("100.00").voided(AT).amount_due) == "0.00"
    yen = _draft("100", currency="JPY").voided(AT)
    assert str(yen.amount_due) == "0"


def test_void_refuses_a_paid_invoice_and_one_with_payments() -> None:
    with pytest.raises(InvalidTransition, match="Cannot void invoice inv_1: it is paid."):
        _issued("10.00").paid(AT).voided(AT)
    with pytest.raises(InvalidTransition, match="has payments; refund them with a credit note"):
        _issued("10.00").settled(D("5.00")).voided(AT)


def test_amount_due_is_exact_for_large_amounts_outside_a_unit_of_work() -> None:
    """28 significant digits (Python's default context) rounded 123...567.90 to ...567.9."""
    big = "123456789012345678901234567.90"
    assert str(_draft(big).amount_due) == big
    assert str(_issued(big).settled(D(big[:-3] + ".00")).amount_due) == "0.90"


@PROPERTY
@given(total=CENTS, credit=CENTS, wallet=CENTS, paid=CENTS)
def test_amount_due_is_what_the_services_kept_by_hand(total: Decimal, credit: Decimal,
                                                     wallet: Decimal, paid: Decimal) -> None:
    """The old bookkeeping: due starts at the total, and each amount spent or received is taken
    off it; paid once nothing is left."""
    invoice, due = _issued(format(total, "f")), total
    for step, amount in (("credit", credit), ("wallet", wallet), ("paid", paid)):
        used = min(amount, due)
        invoice = {"credit": invoice.with_credits, "wallet": invoice.with_wallet,
                   "paid": invoice.settled}[step](used)
        due -= used
        assert invoice.amount_due == due
    if invoice.amount_due <= 0:
        assert invoice.paid(AT).amount_due == 0


def test_every_stored_column_is_a_field_of_the_invoice_or_its_lines() -> None:
    """A column added to the tables and not to Invoice would be dropped when a row is read and
    left out when it is written."""
    from kassa.services.billing.invoice_store import INVOICE_FIELDS, LINE_FIELDS
    from kassa.store.tables import invoice_lines, invoices

    assert {c.name for c in invoices.columns} == {*INVOICE_FIELDS, "seq", "environment",
                                                  "amount_due"}
    assert {c.name for c in invoice_lines.columns} == {*LINE_FIELDS, "seq", "environment"}
