"""A subscription's changes: Change Plan and Update Quantity (each previewed by the service the
API's ``POST /subscriptions/{id}/changes/preview`` calls, then confirmed through the one
``POST /changes`` calls) and Edit -> Contract Terms (``PATCH /subscriptions/{id}``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from kassa.api.schemas.changes import ChangeRequest
from kassa.api.schemas.prices import canonical_price
from kassa.api.schemas.subscriptions import SubscriptionUpdate
from kassa.domain.errors import InvalidRequest, KassaError
from kassa.domain.items import priced_items
from kassa.services import plans
from kassa.services import subscriptions as subs
from kassa.web.auth import Acting, ActingForm, Visitor
from kassa.web.dashboard.listing import page_query
from kassa.web.dashboard.subscription_pages import back_to, subscription_facts
from kassa.web.forms import Form, field_errors, parsed
from kassa.web.rendering import page

# "At renewal" is the next billing cycle, as the lifecycle document says ("No proration,
# changes at next billing cycle").
router = APIRouter(prefix="/subscriptions")

TIMINGS = [("immediate", "Immediately"), ("billing_cycle_start", "At renewal")]
PRORATIONS = [("full", "Full proration"), ("none", "No proration")]
PLANS_SHOWN = 100
CHANGE_INPUTS = {"plan_id": "plan_id", "effective": "timing", "proration": "proration",
                 "update": "quantity"}


def seat_items(items: Any) -> list[tuple[str, str, int]]:
    """The per-seat items of a version (a unit price on a fixed fee) as (key, product id, seats);
    the key is the product id, or ``bundle/product`` for a bundle's child."""
    found = []
    for bundle_id, child in priced_items(items):
        price = child["price"]
        if price.get("type") == "unit" and price.get("fee_type") == "fixed":
            key = f"{bundle_id}/{child['product_id']}" if bundle_id else child["product_id"]
            found.append((key, child["product_id"], int(child.get("quantity", 1))))
    return found


# ------------------------------------------------------------------ the two changes


def plan_change(form: Form) -> dict[str, Any]:
    """Change Plan's request: the new plan, when, and the proration."""
    if not form.text("plan_id"):
        raise InvalidRequest("Choose the new plan.", field="plan_id")
    return {"plan_id": form.text("plan_id"), "effective": form.text("timing") or "immediate",
            "proration": form.text("proration") or "full"}


def quantity_change(form: Form) -> dict[str, Any]:
    """Update Quantity's request: the seat item's new quantity, and when."""
    if not form.text("item"):
        raise InvalidRequest("Choose the item whose seats change.", field="update")
    bundle_id, _, product_id = form.text("item").rpartition("/")
    quantity: Any = form.text("quantity")
    update = ({"bundle_id": bundle_id, "items": [{"product_id": product_id, "quantity": quantity}]}
              if bundle_id else {"product_id": product_id, "quantity": quantity})
    return {"update": [update], "effective": form.text("timing") or "immediate"}


def _plan_options(visitor: Visitor, facts: Mapping[str, Any]) -> list[tuple[str, str]]:
    sub = facts["sub"]
    listed = plans.list_plans(visitor.ctx, page_query(1, {"currency": [sub["currency"]]},
                                                      sort=("name", "asc"), per_page=PLANS_SHOWN))
    return [("", "Choose a plan")] + [
        (p["id"], p["name"] + (" (current)" if p["id"] == sub["plan_id"] else ""))
        for p in listed.rows]


def _seat_options(visitor: Visitor, facts: Mapping[str, Any]) -> list[tuple[str, str]]:
    items = facts["current"]["items"] if facts["current"] else []
    return [(key, f"{facts['names'].get(product_id, product_id)} ({seats} now)")
            for key, product_id, seats in seat_items(items)]


# What each change form is: its template, the request it sends, its options, where it lands.
FORMS: dict[str, dict[str, Any]] = {
    "plan": {"template": "subscriptions/change_plan.html", "title": "Change Plan",
             "partial": "subscriptions/_change_plan.html",
             "request": plan_change, "options": _plan_options,
             "defaults": {"timing": "immediate", "proration": "full"}},
    "quantity": {"template": "subscriptions/update_quantity.html", "title": "Update Quantity",
                 "partial": "subscriptions/_update_quantity.html",
                 "request": quantity_change, "options": _seat_options,
                 "defaults": {"timing": "immediate"}},
}


