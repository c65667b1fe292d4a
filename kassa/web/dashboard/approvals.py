"""Approvals in the sidebar: the pending list (customer, subscription, value, the rules'
reasons), a review page, and Approve or Reject (a reason required), decided as the signed-in
user: a rule names its approvers by the users' emails, and the service receives that email as
the API's ``approver``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from kassa.api.schemas.approvals import Decision, Rejection
from kassa.domain.errors import InvalidRequest, KassaError
from kassa.services.subscriptions import approval_views, approvals
from kassa.web.auth import Acting, Viewing, Visitor
from kassa.web.forms import messages_by_field, parsed
from kassa.web.listing import PageNumber, page_count, page_query
from kassa.web.rendering import page, url

router = APIRouter(prefix="/approvals")

FILTERS = [("pending", "Pending"), ("approved", "Approved"), ("rejected", "Rejected"),
           ("canceled", "Canceled"), ("", "All")]
STRATEGIES = {"any": "any one of", "all": "all of", "min_n": "at least {n} of"}


@router.get("", name="approvals")
def approval_list(
    request: Request,
    visitor: Viewing,
    status: Annotated[str, Query(max_length=20)] = "pending",
    page_number: PageNumber = 1,
) -> Response:
    """Pending approvals by default, oldest request first; ``status=`` (empty) lists all."""
    status = status if status in dict(FILTERS) else "pending"
    found = approval_views.list_for_review(visitor.ctx, page_query(
        page_number, sort=("created_at", "asc" if status == "pending" else "desc"),
        filters={"status": [status]} if status else {}))
    return page(request, "approvals/list.html", active="approvals", title="Approvals",
                found=found, chosen=status, filters=FILTERS, page_number=page_number,
                pages=page_count(found.total))


def who_decides(visitor: Visitor, approval: dict[str, Any]) -> str | None:
    """Why the signed-in user cannot decide ``approval`` (None: they can). The service checks
    the same when the decision is posted; this only spares them a button that would fail."""
    me = visitor.session.email
    names = approval["approvers"].get("names") or []
    if approval["status"] != "pending":
        return None
    if not visitor.can("act"):
        return "Viewers can look at approvals but not decide them."
    if names and me not in names:
        return f"You ({me}) are not an approver of this rule; its approvers: {', '.join(names)}."
    if any(d["approver"] == me for d in approval["decisions"]):
        return "You have already decided on this approval; the other approvers are still to."
    return None


def _review_page(request: Request, visitor: Visitor, approval_id: str, *, status: int = 200,
                 **context: Any) -> Response:
    review = approval_views.for_review(visitor.ctx, approval_id)
    approvers = review["approvers"]
    strategy = STRATEGIES.get(approvers.get("strategy", "any"), "any one of").format(
        n=approvers.get("min_approvals"))
    context = {"notice": None, "problem": None} | context
    return page(request, "approvals/review.html", partial="approvals/_review.html",
                status=status, active="approvals", title="Review approval",
                here=url(request, "approval", approval_id=approval_id), review=review,
                strategy=strategy, cannot_decide=who_decides(visitor, review), **context)


@router.get("/{approval_id}", name="approval")
def review_page(request: Request, visitor: Viewing, approval_id: str) -> Response:
    return _review_page(request, visitor, approval_id)


def _decided(request: Request, visitor: Visitor, approval_id: str, decide: Any) -> Response:
    try:
        approval = decide()
    except KassaError as exc:
        errors = {k: v for k, v in messages_by_field(exc).items() if k in ("reason", "note")}
        return _review_page(request, visitor, approval_id, status=422, errors=errors,
                            problem=None if errors else exc.detail,
                            values=visitor.form.values())
    review = approval_views.for_review(visitor.ctx, approval_id)
    sub = review["subscription"]
    me = visitor.session.email
    if approval["status"] == "approved":
        notice = f"Approved as {me}: subscription {sub['name'] or sub['id']} is now {sub['status']}."
    elif approval["status"] == "rejected":
        notice = (f"Rejected as {me}: subscription {sub['name'] or sub['id']} is back in "
                  f"{sub['status']}.")
    else:
        notice = f"Approved as {me}; the rule needs more approvals before the subscription starts."
    return _review_page(request, visitor, approval_id, notice=notice)


@router.post("/{approval_id}/approve", name="approve")
def approve(request: Request, visitor: Acting, approval_id: str) -> Response:
    def decide() -> dict[str, Any]:
        body = parsed(Decision, {"approver": visitor.session.email,
                                    "note": visitor.form.text("note") or None})
        return approvals.approve(visitor.ctx, approval_id, body.approver, body.note)

    return _decided(request, visitor, approval_id, decide)


@router.post("/{approval_id}/reject", name="reject")
def reject(request: Request, visitor: Acting, approval_id: str) -> Response:
    def decide() -> dict[str, Any]:
        if not visitor.form.text("reason"):
            raise InvalidRequest("Give the reason for the rejection: the requester sees it.",
                                 field="reason")
        body = parsed(Rejection, {"approver": visitor.session.email,
                                     "reason": visitor.form.text("reason")})
        return approvals.reject(visitor.ctx, approval_id, body.approver, body.reason)

    return _decided(request, visitor, approval_id, decide)
