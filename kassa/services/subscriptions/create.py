"""Creating a subscription: the four patterns of the creating-a-subscription document.

1. raw items;  2. from a plan;  3. a plan with overrides (an item with the same product or bundle
replaces the plan's wholesale, others are appended);  4. bundles, in either. Subscriptions start as
drafts; ``auto_activate`` activates in the same request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert

from kassa.domain.errors import InvalidRequest
from kassa.domain.items import merge_overrides
from kassa.domain.subscription import Subscription
from kassa.ids import new_id
from kassa.services import environment_settings, fx
from kassa.services.context import Ctx
from kassa.services.common import merge_metadata
from kassa.services.customers import live_customer, lock_customer
from kassa.services.item_checks import check_items, fill_bundle_defaults
from kassa.services.plans import live_plan
from kassa.services.subscriptions.activation import check_backdating
from kassa.services.subscriptions.approvals import begin_unless_held
from kassa.services.subscriptions.records import insert_version, versions_of
from kassa.services.subscriptions.views import subscription_view
from kassa.store.tables import subscriptions
from kassa.store.uow import UnitOfWork



def _defaults(uow: UnitOfWork) -> tuple[dict[str, Any], dict[str, Any]]:
    """The billing and renewal terms a subscription takes when neither its plan nor its request
    names them: the environment's Settings → Invoicing and Settings → Subscriptions."""
    invoicing = environment_settings.invoicing(uow)
    billing = {"first_billing_date": None, "auto_issue_invoices": invoicing.auto_issue,
               "auto_pay_invoices": invoicing.auto_pay, "payment_terms": invoicing.payment_terms}
    renewal = {"auto_renew": environment_settings.subscription_defaults(uow).auto_renew,
               "duration_months": None, "period_type": None}
    return billing, renewal


def _given(values: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (values or {}).items() if v is not None}


@dataclass(frozen=True)
class Asked:
    """A create request, checked and resolved: its customer and plan, and the terms it sets."""

    customer: Mapping[str, Any]
    plan: Mapping[str, Any] | None
    currency: str
    price_currency: str  # what the items' prices are in (the plan's currency)
    items: list[dict[str, Any]]
    contract: dict[str, Any]
    billing: dict[str, Any]
    renewal: dict[str, Any]


