"""A payment processor's webhook events (Stripe), applied exactly once and in any order.

The processor redelivers and reorders events. Each event id is stored (``processor_events``)
in the transaction that applies its effects, so a redelivered event finds its row and changes
nothing; and every effect is a transition that only happens once and only forwards:

- a payment notice concludes a ``processing`` payment (``collection.conclude``: the invoice paid
  and ``payment.succeeded``, or ``payment.failed`` and the retry schedule); a payment already
  concluded (the card answered at once, or an earlier event) is left as it is, so a
  ``payment_failed`` arriving after ``succeeded`` changes nothing;
- a refund notice concludes the payment's pending refunds the processor has concluded;
- a method notice attaches the collected payment method to the customer of the processor's
  customer, once per processor reference (``checkout.session.completed`` and
  ``setup_intent.succeeded`` of one setup attach one method).

A payment notice for a payment Kassa made but has not recorded yet (the event overtook the
collect job's commit) is refused with ``Unavailable`` without storing the event: the processor
delivers it again later.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from kassa.domain.errors import InvalidRequest, Unavailable
from kassa.payments import MethodNotice, Notice, PaymentNotice, RefundNotice
from kassa.services.billing import collection, refunds
from kassa.services.billing import invoices as inv
from kassa.services.billing import payments as pay
from kassa.services.context import Ctx
from kassa.store.tables import payment_methods, payments, processor_customers, processor_events
from kassa.store.uow import UnitOfWork


def apply(ctx: Ctx, processor: str, event_id: str, event_type: str,
          notice: Notice | None) -> str:
    """Apply one event once: ``applied`` (it changed something), ``unchanged`` (what it says
    was already so), ``ignored`` (not an event Kassa acts on), ``refused`` (a method for an archived customer) or ``duplicate`` (seen before)."""
    try:
        with ctx.uow() as uow:
            if _seen(uow, processor, event_id):
                return "duplicate"
            outcome = "ignored" if notice is None else _apply(uow, processor, notice)
            uow.conn.execute(insert(processor_events).values(
                environment=uow.environment, processor=processor, event_id=event_id,
                type=event_type[:100], outcome=outcome, received_at=uow.now))
            uow.commit()
    except IntegrityError:  # the same event, applied by a concurrent delivery
        return "duplicate"
    return outcome


def _seen(uow: UnitOfWork, processor: str, event_id: str) -> bool:
    return uow.conn.execute(select(processor_events.c.event_id).where(
        processor_events.c.environment == uow.environment,
        processor_events.c.processor == processor,
        processor_events.c.event_id == event_id)).first() is not None


def _apply(uow: UnitOfWork, processor: str, notice: Notice) -> str:
    if isinstance(notice, PaymentNotice):
        return _payment(uow, notice)
    if isinstance(notice, RefundNotice):
        return _refunds(uow, notice)
    assert isinstance(notice, MethodNotice)
    return _method(uow, processor, notice)


def _payment_row(uow: UnitOfWork, reference: str, *, for_update: bool = False) -> Any:
    query = select(payments).where(payments.c.environment == uow.environment,
                                   payments.c.processor_ref == reference)
    if for_update:
        query = query.with_for_update()
    return uow.conn.execute(query).mappings().first()


def _payment(uow: UnitOfWork, notice: PaymentNotice) -> str:
    found = _payment_row(uow, notice.reference)
    if found is None:
        if notice.ours:
            raise Unavailable(f"Payment {notice.reference} is not recorded yet; deliver the "
                              "event again later.")
        return "ignored"  # a payment of the processor's account that Kassa did not make
    if found["status"] != "processing":
        return "unchanged"
    invoice = inv.load(uow, found["invoice_id"], for_update=True)  # invoice, then payment
    payment = dict(_payment_row(uow, notice.reference, for_update=True))
    if payment["status"] != "processing":
        return "unchanged"
    collection.conclude(uow, payment, invoice, notice.result)
    return "applied"


def _refunds(uow: UnitOfWork, notice: RefundNotice) -> str:
    found = _payment_row(uow, notice.payment_reference)
    if found is None:
        return "ignored"
    return "applied" if refunds.settle_refunds(uow, found["id"], notice.refunds) else "unchanged"


def _method(uow: UnitOfWork, processor: str, notice: MethodNotice) -> str:
    method = notice.method
    customer_id = uow.conn.execute(select(processor_customers.c.customer_id).where(
        processor_customers.c.environment == uow.environment,
        processor_customers.c.processor == processor,
        processor_customers.c.reference == method.customer_reference)).scalar()
    if customer_id is None:
        return "ignored"  # a customer of the processor's account that is not Kassa's
    pay.lock_customer(uow.conn, uow.environment, customer_id)
    known = uow.conn.execute(select(payment_methods.c.id).where(
        payment_methods.c.environment == uow.environment,
        payment_methods.c.processor_ref == method.reference)).first()
    if known is not None:
        return "unchanged"
    try:
        pay.attach_method(uow, customer_id, {"type": method.type, "details": method.details,
                                             "default": True},
                          processor_ref=method.reference,
                          processor_customer=method.customer_reference)
    except InvalidRequest:  # archived since the setup began: it takes nothing new
        return "refused"
    return "applied"
