"""An invoice and its lines, typed and immutable; what is due is derived, never kept by hand.

Status: draft → issued → paid | payment_failed | overdue, or void. A change is a method that
returns a new ``Invoice`` (the status rules live here); the services store it.

``amount_due`` is the total less what paid for it (monetary credit, wallet balance, payments)
and less what credit notes took off it. A credit note resolved as a refund gives money back
instead: it counts in ``amount_credited`` but not off what is due (``credited_as_refund``). A
paid or void invoice has nothing due, whatever it was paid with (a payment can have been more
than was left: the rest is an overpayment, not a negative amount due).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import MAX_PREC, Context, Decimal
from functools import cached_property
from typing import Any

from kassa.domain.billing.boundary import LineDraft
from kassa.domain.billing.totals import totals
from kassa.domain.errors import InvalidTransition
from kassa.domain.money import ZERO, round_money

OPEN = ("issued", "payment_failed", "overdue")
SETTLED = ("paid", "void")
# Sums and differences of stored amounts are exact (nothing is divided): no rounding to the
# 28 digits of Python's default context, inside a unit of work or not.
_EXACT = Context(prec=MAX_PREC)


@dataclass(frozen=True)
class InvoiceLine:
    """One stored line of an invoice (``position`` orders them)."""

    id: str
    invoice_id: str
    position: int
    kind: str
    description: str
    product_id: str | None
    bundle_id: str | None
    metric_id: str | None
    quantity: Decimal | None
    unit_amount: Decimal | None
    amount: Decimal
    period_start: date | None
    period_end: date | None
    details: Mapping[str, Any]

    @classmethod
    def of(cls, draft: LineDraft, *, id: str, invoice_id: str, position: int) -> InvoiceLine:
        """The line ``draft`` becomes at ``position`` of invoice ``invoice_id``."""
        period = draft.period
        return cls(
            id=id, invoice_id=invoice_id, position=position, kind=draft.kind,
            description=draft.description or draft.kind.replace("_", " ").capitalize(),
            amount=draft.amount, product_id=draft.product_id, bundle_id=draft.bundle_id,
            metric_id=draft.metric_id, quantity=draft.quantity, unit_amount=draft.unit_amount,
            period_start=period[0] if period else None, period_end=period[1] if period else None,
            details=draft.details,
        )


@dataclass(frozen=True)
class Invoice:
    id: str
    customer_id: str
    kind: str  # subscription | proration | final | one_time | top_up
    currency: str
    status: str
    payment_terms: str
    auto_pay: bool
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    credits_applied: Decimal
    wallet_applied: Decimal
    amount_paid: Decimal
    amount_credited: Decimal
    created_at: datetime
    updated_at: datetime
    lines: tuple[InvoiceLine, ...] = ()
    # The part of ``amount_credited`` refunded (credit notes resolved as refunds).
    credited_as_refund: Decimal = ZERO
    number: str | None = None
    subscription_id: str | None = None
    billing_key: str | None = None  # one invoice per subscription, boundary and kind
    billing_period_start: date | None = None
    billing_period_end: date | None = None
    issue_date: date | None = None
    due_date: date | None = None
    memo: str | None = None
    metadata: Mapping[str, Any] | None = None
    wallet_id: str | None = None  # a top-up: the wallet credited once it is paid
    # Prices converted from another currency: the rate locked at the invoice date
    # (``kassa.domain.fx.Conversion.to_dict``); None when nothing was converted.
    fx: Mapping[str, Any] | None = None
    issued_at: datetime | None = None
    paid_at: datetime | None = None
    voided_at: datetime | None = None
    overdue_at: datetime | None = None

    @classmethod
    def draft(cls, *, id: str, line_id: Callable[[], str], customer_id: str, currency: str,
              kind: str, lines: Sequence[LineDraft], payment_terms: str, auto_pay: bool,
              at: datetime, **optional: Any) -> Invoice:
        """A draft of ``lines`` (each line's id from ``line_id()``). More credit than charge:
        the rest goes to the customer's credit balance, as a line and ``carried_to_credit``."""
        lines = list(lines)
        total = totals(lines, currency)
        metadata = dict(optional.pop("metadata", None) or {})
        if total.total < 0:
            carried = -total.total
            lines.append(LineDraft(kind="adjustment", amount=carried,
                                   description="Carried to credit balance"))
            total = totals(lines, currency)
            metadata["carried_to_credit"] = format(carried, "f")
        periods = [line.period for line in lines if line.period]
        zero = round_money(ZERO, currency)
        return cls(
            id=id, customer_id=customer_id, kind=kind, currency=currency, status="draft",
            payment_terms=payment_terms, auto_pay=auto_pay, subtotal=total.subtotal,
            discount=total.discount, tax=total.tax, total=total.total, credits_applied=zero,
            wallet_applied=zero, amount_paid=zero, amount_credited=zero, created_at=at,
            updated_at=at, metadata=metadata,
            lines=tuple(InvoiceLine.of(line, id=line_id(), invoice_id=id, position=position)
                        for position, line in enumerate(lines)),
            billing_period_start=min((p[0] for p in periods), default=None),
            billing_period_end=max((p[1] for p in periods), default=None),
            **optional,
        )

    # ---------------------------------------------------------------- derived

    @cached_property  # an Invoice never changes: computed once
    def amount_due(self) -> Decimal:
        if self.status in SETTLED:
            return round_money(ZERO, self.currency)
        # The exact context's own methods: entering a local context costs more than the sum.
        sub = _EXACT.subtract
        credited = sub(self.amount_credited, self.credited_as_refund)
        return sub(sub(sub(sub(self.total, self.credits_applied), self.wallet_applied),
                       self.amount_paid), credited)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def carried_to_credit(self) -> Decimal | None:
        """Credit the draft carried to the customer's balance (more credit than charge)."""
        carried = (self.metadata or {}).get("carried_to_credit")
        return Decimal(carried) if carried else None

    # ---------------------------------------------------------------- status rules

    def require_open(self, action: str) -> None:
        if not self.is_open:
            raise InvalidTransition(f"Cannot {action} invoice {self.id}: it is {self.status}.")

    def require_draft(self) -> None:
        if self.status != "draft":
            raise InvalidTransition(
                f"Invoice {self.id} is {self.status}; only a draft can be issued.")

    # ---------------------------------------------------------------- changes

    def _replace(self, **changes: Any) -> Invoice:
        """``dataclasses.replace`` without running ``__init__`` again (nothing to check there;
        35 fields: a billing run issues thousands), and without the cached ``amount_due``."""
        if not changes.keys() <= _FIELDS:
            raise TypeError(f"not fields of Invoice: {sorted(changes.keys() - _FIELDS)}")
        copied = object.__new__(Invoice)
        values = copied.__dict__
        values.update(self.__dict__)
        values.pop("amount_due", None)
        values.update(changes)
        return copied

    def issued(self, number: str, on: date, due: date, at: datetime) -> Invoice:
        """Numbered and dated: ``on`` the issue date, ``due`` its due date, issued ``at``."""
        self.require_draft()
        return self._replace(number=number, status="issued", issue_date=on, due_date=due,
                       issued_at=at, updated_at=at)

    def with_credits(self, amount: Decimal) -> Invoice:
        """``amount`` of monetary credit spent on it."""
        return self._replace(credits_applied=self.credits_applied + amount)

    def with_wallet(self, amount: Decimal) -> Invoice:
        """``amount`` of wallet balance spent on it."""
        return self._replace(wallet_applied=self.wallet_applied + amount)

    def settled(self, amount: Decimal) -> Invoice:
        """``amount`` received; the caller marks it paid once nothing is due."""
        return self._replace(amount_paid=self.amount_paid + amount)

    def credited(self, amount: Decimal, *, refund: bool) -> Invoice:
        """A credit note of ``amount``: off what is due, or (``refund``) given back as money."""
        return self._replace(amount_credited=self.amount_credited + amount,
                       credited_as_refund=self.credited_as_refund + (amount if refund else ZERO))

    def paid(self, at: datetime) -> Invoice:
        return self._replace(status="paid", paid_at=at)

    def payment_failed(self) -> Invoice:
        """A charge was declined: an issued invoice is payment_failed (an overdue one stays
        overdue)."""
        return self._replace(status="payment_failed") if self.status == "issued" else self

    def overdue(self, at: datetime) -> Invoice:
        return self._replace(status="overdue", overdue_at=at)

    def voided(self, at: datetime) -> Invoice:
        """Void an unpaid invoice (a draft or an open one without payments)."""
        if self.status != "draft" and not self.is_open:
            raise InvalidTransition(f"Cannot void invoice {self.id}: it is {self.status}.")
        if self.amount_paid > 0:
            raise InvalidTransition(
                f"Invoice {self.id} has payments; refund them with a credit note instead of "
                "voiding it."
            )
        return self._replace(status="void", voided_at=at)


_FIELDS = frozenset(f.name for f in fields(Invoice))
