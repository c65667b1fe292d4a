"""Invoices and their lines as responses and payloads show them (``render_object`` renders
``kassa.domain.billing.invoice.Invoice`` directly: ``amount_due`` is its property)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from kassa.resources.fields import (
    Convert,
    DateString,
    DecimalString,
    From,
    ResponseSchema,
    Timestamp,
)
from kassa.resources.fx import InvoiceFx


def _document(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(value or {})


def _fx(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else dict(value)


class InvoiceLine(ResponseSchema):
    id: str
    kind: str
    description: str
    product_id: str | None
    bundle_id: str | None
    metric_id: str | None
    quantity: DecimalString | None
    unit_amount: DecimalString | None
    amount: DecimalString
    period_start: DateString | None
    period_end: DateString | None
    details: dict[str, Any]


class Invoice(ResponseSchema):
    id: str | None = Field(description="None on an upcoming invoice, which is not stored")
    number: str | None
    customer_id: str
    subscription_id: str | None
    kind: str
    status: str
    currency: str
    billing_period_start: DateString | None
    billing_period_end: DateString | None
    issue_date: DateString | None
    due_date: DateString | None
    payment_terms: str
    line_items: Annotated[list[InvoiceLine], From("lines")]
    subtotal: DecimalString
    discount: DecimalString
    tax: DecimalString
    total: DecimalString
    credits_applied: DecimalString
    wallet_applied: DecimalString
    amount_paid: DecimalString
    amount_credited: DecimalString
    amount_due: DecimalString
    memo: str | None
    metadata: Annotated[dict[str, Any], Convert(_document)]
    fx: Annotated[InvoiceFx | None, Convert(_fx)] = Field(
        None, description="Prices converted from another currency: the rate used, locked at "
        "the invoice date (null: nothing converted; prices from a currency option are not)")
    issued_at: Timestamp | None
    paid_at: Timestamp | None
    voided_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class UpcomingInvoice(Invoice):
    billing_date: Timestamp
