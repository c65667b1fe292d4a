"""Hosted checkout sessions: ``POST /checkout-sessions`` makes one (``create_session``), its
page at ``/checkout/{id}`` shows the plan and completes it (``complete``).

Completion reuses the services, never re-implements billing, and is exactly-once:

1. One transaction, the session's row locked (``FOR UPDATE``; SQLite writers queue on
   ``BEGIN IMMEDIATE``): refused unless the session is open and unexpired; the customer is
   created unless the session has one, the card attached as the customer's default, and, on the
   first attempt, the subscription created and activated from the plan with auto-issue and
   auto-pay on (``create_in``: the same path as ``POST /subscriptions`` with
   ``auto_activate``). The session keeps the customer, subscription and first invoice ids, so a
   retried or doubled POST finds them and creates nothing again.
2. The first invoice's ``collect_payment`` job runs as that commit returns (``Ctx.jobs``), as
   for any auto-pay invoice. A later attempt (after a decline) charges the same invoice again
   with the new card (``retry_payment``).
3. A second transaction, the row locked again, reads the outcome: the invoice paid (or nothing
   to pay now: a trial, billing in arrears) sets ``complete`` and emits
   ``checkout.session.completed`` with the customer and the subscription; a declined payment
   leaves the session ``open`` with its reason in ``last_payment_error``.

A declined first payment keeps the customer and the active subscription with its unpaid first
invoice (the seller provisions on ``checkout.session.completed``, not on
``subscription.activated``); the next attempt pays that invoice, never a second subscription.

Expiry is real time (``Ctx.wall_clock``), as for portal links: an open session past
``expires_at`` becomes ``expired`` when it is next read or posted to (``expire``); one that
expires after a declined payment then voids that unpaid first invoice and cancels the
subscription at once, so an abandoned checkout leaves no live subscription behind (the customer
and the card stay).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.engine import RowMapping

from kassa.domain.errors import (
    Conflict,
    Gone,
    InvalidRequest,
    InvalidTransition,
    KassaError,
    NotFound,
    Unavailable,
)
from kassa.domain.money import decimal_str
from kassa.ids import new_id
from kassa.resources import render
from kassa.resources.customers import Customer
from kassa.services.billing import invoice_store, payment_setup
from kassa.services.billing import payments as pay
from kassa.services.context import Ctx
from kassa.services.customers import find_customer, insert_customer, resolve_customer
from kassa.services.links import absolute
from kassa.services.plans import live_plan
from kassa.services.serialize import rfc3339
from kassa.services.subscriptions.create import create_in
from kassa.services.subscriptions.records import load as load_subscription
from kassa.services.subscriptions.records import versions_of
from kassa.services.subscriptions.views import subscription_view
from kassa.store.tables import checkout_sessions, customers, invoices, payments
from kassa.store.uow import UnitOfWork

log = logging.getLogger("kassa.checkout")

DEFAULT_EXPIRES_IN = 86_400  # 24 hours
MIN_EXPIRES_IN = 1_800  # 30 minutes
MAX_EXPIRES_IN = 86_400

EXPIRED = ("This checkout link has expired. Go back to the company's site and start the "
           "checkout again.")
ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"  # in success_url: replaced by the session's id
COMPLETED = "This checkout is already complete: it cannot be paid again."


def success_target(session: Mapping[str, Any]) -> str:
    """Where a completed session sends the browser: ``success_url`` with
    ``{CHECKOUT_SESSION_ID}`` replaced by the session's id."""
    return str(session["success_url"]).replace(ID_PLACEHOLDER, session["id"])


def page_path(session_id: str) -> str:
    return f"/checkout/{session_id}"


def view(row: Mapping[str, Any], settings: Any, request_base: str | None,
         now: datetime | None = None) -> dict[str, Any]:
    """The session as the API answers it (``status`` expired once past ``expires_at``)."""
    status = row["status"]
    if status == "open" and now is not None and row["expires_at"] <= now:
        status = "expired"
    return {
        "id": row["id"],
        "url": absolute(settings, page_path(row["id"]), request_base),
        "status": status,
        "plan_id": row["plan_id"],
        "customer_id": row["customer_id"],
        "customer_details": row["customer"],
        "subscription_id": row["subscription_id"],
        "invoice_id": row["invoice_id"],
        "success_url": row["success_url"],
        "cancel_url": row["cancel_url"],
        "last_payment_error": row["last_payment_error"],
        "metadata": dict(row["metadata"] or {}),
        "created_at": rfc3339(row["created_at"]),
        "expires_at": rfc3339(row["expires_at"]),
        "completed_at": rfc3339(row["completed_at"]) if row["completed_at"] else None,
    }


