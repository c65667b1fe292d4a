"""What the portal pages show and change, for one customer: always the visit's customer, and an
object id from a URL or a form only when it is that customer's own (another customer's id is
the same ``NotFound`` as an id that does not exist, so a page never tells them apart).

Each function calls the services the API calls: subscriptions, the upcoming invoice, the
Changes API, cancellation, invoices and their PDFs, payment methods, the customer's details."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from kassa.domain.errors import InvalidRequest, InvalidTransition, NotFound
from kassa.domain.items import priced_items
from kassa.resources.settings import CustomerPortalSettings
from kassa.services import customers, environment_settings, plans
from kassa.services import subscriptions as subs
from kassa.services.billing import documents, invoices, payments
from kassa.services.billing.invoice_actions import upcoming_invoice
from kassa.services.common import names_by_id
from kassa.services.context import Ctx
from kassa.services.usage import customer_usage
from kassa.store.queries import ListQuery, Page
from kassa.store.tables import plans as plan_table
from kassa.store.tables import products

LIVE = ["active", "paused"]
# Invoices a customer sees: every issued one (drafts are the seller's work in progress).
SHOWN_INVOICES = ["issued", "payment_failed", "overdue", "paid", "void"]
PAYABLE = ("issued", "payment_failed", "overdue")
INVOICES_PER_PAGE = 20
EVERY = {"monthly": "month", "quarterly": "quarter", "semi_annual": "six months",
         "yearly": "year"}
# The documented cancellation reasons, as a customer reads them.
CANCEL_REASONS = [
    ("no_longer_required", "I no longer need it"),
    ("pricing", "It is too expensive"),
    ("features", "It is missing features I need"),
    ("support", "I am unhappy with the support"),
    ("moving_provider", "I am moving to another provider"),
    ("other", "Another reason"),
]


def _query(filters: dict[str, list[str]], *, limit: int = 100, offset: int = 0) -> ListQuery:
    return ListQuery(limit=limit, offset=offset, sort=("created_at", "desc"), filters=filters)


def portal_settings(ctx: Ctx) -> CustomerPortalSettings:
    """The environment's live portal settings (retention offer, plans available)."""
    with ctx.uow(read_only=True) as uow:
        return environment_settings.read(uow.conn, uow.environment, CustomerPortalSettings)


# ------------------------------------------------------------------ subscriptions


def owned_subscription(ctx: Ctx, customer_id: str, sub_id: str) -> dict[str, Any]:
    try:
        sub = subs.get_subscription(ctx, sub_id)
    except NotFound:
        sub = None
    if sub is None or sub["customer_id"] != customer_id:
        raise NotFound(f"You have no subscription {sub_id!r}.")
    return sub


def price_text(price: Mapping[str, Any], currency: str) -> str:
    """A price as a customer reads it: ``99.00 USD per month``, ``0.01 USD per unit, billed
    each month``, ``Tiered pricing, billed each month``."""
    per = EVERY.get(price.get("billing_interval", ""), price.get("billing_interval", ""))
    once = price.get("billing_frequency") == "one-off"
    billed = "billed once" if once else f"billed each {per}"
    kind = str(price.get("type", ""))
    model = price.get(f"{kind}_pricing_model") or {}
    if kind == "fixed" and model.get("price_per_unit") is not None:
        amount = Decimal(str(model["price_per_unit"])) * Decimal(str(model.get("units") or 1))
        return f"{amount} {currency} {'once' if once else 'per ' + per}"
    if model.get("price_per_unit") is not None:
        return f"{model['price_per_unit']} {currency} per unit, {billed}"
    if model.get("tiers"):
        return f"Tiered pricing, {billed}"
    return f"{kind.replace('_', ' ').capitalize() or 'Usage'} pricing, {billed}"


def _items(ctx: Ctx, sub: Mapping[str, Any]) -> list[dict[str, Any]]:
    versions = subs.list_versions(ctx, sub["id"])
    current = next((v for v in versions if v["id"] == sub["current_version_id"]), None)
    if current is None:
        return []
    found = list(priced_items(current["items"]))
    names = names_by_id(ctx, products, [child["product_id"] for _, child in found])
    return [{"name": names.get(child["product_id"], child["product_id"]),
             # A metered price bills what is used: it has no quantity of its own.
             "quantity": (None if child["price"].get("fee_type") == "metered"
                          else child.get("quantity", 1)),
             "price": price_text(child["price"], sub["currency"])} for _, child in found]


