"""Subscriptions: the list with its status filters, a subscription's page (current items,
pending changes, version history, invoices) and the one-click actions on it: Activate, Resume
and undoing a scheduled cancellation. The actions with a form are in ``subscription_changes``
and ``subscription_endings``."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from kassa.domain.items import priced_items
from kassa.services import customers
from kassa.services import subscriptions as subs
from kassa.services.billing import invoices
from kassa.services.common import names_by_id
from kassa.store.tables import bundles, plans, products
from kassa.store.tables import customers as customer_rows
from kassa.web.auth import Acting, Viewing, Visitor
from kassa.web.dashboard.listing import PageNumber, page_count, page_query
from kassa.web.rendering import page, url

router = APIRouter(prefix="/subscriptions")

# The status filters, with the lifecycle document's words.
STATUSES = [("draft", "Draft"), ("pending_approval", "Pending Approval"), ("active", "Active"),
            ("paused", "Paused"), ("canceled", "Canceled")]
# What a finished action says on the subscription's page (``?done=``).
DONE = {
    "created": "Created the subscription, in draft: review it, then Activate.",
    "activated": "Activated: the billing cycle has begun.",
    "held": "Activation is waiting for approval (Approvals in the sidebar).",
    "changed": "Changed the plan.",
    "scheduled": "The change is scheduled: it is among the pending changes.",
    "quantity": "Updated the quantity.",
    "terms": "Saved the contract terms.",
    "paused": "Paused the subscription.",
    "resumed": "Resumed the subscription.",
    "canceled": "Canceled the subscription.",
    "cancel_scheduled": "The cancellation is scheduled.",
    "uncanceled": "The scheduled cancellation is undone: the subscription goes on.",
}


def names(visitor: Visitor, versions: list[dict[str, Any]],
          extra_plans: tuple[str | None, ...] = ()) -> dict[str, str]:
    """The names of the products, bundles and plans ``versions`` hold (a query per table)."""
    product_ids, bundle_ids = set(), set()
    for version in versions:
        for bundle_id, child in priced_items(version["items"]):
            product_ids.add(child["product_id"])
            if bundle_id:
                bundle_ids.add(bundle_id)
    plan_ids = {v["plan_id"] for v in versions if v["plan_id"]} | {p for p in extra_plans if p}
    ctx = visitor.ctx
    return (names_by_id(ctx, products, list(product_ids)) | names_by_id(ctx, bundles, list(bundle_ids))
            | names_by_id(ctx, plans, list(plan_ids)))


@router.get("", name="subscriptions")
def subscription_list(
    request: Request,
    visitor: Viewing,
    status: Annotated[str, Query(max_length=40)] = "",
    customer: Annotated[str, Query(max_length=255)] = "",
    page_number: PageNumber = 1,
) -> Response:
    """Newest first, filtered by status and by customer (id or alias), counted and cut in SQL."""
    customer = customer.strip()
    filters: dict[str, list[str]] = {}
    if status in dict(STATUSES):
        filters["status"] = [status]
    else:
        status = ""
    if customer:
        filters["customer_id"] = [customer]
    found = subs.list_subscriptions(visitor.ctx, page_query(page_number, filters))
    ctx = visitor.ctx
    customer_names = names_by_id(ctx, customer_rows, [s["customer_id"] for s in found.rows])
    plan_names = names_by_id(ctx, plans, [s["plan_id"] for s in found.rows if s["plan_id"]])
    query = urlencode({k: v for k, v in (("status", status), ("customer", customer)) if v})
    return page(request, "subscriptions/list.html", partial="subscriptions/_results.html",
                active="subscriptions", title="Subscriptions", found=found, statuses=STATUSES,
                chosen=status, customer=customer, customer_names=customer_names,
                plan_names=plan_names, page_number=page_number, pages=page_count(found),
                query=query)


def subscription_facts(visitor: Visitor, sub_id: str) -> dict[str, Any]:
    """What a subscription's pages show: the subscription, its customer, its versions (the one
    in force first), and the names of what they hold."""
    sub = subs.get_subscription(visitor.ctx, sub_id)
    versions = subs.list_versions(visitor.ctx, sub["id"])
    by_id = {v["id"]: v for v in versions}
    # A draft subscription has no version in force yet: it starts with its newest draft.
    current = by_id.get(sub["current_version_id"] or "") or (versions[-1] if versions else None)
    return {
        "sub": sub,
        "customer": customers.get_customer(visitor.ctx, sub["customer_id"]),
        "versions": versions,
        "current": current,
        "pending": [(p, by_id.get(p["version_id"])) for p in sub["pending_changes"]],
        "names": names(visitor, versions, (sub["plan_id"],)),
    }


@router.get("/{sub_id}", name="subscription")
def subscription_page(request: Request, visitor: Viewing, sub_id: str,
                      page_number: PageNumber = 1) -> Response:
    facts = subscription_facts(visitor, sub_id)
    sub = facts["sub"]
    found = invoices.list_invoices(visitor.ctx,
                                   page_query(page_number, {"subscription_id": [sub["id"]]}))
    return page(request, "subscriptions/page.html", active="subscriptions",
                title=sub["name"] or f"Subscription {sub['id']}",
                done=DONE.get(request.query_params.get("done", "")), found=found,
                page_number=page_number, pages=page_count(found), **facts)


def back_to(request: Request, sub: dict[str, Any], done: str) -> RedirectResponse:
    """After an action: the subscription's page, saying what was done."""
    return RedirectResponse(url(request, "subscription", sub_id=sub["id"]) + f"?done={done}",
                            status_code=303)


@router.post("/{sub_id}/activate", name="activate_subscription")
def activate(request: Request, visitor: Acting, sub_id: str) -> Response:
    """Activate a draft (unless an approval rule holds it first)."""
    sub = subs.activate(visitor.ctx, sub_id)
    return back_to(request, sub, "held" if sub["status"] == "pending_approval" else "activated")


@router.post("/{sub_id}/resume", name="resume_subscription")
def resume(request: Request, visitor: Acting, sub_id: str) -> Response:
    return back_to(request, subs.resume(visitor.ctx, sub_id), "resumed")


@router.post("/{sub_id}/uncancel", name="uncancel_subscription")
def uncancel(request: Request, visitor: Acting, sub_id: str) -> Response:
    """Undo a scheduled cancellation before it takes effect."""
    return back_to(request, subs.uncancel(visitor.ctx, sub_id), "uncanceled")