# ------------------------------------------------------------------ the API


def create_session(ctx: Ctx, data: Mapping[str, Any], *, now: datetime,
                   request_base: str | None = None) -> dict[str, Any]:
    """A new open session for the plan ``plan_id`` of this environment: for the customer
    ``customer_id`` (billed in the plan's currency), or for a new customer the page creates
    from ``customer`` (details the page lets the customer complete), or from nothing."""
    with ctx.uow() as uow:
        plan = _plan(uow.conn, uow.environment, data["plan_id"])
        customer_id = None
        details = data.get("customer")
        if data.get("customer_id"):
            customer = resolve_customer(uow.conn, uow.environment, data["customer_id"])
            if customer["currency"] != plan["currency"]:
                raise InvalidRequest(
                    f"Customer {customer['id']} is billed in {customer['currency']}; plan "
                    f"{plan['id']} is priced in {plan['currency']}.", field="customer_id")
            customer_id = customer["id"]
        elif details:
            _check_new_customer(uow.conn, uow.environment, details, plan)
        row = {
            "environment": uow.environment, "id": new_id("cs"), "status": "open",
            "plan_id": plan["id"], "customer_id": customer_id,
            "customer": dict(details) if details else None,
            "success_url": data["success_url"], "cancel_url": data["cancel_url"],
            "csrf_token": secrets.token_urlsafe(32), "subscription_id": None,
            "invoice_id": None, "last_payment_error": None,
            "metadata": dict(data.get("metadata") or {}), "created_at": now,
            "expires_at": now + timedelta(seconds=data.get("expires_in") or DEFAULT_EXPIRES_IN),
            "completed_at": None,
        }
        uow.conn.execute(insert(checkout_sessions), row)
        uow.commit()
    return view(row, ctx.settings, request_base, now)


def get_session(ctx: Ctx, session_id: str, *, now: datetime,
                request_base: str | None = None) -> dict[str, Any]:
    """The session of this environment (NotFound for another environment's)."""
    return view(expire(ctx, session_id, now), ctx.settings, request_base, now)


def _plan(conn: Connection, environment: str, plan_id: str) -> RowMapping:
    try:
        return live_plan(conn, environment, plan_id)
    except NotFound as exc:
        raise NotFound(exc.detail, field="plan_id") from None


def _check_new_customer(conn: Connection, environment: str, details: Mapping[str, Any],
                        plan: Mapping[str, Any]) -> None:
    currency = details.get("currency")
    if currency and currency != plan["currency"]:
        raise InvalidRequest(f"Plan {plan['id']} is priced in {plan['currency']}, not {currency}.",
                             field="customer.currency")
    if details.get("id") and find_customer(conn, environment, details["id"]) is not None:
        raise Conflict(f"A customer with id or alias {details['id']!r} exists.",
                       field="customer.id")
    for k, alias in enumerate(details.get("aliases") or []):
        if find_customer(conn, environment, alias) is not None:
            raise Conflict(f"Alias {alias!r} already identifies a customer.",
                           field=f"customer.aliases[{k}]")


def _row(conn: Connection, session_id: str, *, environment: str | None = None,
         for_update: bool = False) -> RowMapping:
    stmt = select(checkout_sessions).where(checkout_sessions.c.id == session_id)
    if environment is not None:
        stmt = stmt.where(checkout_sessions.c.environment == environment)
    if for_update:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise NotFound(f"Checkout session {session_id!r} was not found.")
    return row


def _set(uow: UnitOfWork, row: Mapping[str, Any], **values: Any) -> RowMapping:
    uow.conn.execute(update(checkout_sessions).where(
        checkout_sessions.c.seq == row["seq"]).values(**values))
    return _row(uow.conn, row["id"])


def _expire_if_due(uow: UnitOfWork, row: RowMapping, now: datetime) -> RowMapping:
    if row["status"] == "open" and row["expires_at"] <= now:
        return _set(uow, row, status="expired")
    return row


def expire(ctx: Ctx, session_id: str, now: datetime) -> RowMapping:
    """The session's row, ``expired`` now if it is open past ``expires_at``. A session that
    expires after a declined payment releases what that attempt made: its unpaid first invoice
    is voided and its subscription canceled at once (the customer and the card stay). Once,
    under the row's lock; never while a charge is in flight."""
    with ctx.uow() as uow:
        row = _row(uow.conn, session_id, environment=uow.environment, for_update=True)
        was = row["status"]
        row = _expire_if_due(uow, row, now)
        release = (was == "open" and row["status"] == "expired"
                   and row["invoice_id"] is not None
                   and _last_payment(uow, row["invoice_id"]) == "failed")
        uow.commit()
    if release:
        _release(ctx, row)
    return row