def _upcoming(ctx: Ctx, sub_id: str) -> dict[str, Any] | None:
    try:
        view = upcoming_invoice(ctx, sub_id)
    except InvalidTransition:  # nothing more will be billed
        return None
    return {"date": view["billing_date"][:10], "total": view["total"],
            "currency": view["currency"], "lines": view["line_items"]}


def plan_overview(ctx: Ctx, customer_id: str) -> list[dict[str, Any]]:
    """Each live subscription: its plan, items, next invoice (date and amount) and contract."""
    found = subs.list_subscriptions(ctx, _query({"customer_id": [customer_id], "status": LIVE}))
    plan_names = names_by_id(ctx, plan_table, [s["plan_id"] for s in found.rows if s["plan_id"]])
    shown = []
    for sub in found.rows:
        shown.append({
            "sub": sub,
            "plan_name": plan_names.get(sub["plan_id"] or "", sub["name"] or "Subscription"),
            "contents": _items(ctx, sub),
            "upcoming": _upcoming(ctx, sub["id"]),
            "contract_end": (sub["contract"] or {}).get("end_date"),
            "cancel_at": ((sub["cancellation"] or {}).get("effective_at")
                          if sub["cancellation"] else None),
        })
    return shown


def cancel_at_period_end(ctx: Ctx, customer_id: str, sub_id: str, reason: str,
                         note: str | None) -> dict[str, Any]:
    """Cancel at the end of the current term, with the customer's reason."""
    sub = owned_subscription(ctx, customer_id, sub_id)
    if reason not in dict(CANCEL_REASONS):
        raise InvalidRequest("Choose a reason from the list.", field="reason")
    if sub["status"] not in LIVE:
        raise InvalidRequest("This subscription has already ended.", field="form")
    if sub["cancellation"] and sub["cancellation"].get("effective_at"):
        raise InvalidRequest("This subscription is already set to end.", field="form")
    return subs.cancel(ctx, sub["id"], {"reason": reason, "timing": "end_of_term",
                                        "note": note or None})


