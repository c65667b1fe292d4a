"""Customers -> [Customer] -> Add Subscription: the plan, the start date (immediate or
scheduled), the billing frequency and the contract term -> Create, in draft, through the service
``POST /subscriptions`` calls (pattern 2 of the creating-a-subscription document, or pattern 3
when the billing frequency differs from the plan's)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from kassa.api.schemas.subscriptions import SubscriptionCreate
from kassa.domain.errors import InvalidRequest, KassaError
from kassa.domain.items import billed_every
from kassa.services import customers, plans
from kassa.services import subscriptions as subs
from kassa.web.auth import Acting, ActingForm, Visitor
from kassa.web.dashboard.customer_pages import customer_page
from kassa.web.dashboard.listing import page_query
from kassa.web.dashboard.subscription_pages import back_to
from kassa.web.forms import Form, field_errors, parsed

router = APIRouter(prefix="/customers/{customer_id}")

STARTS = [("immediate", "Immediately (when activated)"), ("scheduled", "Scheduled")]
FREQUENCIES = [("", "As the plan bills"), ("monthly", "Monthly"), ("quarterly", "Quarterly"),
               ("semi_annual", "Every six months"), ("yearly", "Yearly")]
TERMS = [("monthly_rolling", "Monthly rolling (no commitment)"), ("fixed", "Fixed term")]
PLANS_SHOWN = 100
CREATE_INPUTS = {
    "plan_id": "plan_id", "currency": "plan_id", "items": "billing_frequency",
    "contract": "contract_term", "contract.start_date": "start_date",
    "contract.duration_months": "duration_months", "billing.first_billing_date": "start_date",
}


def _create_page(request: Request, visitor: Visitor, customer: dict[str, Any],
                 status: int = 200, **context: Any) -> Response:
    listed = plans.list_plans(visitor.ctx, page_query(1, {"currency": [customer["currency"]]},
                                                      sort=("name", "asc"), per_page=PLANS_SHOWN))
    context.setdefault("values", {"start": "immediate", "contract_term": "monthly_rolling"})
    return customer_page(request, visitor, customer, "customer", "customers/add_subscription.html",
                         status=status,
                         plan_options=[("", "Choose a plan")] + [(p["id"], p["name"])
                                                                 for p in listed.rows],
                         starts=STARTS, frequencies=FREQUENCIES, terms=TERMS, **context)


@router.get("/subscriptions/new", name="add_subscription")
def add_subscription_form(request: Request, visitor: ActingForm, customer_id: str) -> Response:
    return _create_page(request, visitor, customers.get_customer(visitor.ctx, customer_id))


def create_request(visitor: Visitor, customer: dict[str, Any], form: Form) -> dict[str, Any]:
    """The request the form makes: the plan's items (billed at the chosen frequency), and the
    contract with its start date when it is scheduled."""
    plan_id = form.text("plan_id")
    if not plan_id:
        raise InvalidRequest("Choose the plan.", field="plan_id")
    contract: dict[str, Any] = {"period_type": form.text("contract_term") or "monthly_rolling"}
    if contract["period_type"] == "fixed":
        contract["duration_months"] = form.text("duration_months") or None
    if form.text("start") == "scheduled":
        if not form.text("start_date"):
            raise InvalidRequest("Give the date the subscription starts on.",
                                 field="contract.start_date")
        contract["start_date"] = form.text("start_date")
    body: dict[str, Any] = {"customer_id": customer["id"], "plan_id": plan_id,
                            "contract": contract}
    frequency = form.text("billing_frequency")
    if frequency:
        if frequency not in dict(FREQUENCIES):
            raise InvalidRequest("Choose a billing frequency from the list.", field="items")
        overrides = billed_every(plans.get_plan(visitor.ctx, plan_id)["items"], frequency)
        if overrides:
            body["items"] = overrides
    return body


@router.post("/subscriptions/new")
def add_subscription(request: Request, visitor: Acting, customer_id: str) -> Response:
    """Create: the subscription is created in draft, and its page opens."""
    customer = customers.get_customer(visitor.ctx, customer_id)
    form = visitor.form
    try:
        body = parsed(SubscriptionCreate, create_request(visitor, customer, form))
        sub = subs.create_subscription(visitor.ctx, body.data())
    except KassaError as exc:
        return _create_page(request, visitor, customer, status=422, values=form.values(),
                            errors=field_errors(exc, CREATE_INPUTS))
    return back_to(request, sub, "created")