def _release(ctx: Ctx, row: Mapping[str, Any]) -> None:
    from kassa.services.billing.invoice_actions import void_invoice
    from kassa.services.subscriptions.lifecycle import cancel

    try:
        with ctx.uow(read_only=True) as uow:
            invoice = invoice_store.load(uow, row["invoice_id"])
        if invoice.is_open and invoice.amount_paid == 0:
            void_invoice(ctx, invoice.id)
        cancel(ctx, row["subscription_id"], {
            "timing": "immediate", "reason": "other",
            "note": f"Checkout {row['id']} expired after a declined payment."})
    except KassaError as exc:  # changed by hand since (paid, voided, canceled): leave it be
        log.warning("releasing expired checkout %s: %s", row["id"], exc.detail)


# ------------------------------------------------------------------ the page


def environment_of(engine: Any, session_id: str) -> str:
    """The environment the session belongs to (its id is all the page has)."""
    with engine.connect() as conn:
        return str(_row(conn, session_id)["environment"])


@dataclass(frozen=True)
class Page:
    """What the checkout page shows: the session, its plan and its customer (None: new)."""

    session: dict[str, Any]
    csrf_token: str
    plan: dict[str, Any]
    customer: dict[str, Any] | None
    amount_due: str | None  # the first invoice's, once a payment was attempted
    # With a processor's hosted setup (Stripe): the customer's method it collected, if any.
    saved_method: dict[str, Any] | None = None


def page(ctx: Ctx, session_id: str, now: datetime) -> Page:
    """The open session's page; ``Gone`` once expired, ``Conflict`` once complete."""
    row = expire(ctx, session_id, now)
    if row["status"] == "expired":
        raise Gone(EXPIRED)
    if row["status"] == "open" and row["invoice_id"]:
        # A payment answered ``processing`` may have been settled since.
        conclude(ctx, session_id, now)
    with ctx.uow(read_only=True) as uow:
        row = _row(uow.conn, session_id, environment=uow.environment)
        if row["status"] == "complete":
            raise Conflict(COMPLETED)
        plan = dict(live_plan(uow.conn, uow.environment, row["plan_id"]))
        customer = None
        if row["customer_id"]:
            found = find_customer(uow.conn, uow.environment, row["customer_id"])
            customer = dict(found) if found is not None else None
        due = None
        if row["invoice_id"]:
            due = str(invoice_store.load(uow, row["invoice_id"]).amount_due)
        saved = (_saved_method(uow, row["customer_id"])
                 if row["customer_id"] and hosted_payments(ctx) else None)
    return Page(view(row, ctx.settings, None, now), row["csrf_token"], plan, customer, due,
                saved)


@dataclass(frozen=True)
class Outcome:
    """How an attempt to pay ended: ``complete``, ``declined`` (``reason``) or ``processing``
    (the processor has not answered yet)."""

    status: str
    session: dict[str, Any]
    reason: str | None = None


def card_payments(ctx: Ctx) -> bool:
    """Whether the page can take a card: the sandbox's simulated processor only (a processor
    of real cards brings its own page: ``hosted_payments``)."""
    return ctx.is_sandbox and getattr(ctx.processor, "name", None) == "sandbox"


def hosted_payments(ctx: Ctx) -> bool:
    """Whether the customer adds the payment method on the processor's page (Stripe)."""
    return payment_setup.hosted_setup(ctx) is not None


def _saved_method(uow: UnitOfWork, customer_id: str) -> dict[str, Any] | None:
    """The customer's default method that the processor collected (Stripe's hosted setup)."""
    method = pay.default_method(uow, customer_id)
    return method if method is not None and method["processor_ref"] else None


def start_hosted(ctx: Ctx, session_id: str, *, details: Mapping[str, Any], now: datetime,
                 request_base: str | None = None) -> str:
    """Off to the processor's page to add a payment method for the session: the customer is
    made first when the session has none (``details``: name, email), then the page's address
    (it sends the customer back to the checkout; the method arrives by its webhook)."""
    if not hosted_payments(ctx):
        raise Unavailable("Card payment is not available for this checkout.")
    if expire(ctx, session_id, now)["status"] == "expired":
        raise Gone(EXPIRED)
    with ctx.uow() as uow:
        row = _row(uow.conn, session_id, environment=uow.environment, for_update=True)
        if row["status"] == "expired":
            raise Gone(EXPIRED)
        if row["status"] == "complete":
            raise Conflict(COMPLETED)
        customer_id = row["customer_id"] or _new_customer(ctx, uow, row, details)
        if row["customer_id"] is None:
            _set(uow, row, customer_id=customer_id)
        uow.commit()
    back = absolute(ctx.settings, page_path(session_id), request_base)
    return payment_setup.setup_url(ctx, customer_id, success_url=f"{back}?setup=done",
                                   cancel_url=back)


