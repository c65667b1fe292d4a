"""Payment methods, payments and refunds as the API and webhooks show them."""

from __future__ import annotations

from kassa.resources.fields import DecimalString, ResponseSchema, Timestamp


class PaymentMethod(ResponseSchema):
    id: str
    customer_id: str
    type: str
    details: dict[str, str]
    test_behavior: str | None
    is_default: bool
    created_at: Timestamp
    updated_at: Timestamp


class PaymentMethodList(ResponseSchema):
    data: list[PaymentMethod]


class Payment(ResponseSchema):
    id: str
    customer_id: str
    invoice_id: str | None
    payment_method_id: str | None
    method: str
    amount: DecimalString
    amount_refunded: DecimalString
    currency: str
    status: str
    failure_reason: str | None
    processor_ref: str | None
    reference: str | None
    created_at: Timestamp
    updated_at: Timestamp


class Refund(ResponseSchema):
    id: str
    customer_id: str
    payment_id: str
    credit_note_id: str | None
    amount: DecimalString
    currency: str
    status: str
    reason: str | None
    created_at: Timestamp
    updated_at: Timestamp