def plan_choices(ctx: Ctx, sub: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The plans this subscription may move to: those marked available in the portal, live,
    in the subscription's currency, other than its own."""
    wanted = [p for p in portal_settings(ctx).available_plan_ids if p != sub["plan_id"]]
    if not wanted:
        return []
    rows = plans.list_plans(ctx, _query({"id": wanted, "currency": [sub["currency"]]})).rows
    order = {plan_id: i for i, plan_id in enumerate(wanted)}
    return sorted(rows, key=lambda p: order.get(p["id"], 0))


def _chosen_plan(ctx: Ctx, sub: Mapping[str, Any], plan_id: str) -> dict[str, Any]:
    chosen = next((p for p in plan_choices(ctx, sub) if p["id"] == plan_id), None)
    if chosen is None:
        raise InvalidRequest("Choose one of the plans listed.", field="plan_id")
    return chosen


# How a price is written down before it is stored (the API's canonical form, handed in by the
# pages: services never import the API layer).
Normalize = Callable[[Any], Any]


def preview_plan_change(ctx: Ctx, customer_id: str, sub_id: str, plan_id: str,
                        normalize: Normalize) -> dict[str, Any]:
    """What moving to ``plan_id`` does. An upgrade (the change costs more) applies at once with
    its proration; a downgrade waits for the end of the billing period (the lifecycle
    document's best practice), so nothing is prorated."""
    sub = owned_subscription(ctx, customer_id, sub_id)
    plan = _chosen_plan(ctx, sub, plan_id)
    now = subs.change_subscription(ctx, sub["id"], _plan_change(plan_id, "immediate"),
                                   normalize, preview=True)
    net = Decimal((now["proration"] or {}).get("net", "0"))
    if net > 0:
        return {"plan": plan, "kind": "upgrade", "effective": "immediate", "preview": now,
                "net": now["proration"]["net"]}
    later = subs.change_subscription(ctx, sub["id"], _plan_change(plan_id, "billing_cycle_start"),
                                     normalize, preview=True)
    return {"plan": plan, "kind": "downgrade", "effective": "billing_cycle_start",
            "preview": later, "net": None}


def change_plan(ctx: Ctx, customer_id: str, sub_id: str, plan_id: str,
                normalize: Normalize) -> dict[str, Any]:
    """Apply the change the preview showed (decided again: prices may have moved since)."""
    decided = preview_plan_change(ctx, customer_id, sub_id, plan_id, normalize)
    result = subs.change_subscription(ctx, sub_id, _plan_change(plan_id, decided["effective"]),
                                      normalize, preview=False)
    return {**decided, "result": result}


def _plan_change(plan_id: str, effective: str) -> dict[str, Any]:
    return {"add": [], "remove": [], "update": [], "plan_id": plan_id, "effective": effective,
            "proration": "full", "source_version_id": None, "draft": False,
            "description": "Plan changed by the customer in the billing portal"}


# ------------------------------------------------------------------ usage


def usage(ctx: Ctx, customer_id: str) -> list[dict[str, Any]]:
    """The current period's usage per metric, by day, with what it costs so far (the upcoming
    invoice's lines for that metric)."""
    entries = customer_usage.customer_usage(ctx, customer_id, None, None, "day")["data"]
    upcoming = {sub_id: _upcoming(ctx, sub_id)
                for sub_id in {entry["subscription_id"] for entry in entries}}
    shown = []
    for entry in entries:
        coming = upcoming.get(entry["subscription_id"])
        lines = [line for line in (coming or {}).get("lines", [])
                 if line["metric_id"] == entry["metric_id"]]
        cost = sum((Decimal(line["amount"]) for line in lines), Decimal(0))
        shown.append({**entry, "cost": str(cost) if lines else None,
                      "currency": coming["currency"] if coming else None})
    return shown


# ------------------------------------------------------------------ invoices


def invoice_page(ctx: Ctx, customer_id: str, page_number: int) -> Page:
    return invoices.list_invoices(ctx, _query(
        {"customer_id": [customer_id], "status": SHOWN_INVOICES},
        limit=INVOICES_PER_PAGE, offset=(page_number - 1) * INVOICES_PER_PAGE))


def invoice_pdf(ctx: Ctx, customer_id: str, invoice_id: str) -> tuple[bytes, str]:
    """The PDF of one of the customer's issued invoices, and its file name."""
    invoice = owned_invoice(ctx, customer_id, invoice_id)
    return documents.invoice_pdf(ctx, invoice["id"]), f"{invoice['number'] or invoice['id']}.pdf"


def payable(ctx: Ctx, shown: list[dict[str, Any]]) -> set[str]:
    """The ids among ``shown`` that Pay now can pay: open, something due, and a processor."""
    if ctx.processor is None:
        return set()
    return {i["id"] for i in shown if i["status"] in PAYABLE and Decimal(i["amount_due"]) > 0}


def pay_invoice(ctx: Ctx, customer_id: str, invoice_id: str) -> dict[str, Any]:
    """Pay now: credit and wallet first, then the default payment method (the collect job runs
    as the request commits): the payment, or None when balances covered it, and the invoice."""
    owned_invoice(ctx, customer_id, invoice_id)
    return payments.retry_payment(ctx, invoice_id, None)


def owned_invoice(ctx: Ctx, customer_id: str, invoice_id: str) -> dict[str, Any]:
    try:
        invoice = invoices.get_invoice(ctx, invoice_id)
    except NotFound:
        invoice = None
    if invoice is None or invoice["customer_id"] != customer_id or invoice["status"] == "draft":
        raise NotFound(f"You have no invoice {invoice_id!r}.")
    return invoice


# ------------------------------------------------------------------ billing information


def billing_details(ctx: Ctx, customer_id: str) -> dict[str, Any]:
    return customers.get_customer(ctx, customer_id)


def update_billing_details(ctx: Ctx, customer_id: str, changes: Mapping[str, Any]) -> None:
    """Billing email, address and tax id only: the rest of the customer is the seller's."""
    allowed = {k: v for k, v in changes.items()
               if k in ("billing_email", "billing_address", "tax_id")}
    customers.update_customer(ctx, customer_id, allowed)


def payment_methods(ctx: Ctx, customer_id: str) -> list[dict[str, Any]]:
    return payments.list_methods(ctx, customer_id)


def add_payment_method(ctx: Ctx, customer_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    return payments.add_method(ctx, customer_id, body)


def make_default(ctx: Ctx, customer_id: str, method_id: str) -> dict[str, Any]:
    return payments.set_default(ctx, customer_id, method_id)  # scoped to the customer's methods


def remove_payment_method(ctx: Ctx, customer_id: str, method_id: str) -> dict[str, Any]:
    return payments.detach(ctx, customer_id, method_id)