def complete(ctx: Ctx, session_id: str, *, details: Mapping[str, Any],
             card: Mapping[str, Any] | None, now: datetime,
             request_base: str | None = None) -> Outcome:
    """Pay for the session with ``card`` ({"details": {brand, last4}, "test_behavior"}):
    ``details`` (name, email) make the customer when the session has none. See the module's
    docstring for the steps; ``Gone`` when expired, ``Conflict`` when already complete.
    ``card`` None: with the method the processor's hosted page collected (``start_hosted``)."""
    if not (card_payments(ctx) if card is not None else hosted_payments(ctx)):
        raise Unavailable("Card payment is not available for this checkout.")
    retry: tuple[str, str] | None = None
    if expire(ctx, session_id, now)["status"] == "expired":
        raise Gone(EXPIRED)
    with ctx.uow() as uow:
        row = _row(uow.conn, session_id, environment=uow.environment, for_update=True)
        if row["status"] == "expired":
            raise Gone(EXPIRED)
        if row["status"] == "complete":
            raise Conflict(COMPLETED)
        invoice = invoice_store.load(uow, row["invoice_id"]) if row["invoice_id"] else None
        if row["subscription_id"] is not None and (
                invoice is None or not invoice.is_open or invoice.amount_due <= 0
                or _last_payment(uow, invoice.id) != "failed"):
            # Nothing was due, it is paid since, or its charge is still in flight (a doubled
            # POST): nothing to charge again, only the outcome to read.
            pass
        else:
            if card is not None:
                customer_id = row["customer_id"] or _new_customer(ctx, uow, row, details)
                method = pay.attach_method(uow, customer_id, {
                    "type": "card", "details": dict(card["details"]),
                    "test_behavior": card.get("test_behavior"), "default": True})
            else:
                customer_id = row["customer_id"]
                saved = _saved_method(uow, customer_id) if customer_id else None
                if saved is None:
                    raise InvalidRequest("Add a payment method first.", field="payment_method")
                method = saved
            values: dict[str, Any] = {"customer_id": customer_id, "last_payment_error": None}
            if row["subscription_id"] is None:
                sub = create_in(uow, {
                    "customer_id": customer_id, "plan_id": row["plan_id"],
                    "auto_activate": True,
                    "billing": {"auto_issue_invoices": True, "auto_pay_invoices": True},
                    "metadata": {"checkout_session_id": row["id"]},
                })
                values.update(subscription_id=sub["id"],
                              invoice_id=_first_invoice(uow, sub["id"]))
            elif invoice is not None:
                retry = (invoice.id, method["id"])
            _set(uow, row, **values)
        uow.commit()
    # The first invoice's collect job has run as the commit returned; a retry charges now.
    if retry is not None:
        try:
            pay.retry_payment(ctx, *retry)
        except InvalidTransition:
            pass  # paid or processing meanwhile (a doubled POST): the outcome says which
    return conclude(ctx, session_id, now, request_base)


def _new_customer(ctx: Ctx, uow: UnitOfWork, row: Mapping[str, Any],
                  details: Mapping[str, Any]) -> str:
    plan = live_plan(uow.conn, uow.environment, row["plan_id"])
    data = {**(row["customer"] or {}), **{k: v for k, v in details.items() if v},
            "currency": plan["currency"]}
    data["metadata"] = {**(data.get("metadata") or {}), "checkout_session_id": row["id"]}
    if data.get("tax_rate") is not None:  # stored as JSON: its decimal string
        data["tax_rate"] = Decimal(str(data["tax_rate"]))
    return str(insert_customer(uow, data, ctx.settings.default_currency)["id"])


def _first_invoice(uow: UnitOfWork, subscription_id: str) -> str | None:
    """The subscription's first invoice (its activation bills it), if it has one yet."""
    return uow.conn.execute(
        select(invoices.c.id).where(invoices.c.environment == uow.environment,
                                    invoices.c.subscription_id == subscription_id,
                                    invoices.c.status != "draft")
        .order_by(invoices.c.seq).limit(1)
    ).scalar()