def _change_page(request: Request, visitor: Visitor, kind: str, facts: Mapping[str, Any], *,
                 status: int = 200, **context: Any) -> Response:
    """The change's form (and, once previewed, what it does with Confirm); htmx swaps both."""
    spec = FORMS[kind]
    context = {"values": spec["defaults"], "preview": None} | context
    return page(request, spec["template"], partial=spec["partial"], status=status,
                active="subscriptions", title=spec["title"], options=spec["options"](visitor, facts),
                timings=TIMINGS, prorations=PRORATIONS, **facts, **context)


def _send(request: Request, visitor: Visitor, kind: str, sub_id: str,
          preview: bool) -> Response:
    """Preview (shown with Confirm) or apply the change the form asks for."""
    facts = subscription_facts(visitor, sub_id)
    build: Callable[[Form], dict[str, Any]] = FORMS[kind]["request"]
    try:
        change = parsed(ChangeRequest, build(visitor.form)).data()
        result = subs.change_subscription(visitor.ctx, facts["sub"]["id"], change,
                                          canonical_price, preview=preview)
    except KassaError as exc:
        return _change_page(request, visitor, kind, facts, status=422,
                            values=visitor.form.values(), errors=field_errors(exc, CHANGE_INPUTS))
    if preview:
        return _change_page(request, visitor, kind, facts, values=visitor.form.values(),
                            preview=result)
    if change["effective"] != "immediate":
        return back_to(request, facts["sub"], "scheduled")
    return back_to(request, facts["sub"], "changed" if kind == "plan" else "quantity")


def _routes(kind: str, path: str, form_name: str, preview_name: str) -> None:
    """The change's form (GET ``path``), its preview (POST ``path/preview``) and Confirm (POST
    ``path``)."""

    def show(request: Request, visitor: ActingForm, sub_id: str) -> Response:
        return _change_page(request, visitor, kind, subscription_facts(visitor, sub_id))

    def preview(request: Request, visitor: Acting, sub_id: str) -> Response:
        return _send(request, visitor, kind, sub_id, preview=True)

    def confirm(request: Request, visitor: Acting, sub_id: str) -> Response:
        return _send(request, visitor, kind, sub_id, preview=False)

    router.add_api_route(f"/{{sub_id}}/{path}", show, methods=["GET"], name=form_name)
    router.add_api_route(f"/{{sub_id}}/{path}/preview", preview, methods=["POST"],
                         name=preview_name)
    router.add_api_route(f"/{{sub_id}}/{path}", confirm, methods=["POST"], name=f"{form_name}_confirm")


_routes("plan", "change-plan", "change_plan", "preview_plan_change")
_routes("quantity", "update-quantity", "update_quantity", "preview_quantity_change")


# ------------------------------------------------------------------ Edit -> Contract Terms


def _edit_page(request: Request, visitor: Visitor, sub_id: str, status: int = 200,
               **context: Any) -> Response:
    facts = subscription_facts(visitor, sub_id)
    renewal = facts["sub"]["renewal"]
    context.setdefault("values", {"duration_months": renewal.get("duration_months") or ""})
    context.setdefault("auto_renew", bool(renewal.get("auto_renew", True)))
    return page(request, "subscriptions/edit.html", status=status, active="subscriptions",
                title="Edit subscription", **facts, **context)


@router.get("/{sub_id}/edit", name="edit_subscription")
def edit_form(request: Request, visitor: ActingForm, sub_id: str) -> Response:
    return _edit_page(request, visitor, sub_id)


@router.post("/{sub_id}/edit")
def edit_contract_terms(request: Request, visitor: Acting, sub_id: str) -> Response:
    """Contract Terms: Auto-renew on or off, and the renewal term's length (empty: as long as
    the contract's term)."""
    form = visitor.form
    renewal = {"auto_renew": form.get("auto_renew") == "true",
               "duration_months": form.text("duration_months") or None}
    try:
        body = parsed(SubscriptionUpdate, {"renewal": renewal})
        sub = subs.update(visitor.ctx, sub_id, body.data())
    except KassaError as exc:
        return _edit_page(request, visitor, sub_id, status=422, values=form.values(),
                          auto_renew=renewal["auto_renew"],
                          errors=field_errors(exc, {"renewal.duration_months": "duration_months",
                                                    "renewal": "auto_renew"}))
    return back_to(request, sub, "terms")