def create_subscription(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    """A draft subscription with its initial version; activated at once with ``auto_activate``."""
    with ctx.uow() as uow:
        view = create_in(uow, data)
        uow.commit()
    return view


def create_in(uow: UnitOfWork, data: Mapping[str, Any]) -> dict[str, Any]:
    """``create_subscription`` inside ``uow`` (a hosted checkout creates and activates the
    subscription in the transaction that completes it); the subscription's view."""
    asked = _ask(uow, data)
    row = _draft(asked, data, uow.environment, new_id(), uow.now)
    if data.get("auto_activate"):
        # Billing takes the customer FOR UPDATE; take it before the insert takes its key-share
        # lock, or two activations of one customer's subscriptions deadlock (PostgreSQL).
        lock_customer(uow.conn, uow.environment, row["customer_id"])
    uow.conn.execute(insert(subscriptions), row)
    sub = Subscription.of(row)
    insert_version(uow.conn, sub, {"items": asked.items, "plan_id": sub.plan_id,
                                   "description": "Initial version"}, uow.now)
    versions = versions_of(uow.conn, uow.environment, sub.id)
    uow.emit("subscription.created", subscription_view(sub, versions, uow.now))
    if data.get("auto_activate"):
        sub = begin_unless_held(uow, sub)
        versions = versions_of(uow.conn, uow.environment, sub.id)
    view = subscription_view(sub, versions, uow.now)
    return view


def _ask(uow: UnitOfWork, data: Mapping[str, Any]) -> Asked:
    """Resolve the customer and plan, check the items and the terms (``InvalidRequest`` names
    the field at fault)."""
    customer = live_customer(uow.conn, uow.environment, data["customer_id"])
    plan = live_plan(uow.conn, uow.environment, data["plan_id"]) if data.get("plan_id") else None
    currency = _currency(data, plan, customer)
    price_currency = plan["currency"] if plan is not None else currency
    items = _items(uow, data, plan)  # its errors come before the terms' (as before)
    fx.check_convertible(uow, items, price_currency, currency)
    contract = _contract(data, plan)
    default_billing, default_renewal = _defaults(uow)
    billing = {**default_billing, **_given(plan["billing"] if plan else {}),
               **_given(data.get("billing"))}
    renewal = {**default_renewal, **_given(plan["renewal"] if plan else {}),
               **_given(data.get("renewal"))}
    start, first = contract["start_date"], billing["first_billing_date"]
    if start:
        check_backdating(date.fromisoformat(start), uow.now)
    if start and first and date.fromisoformat(first) < date.fromisoformat(start):
        raise InvalidRequest(
            "first_billing_date cannot be before the contract start_date.",
            field="billing.first_billing_date",
        )
    return Asked(customer, plan, currency, price_currency, items, contract, billing, renewal)


def _items(uow: UnitOfWork, data: Mapping[str, Any], plan: Mapping[str, Any] | None) -> list:
    """The body's items, or the plan's with the body's overrides; bundles filled in, checked."""
    body_items = data.get("items")
    if plan is None:
        if not body_items:
            raise InvalidRequest("Give items, or a plan_id to take the items from.", field="items")
        items = body_items
    else:
        if body_items:  # checked as given first, so an error names the body's own index
            check_items(uow.conn, uow.environment,
                        fill_bundle_defaults(uow.conn, uow.environment, body_items))
        items = merge_overrides(plan["items"], body_items or [])
    items = fill_bundle_defaults(uow.conn, uow.environment, items)
    check_items(uow.conn, uow.environment, items)
    return items


def _contract(data: Mapping[str, Any], plan: Mapping[str, Any] | None) -> dict[str, Any]:
    contract = _given(data.get("contract")) or dict(plan["contract"] if plan else {})
    contract.setdefault("period_type", "monthly_rolling")
    contract.setdefault("duration_months", None)
    contract.setdefault("start_date", None)
    contract["end_date"] = None
    if contract["period_type"] == "fixed" and not contract["duration_months"]:
        raise InvalidRequest(
            "A fixed contract needs duration_months.", field="contract.duration_months"
        )
    return contract


def _draft(asked: Asked, data: Mapping[str, Any], environment: str, sub_id: str,
           now: datetime) -> dict[str, Any]:
    """The row of the new draft subscription (nothing scheduled, nothing billed yet)."""
    plan = asked.plan
    return {
        "environment": environment,
        "id": sub_id,
        "customer_id": asked.customer["id"],
        "plan_id": plan["id"] if plan else None,
        "name": data.get("name") or (plan["name"] if plan else None),
        "currency": asked.currency,
        "price_currency": asked.price_currency if asked.price_currency != asked.currency else None,
        "status": "draft",
        "contract": asked.contract,
        "renewal": asked.renewal,
        "billing": asked.billing,
        "discount": data.get("discount"),
        "minimum_spend": data.get("minimum_spend"),
        "maximum_spend": data.get("maximum_spend"),
        "price_escalation": data.get("price_escalation"),
        "metadata": merge_metadata({}, data.get("metadata") or {}),
        "current_version_id": None,
        "term_start": None,
        "term_end": None,
        "billing_anchor": None,
        "cycle_start": None,
        "cancellation": None,
        "cancel_at": None,
        "pause": None,
        "pauses": [],
        "activated_at": None,
        "canceled_at": None,
        "next_action_at": None,
        "created_at": now,
        "updated_at": now,
    }


def _currency(data: Mapping[str, Any], plan: Mapping[str, Any] | None, customer: Mapping) -> str:
    """``currency`` is required without a plan; with one it defaults to the customer's. Either
    way it must be the customer's (invoices are in the customer's currency). A plan priced in
    another currency bills each price from its ``currency_options`` in the customer's currency,
    or converted at the exchange rate of each invoice date (``kassa.services.fx``)."""
    currency = data.get("currency")
    if currency is None:
        if plan is None:
            raise InvalidRequest("currency is required when no plan_id is given.", field="currency")
        currency = customer["currency"]
    if currency != customer["currency"]:
        raise InvalidRequest(
            f"Customer {customer['id']} is billed in {customer['currency']}; a subscription in "
            f"{currency} is not possible. Change the customer's currency first.",
            field="currency",
        )
    return currency