def conclude(ctx: Ctx, session_id: str, now: datetime,
             request_base: str | None = None) -> Outcome:
    """Read the attempt's outcome and, when the first invoice is paid (or nothing is due yet),
    complete the session: once, under the row's lock."""
    with ctx.uow() as uow:
        row = _row(uow.conn, session_id, environment=uow.environment, for_update=True)
        if row["status"] == "complete":
            return Outcome("complete", view(row, ctx.settings, request_base, now))
        if row["subscription_id"] is None:
            return Outcome("open", view(row, ctx.settings, request_base, now))
        invoice = invoice_store.load(uow, row["invoice_id"]) if row["invoice_id"] else None
        if invoice is None or invoice.status == "paid":
            row = _set(uow, row, status="complete", completed_at=now, last_payment_error=None)
            session = view(row, ctx.settings, request_base, now)
            uow.emit("checkout.session.completed", {
                **session,
                "customer": render(Customer, _customer_row(uow, row["customer_id"])),
                "subscription": _subscription(uow, row["subscription_id"]),
            })
            uow.commit()
            return Outcome("complete", session)
        last = _last(uow, invoice.id)
        if last is not None and last.status == "failed":
            reason = (last.failure_reason or "the payment was declined")[:500]
            row = _set(uow, row, last_payment_error=reason)
            uow.commit()
            return Outcome("declined", view(row, ctx.settings, request_base, now), reason)
        return Outcome("processing", view(row, ctx.settings, request_base, now))


def _last(uow: UnitOfWork, invoice_id: str) -> Any:
    """The invoice's latest payment (status, failure_reason), or None."""
    return uow.conn.execute(
        select(payments.c.status, payments.c.failure_reason).where(
            payments.c.environment == uow.environment, payments.c.invoice_id == invoice_id,
        ).order_by(payments.c.seq.desc()).limit(1)
    ).first()


def _last_payment(uow: UnitOfWork, invoice_id: str) -> str | None:
    last = _last(uow, invoice_id)
    return None if last is None else str(last.status)


def _customer_row(uow: UnitOfWork, customer_id: str) -> RowMapping:
    return uow.conn.execute(select(customers).where(
        customers.c.environment == uow.environment, customers.c.id == customer_id,
    )).mappings().one()


def _subscription(uow: UnitOfWork, subscription_id: str) -> dict[str, Any]:
    sub = load_subscription(uow.conn, uow.environment, subscription_id)
    return subscription_view(sub, versions_of(uow.conn, uow.environment, subscription_id),
                             uow.now)


# ------------------------------------------------------------------ the plan as the page shows it

EVERY = {"monthly": "month", "quarterly": "quarter", "semi_annual": "6 months", "yearly": "year"}


def plan_summary(ctx: Ctx, plan: Mapping[str, Any]) -> dict[str, Any]:
    """The plan's items with what each costs a period (``quote_price``, as ``POST
    /pricing/quote`` answers), usage-based items as such, the total of the fixed recurring
    fees when they share one interval, and the longest free trial of its prices."""
    from kassa.services.pricing import quote_price
    from kassa.store.tables import products

    currency = plan["currency"]
    priced: list[tuple[str | None, Mapping[str, Any]]] = []
    for item in plan["items"]:
        if item.get("bundle_id"):
            priced += [(item["bundle_id"], child) for child in item.get("items") or []]
        else:
            priced.append((None, item))
    ids = sorted({i["product_id"] for _, i in priced if i.get("product_id")})
    with ctx.uow(read_only=True) as uow:
        names = dict(uow.conn.execute(select(products.c.id, products.c.name).where(
            products.c.environment == uow.environment, products.c.id.in_(ids))).all()) if ids else {}
    lines, intervals, total, trial = [], set(), None, 0
    for _, item in priced:
        price = item["price"]
        every = EVERY.get(price.get("billing_interval"), price.get("billing_interval") or "")
        one_off = price.get("billing_frequency") == "one-off"
        trial = max(trial, int(price.get("trial_period_days") or 0))
        line: dict[str, Any] = {"name": names.get(item.get("product_id"), item.get("product_id")),
                                "quantity": item.get("quantity"), "every": every,
                                "one_off": one_off, "amount": None}
        if price.get("fee_type") == "fixed":
            amount = quote_price(ctx, price, currency, int(item.get("quantity") or 1), {})["amount"]
            line["amount"] = amount
            if not one_off:
                intervals.add(every)
                total = Decimal(amount) + (total or Decimal(0))
        lines.append(line)
    return {
        "name": plan["name"], "description": plan.get("description"), "currency": currency,
        "lines": lines, "trial_days": trial,
        "total": decimal_str(total) if total is not None and len(intervals) == 1 else None,
        "every": next(iter(intervals)) if len(intervals) == 1 else None,
    }
