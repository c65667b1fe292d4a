"""Invoice use cases behind the API: one-time invoices, issue, void, apply credits, and the
preview of a subscription's upcoming invoice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from kassa.domain.billing.boundary import LineDraft, plan_boundary
from kassa.domain.billing.drafts import Boundary, Customer, Measured, price
from kassa.domain.billing.terms import terms_of, terms_on
from kassa.domain.billing.totals import tax_line
from kassa.domain.errors import InvalidRequest, InvalidTransition
from kassa.domain.money import ZERO, round_money
from kassa.domain.subscription import Subscription, Version
from kassa.services.billing import credits
from kassa.services.billing import invoices as inv
from kassa.services.billing import run as billing_run
from kassa.services.billing import wallet_ledger as ledger
from kassa.services import environment_settings, fx
from kassa.services.billing.describe import describe
from kassa.services.context import Ctx
from kassa.services.customers import live_customer
from kassa.services.serialize import rfc3339
from kassa.store.queries import get_row
from kassa.store.tables import customers, metrics, products, subscriptions
from kassa.store.tables import subscription_versions


def create_one_time(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    """An invoice for one-off charges; issued at once unless ``auto_issue`` is false. Terms the
    request leaves out (or null) are the environment's Settings → Invoicing."""
    with ctx.uow() as uow:
        defaults = environment_settings.invoicing(uow)
        customer = live_customer(uow.conn, uow.environment, data["customer_id"])
        currency = data.get("currency") or customer["currency"]
        lines = []
        for index, line in enumerate(data["lines"]):
            if line.get("product_id"):
                get_row(uow.conn, products, uow.environment, line["product_id"], what="Product")
            quantity: Decimal = line.get("quantity") or Decimal(1)
            unit = line.get("unit_amount")
            amount = line.get("amount")
            if amount is None and unit is None:
                raise InvalidRequest("Give amount, or unit_amount with quantity.",
                                     field=f"lines[{index}].amount")
            total = round_money(amount if amount is not None else unit * quantity, currency)
            lines.append(LineDraft(kind="one_off", amount=total, product_id=line.get("product_id"),
                                   quantity=quantity, unit_amount=unit,
                                   description=line["description"]))
        taxable = sum((line.amount for line in lines), ZERO)
        tax = tax_line(taxable, customer["tax_rate"], bool(customer["tax_exempt"]), currency)
        if tax:
            lines.append(tax)
        draft = inv.prepare(
            uow,
            customer_id=customer["id"],
            currency=currency,
            kind="one_time",
            lines=lines,
            payment_terms=data.get("payment_terms") or defaults.payment_terms,
            auto_pay=_given_or(data.get("auto_pay"), defaults.auto_pay),
            memo=data.get("memo"),
            metadata=data.get("metadata"),
        )
        invoice = inv.store(uow, [draft])[0]
        if _given_or(data.get("auto_issue"), defaults.auto_issue):
            inv.issue_many(uow, [invoice])
        uow.commit()
    return inv.get_invoice(ctx, invoice.id)  # as collected (a job run as the commit returned)


def _given_or(value: bool | None, default: bool) -> bool:
    return default if value is None else bool(value)


def issue_invoice(ctx: Ctx, invoice_id: str) -> dict[str, Any]:
    with ctx.uow() as uow:
        invoice = inv.load(uow, invoice_id, for_update=True)
        invoice.require_draft()
        inv.issue_many(uow, [invoice])
        uow.commit()
    return inv.get_invoice(ctx, invoice_id)  # as collected (a job run as the commit returned)


def void_invoice(ctx: Ctx, invoice_id: str) -> dict[str, Any]:
    """Void an unpaid invoice: credits and wallet money it used come back."""
    with ctx.uow() as uow:
        invoice = inv.load(uow, invoice_id, for_update=True).voided(uow.now)
        credits.restore(uow, invoice_id)
        ledger.restore(uow, invoice_id)
        view = inv.invoice_view(inv.save(uow, invoice))
        uow.emit("invoice.voided", view)
        uow.commit()
    return view


