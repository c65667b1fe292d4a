"""Collecting a payment method on the processor's hosted page (Stripe Checkout in setup mode).

The customer's processor customer is made on first need and kept (``processor_customers``);
both calls to the processor happen with no transaction open. The method itself arrives by the
processor's webhook (``processor_events``), attached to the customer then.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from kassa.domain.errors import Unavailable
from kassa.services.context import Ctx
from kassa.services.customers import live_customer
from kassa.store.tables import processor_customers


def hosted_setup(ctx: Ctx) -> Any | None:
    """The environment's processor when it collects methods on a page of its own, else None."""
    processor = ctx.processor
    return processor if callable(getattr(processor, "setup_session", None)) else None


def setup_url(ctx: Ctx, customer_ref: str, *, success_url: str, cancel_url: str) -> str:
    """The address of the processor's page where the customer adds a payment method."""
    processor = hosted_setup(ctx)
    if processor is None:
        raise Unavailable("This environment has no payment processor with a hosted setup page.")
    reference, customer = processor_customer(ctx, processor, customer_ref)
    return str(processor.setup_session(reference, kassa_customer_id=customer["id"],
                                       success_url=success_url, cancel_url=cancel_url))


def processor_customer(ctx: Ctx, processor: Any, customer_ref: str,
                       ) -> tuple[str, dict[str, Any]]:
    """The processor's customer of a Kassa customer (made now when it has none) and the
    Kassa customer."""
    with ctx.uow(read_only=True) as uow:
        customer = dict(live_customer(uow.conn, uow.environment, customer_ref))
        reference = _known(uow.conn, ctx.environment, processor.name, customer["id"])
    if reference is not None:
        return reference, customer
    # The same key for every try: two at once (or a retry) get one processor customer.
    made = processor.create_customer(
        {"id": customer["id"], "name": customer.get("name"), "email": customer.get("email")},
        idempotency_key=f"kassa-customer:{ctx.environment}:{customer['id']}")
    try:
        with ctx.uow() as uow:
            uow.conn.execute(insert(processor_customers).values(
                environment=uow.environment, processor=processor.name,
                customer_id=customer["id"], reference=made, created_at=uow.now))
            uow.commit()
    except IntegrityError:  # kept by a concurrent request meanwhile
        with ctx.uow(read_only=True) as uow:
            kept = _known(uow.conn, ctx.environment, processor.name, customer["id"])
        if kept is None:
            raise
        return kept, customer
    return str(made), customer


def _known(conn: Any, environment: str, processor: str, customer_id: str) -> str | None:
    return conn.execute(select(processor_customers.c.reference).where(
        processor_customers.c.environment == environment,
        processor_customers.c.processor == processor,
        processor_customers.c.customer_id == customer_id)).scalar()
