"""Customers -> [Customer]: the customer's page with its tabs (Subscriptions, Invoices, Usage,
Credits, Wallets, Payment methods) and Edit. The tabs that act (Grant Credits, top up) are in
``customer_money``; Add Subscription is in ``subscription_forms``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from kassa.api.schemas.customers import CustomerUpdate
from kassa.domain.errors import KassaError
from kassa.services import customers
from kassa.services import subscriptions as subs
from kassa.services.billing import invoices, payments
from kassa.services.common import names_by_id
from kassa.services.context import Ctx
from kassa.services.portal import sessions
from kassa.services.usage import customer_usage
from kassa.store.queries import ListQuery, Page
from kassa.store.tables import plans
from kassa.web.auth import Acting, ActingForm, Viewing, Visitor
from kassa.web.charts import daily_bars
from kassa.web.dashboard.listing import PageNumber, page_count, page_query
from kassa.web.forms import field_errors, parsed
from kassa.web.rendering import page, url

router = APIRouter(prefix="/customers/{customer_id}")

# The tabs of a customer's page: (label, route name); the labels are the issue's.
TABS = [
    ("Subscriptions", "customer"),
    ("Invoices", "customer_invoices"),
    ("Usage", "customer_usage"),
    ("Credits", "customer_credits"),
    ("Wallets", "customer_wallets"),
    ("Payment methods", "customer_payment_methods"),
]
# What a finished action says on the page it comes back to (``?done=``).
DONE = {
    "updated": "Saved the customer's details.",
    "granted": "Granted the credits.",
    "wallet": "Created the wallet.",
}
LINK_SECONDS = 24 * 3600  # a link sent by hand (email, chat) lasts the longest a link may
EDIT_INPUTS = {name: name for name in ("name", "email", "currency", "segment", "tags", "aliases")}


def customer_page(request: Request, visitor: Visitor, customer: dict[str, Any], tab: str,
                  template: str, status: int = 200, **context: Any) -> Response:
    """``template`` (a tab) within the customer's page, its tab marked."""
    done = DONE.get(request.query_params.get("done", ""))
    return page(request, template, status=status, active="customers", title=customer["name"],
                customer=customer, tabs=TABS, tab=tab, done=context.pop("done", done),
                **context)


def listed(visitor: Visitor, customer_id: str, listing: Callable[[Ctx, ListQuery], Page],
           page_number: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The customer, and page ``page_number`` of ``listing``'s rows of theirs (a tab's table)."""
    customer = customers.get_customer(visitor.ctx, customer_id)
    found = listing(visitor.ctx, page_query(page_number, {"customer_id": [customer["id"]]}))
    return customer, {"found": found, "page_number": page_number, "pages": page_count(found)}


@router.get("", name="customer")
def customer_subscriptions(request: Request, visitor: Viewing, customer_id: str,
                           page_number: PageNumber = 1) -> Response:
    """The Subscriptions tab: all of the customer's subscriptions, newest first."""
    customer, rows = listed(visitor, customer_id, subs.list_subscriptions, page_number)
    plan_names = names_by_id(visitor.ctx, plans,
                             [s["plan_id"] for s in rows["found"].rows if s["plan_id"]])
    return customer_page(request, visitor, customer, "customer", "customers/subscriptions.html",
                         plan_names=plan_names, **rows)


@router.get("/invoices", name="customer_invoices")
def customer_invoices(request: Request, visitor: Viewing, customer_id: str,
                      page_number: PageNumber = 1) -> Response:
    customer, rows = listed(visitor, customer_id, invoices.list_invoices, page_number)
    return customer_page(request, visitor, customer, "customer_invoices",
                         "customers/invoices.html", **rows)


@router.get("/usage", name="customer_usage")
def customer_usage_tab(request: Request, visitor: Viewing, customer_id: str) -> Response:
    """The Usage tab: each metric of the live subscriptions over the current period, by day."""
    customer = customers.get_customer(visitor.ctx, customer_id)
    usage = customer_usage.customer_usage(visitor.ctx, customer["id"], None, None, "day")
    charts = [daily_bars(entry["series"], f"Daily {entry['metric_name']}")
              for entry in usage["data"]]
    return customer_page(request, visitor, customer, "customer_usage", "customers/usage.html",
                         usage=list(zip(usage["data"], charts, strict=True)))


@router.get("/payment-methods", name="customer_payment_methods")
def customer_payment_methods(request: Request, visitor: Viewing, customer_id: str) -> Response:
    customer = customers.get_customer(visitor.ctx, customer_id)
    return customer_page(request, visitor, customer, "customer_payment_methods",
                         "customers/payment_methods.html",
                         methods=payments.list_methods(visitor.ctx, customer["id"]))


@router.post("/portal-link", name="customer_portal_link")
def portal_link(request: Request, visitor: Acting, customer_id: str) -> Response:
    """Create Portal Link: a billing portal link for the customer, shown once (the FAQ's "send
    the customer a billing portal link"), with the sections of Settings → Customer Portal."""
    customer = customers.get_customer(visitor.ctx, customer_id)
    link = sessions.create_link(
        visitor.ctx, customer_ref=customer["id"], by_alias=False, sections={}, return_url=None,
        expires_in=LINK_SECONDS, now=visitor.kassa.wall_clock.now(),
        request_base=str(request.base_url))
    rows = listed(visitor, customer["id"], subs.list_subscriptions, 1)[1]
    plan_names = names_by_id(visitor.ctx, plans,
                             [s["plan_id"] for s in rows["found"].rows if s["plan_id"]])
    return customer_page(request, visitor, customer, "customer", "customers/subscriptions.html",
                         plan_names=plan_names, portal_link=link, **rows)


def _edit_page(request: Request, visitor: Visitor, customer: dict[str, Any],
               status: int = 200, **context: Any) -> Response:
    values = {
        "name": customer["name"], "email": customer["email"] or "",
        "currency": customer["currency"], "segment": customer["segment"] or "",
        "tags": ", ".join(customer["tags"]), "aliases": ", ".join(customer["aliases"]),
    }
    context.setdefault("values", values)
    return customer_page(request, visitor, customer, "", "customers/edit.html",
                         status=status, **context)


@router.get("/edit", name="edit_customer")
def edit_customer_form(request: Request, visitor: ActingForm, customer_id: str) -> Response:
    return _edit_page(request, visitor, customers.get_customer(visitor.ctx, customer_id))


def _listed(text: str) -> list[str]:
    """A comma-separated input as a list, blanks dropped."""
    return [part.strip() for part in text.split(",") if part.strip()]


@router.post("/edit")
def edit_customer(request: Request, visitor: Acting, customer_id: str) -> Response:
    """Edit: name, email, preferred currency, segment, tags and aliases, as PATCH sends them."""
    customer = customers.get_customer(visitor.ctx, customer_id)
    form = visitor.form
    try:
        body = parsed(CustomerUpdate, {
            "name": form.text("name"), "email": form.text("email") or None,
            "currency": form.text("currency"), "segment": form.text("segment") or None,
            "tags": _listed(form.get("tags")), "aliases": _listed(form.get("aliases")),
        })
        customers.update_customer(visitor.ctx, customer["id"], body.model_dump(exclude_unset=True))
    except KassaError as exc:
        return _edit_page(request, visitor, customer, status=422, values=form.values(),
                          errors=field_errors(exc, EDIT_INPUTS))
    return RedirectResponse(url(request, "customer", customer_id=customer["id"]) + "?done=updated",
                            status_code=303)