def apply_credits(ctx: Ctx, invoice_id: str, amount: Decimal | None) -> dict[str, Any]:
    """Apply the customer's credit balance to an open invoice (all that fits, or ``amount``)."""
    with ctx.uow() as uow:
        invoice = inv.load(uow, invoice_id, for_update=True)
        invoice.require_open("apply credits to")
        if invoice.kind == "top_up":  # as at issue: credit never buys wallet money
            raise InvalidTransition(
                f"Invoice {invoice_id} is a wallet top-up; credits do not pay for top-ups."
            )
        due = invoice.amount_due
        wanted = inv.check_amount(due if amount is None else amount, due, "amount",
                                  "the amount due", invoice.currency)
        used = credits.apply_money(uow, invoice.customer_id, invoice.currency, wanted,
                                   invoice_id)
        if amount is not None and used < amount:
            raise InvalidRequest(
                f"The customer has only {used} of credit in {invoice.currency}.",
                field="amount",
            )
        invoice = invoice.with_credits(used)
        invoice = (inv.mark_paid(uow, invoice) if invoice.amount_due <= 0
                   else inv.save(uow, invoice))
        view = inv.invoice_view(invoice)
        uow.commit()
    return view


def upcoming_invoice(ctx: Ctx, sub_id: str) -> dict[str, Any]:
    """The invoice the next billing boundary will produce, with usage measured so far."""
    with ctx.uow(read_only=True) as uow:
        sub = Subscription.of(get_row(uow.conn, subscriptions, uow.environment, sub_id,
                                      what="Subscription"))
        if sub.next_billing_at is None:
            raise InvalidTransition(f"Subscription {sub_id} has no upcoming invoice: it is "
                                    f"{sub.status} and nothing more will be billed.")
        at = sub.next_billing_at
        if sub.cancel_at is not None:  # as the scheduler will end it before billing
            sub = replace(sub, canceled_at=sub.cancel_at)
            at = min(at, sub.cancel_at)
        versions = [Version.of(r) for r in uow.conn.execute(select(subscription_versions).where(
            subscription_versions.c.environment == uow.environment,
            subscription_versions.c.subscription_id == sub_id,
            subscription_versions.c.status == "published",
        )).mappings()]
        metric_rows = {r["id"]: r for r in uow.conn.execute(
            select(metrics).where(metrics.c.environment == uow.environment)).mappings()}
        names = {m: r["event_name"] for m, r in metric_rows.items()}
        # Converted prices at the newest rate known for the billing date (locked when billed).
        terms = (terms_on(sub, versions, names, at.date(), fx.Rates.of(uow).conversion)
                 if sub.converts else terms_of(sub, versions, names))
        slots = plan_boundary(terms, at)
        for slot in slots:  # usage so far: windows end now
            slot.windows = [replace(w, end=min(w.end, uow.now)) for w in slot.windows
                            if w.start < uow.now]
        boundary = Boundary(sub, terms, at, slots)
        usage = billing_run.aggregate(uow, metric_rows, [boundary])
        values = {w: usage.get((sub.id, w), ZERO) for w in boundary.windows}
        # Unit credits, spent as the billing run will spend them (same order), not consumed.
        ordered = sorted(values, key=lambda w: (w.start, w.metric_id))
        credited = dict(zip(ordered, credits.preview_units(
            uow.conn, uow.environment, sub.customer_id, uow.now,
            [(w.metric_id, values[w]) for w in ordered]), strict=True))
        for w, used in credited.items():
            values[w] -= used
        customer = uow.conn.execute(select(customers.c.tax_rate, customers.c.tax_exempt).where(
            customers.c.environment == uow.environment, customers.c.id == sub.customer_id
        )).one()
        lines = price(boundary, Measured(
            usage=values, credited=credited, prior_spend=billing_run.spend_before(uow, boundary),
        ), Customer(sub.customer_id, customer.tax_rate, bool(customer.tax_exempt)))
        describe(lines, billing_run.product_names(uow, slots), sub.currency)
        draft = inv.prepare(
            uow, customer_id=sub.customer_id, currency=sub.currency, kind=boundary.kind,
            lines=lines, payment_terms=sub.payment_terms, auto_pay=False, subscription_id=sub_id,
            fx=terms.fx,
        )
    view = inv.invoice_view(replace(draft, status="upcoming"))
    view.update(id=None, billing_date=rfc3339(at))
    return view
