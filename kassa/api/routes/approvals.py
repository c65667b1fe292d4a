from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.approvals import Decision, Rejection, RuleCreate, RuleUpdate
from kassa.api.schemas.common import ListResponse
from kassa.resources.approvals import Approval, Rule, RuleDeleted
from kassa.services.subscriptions import approvals

router = APIRouter(tags=["approvals"])


@router.post("/approval-rules", status_code=201, response_model=Rule)
def create_rule(body: RuleCreate, ctx: EnvCtx) -> dict[str, Any]:
    """Conditions that hold a subscription for approval when it is activated."""
    return approvals.create_rule(ctx, body.model_dump(mode="json"))


@router.get("/approval-rules", response_model=ListResponse[Rule])
def list_rules(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    return page_body(approvals.list_rules(ctx, query))


@router.get("/approval-rules/{rule_id}", response_model=Rule)
def get_rule(rule_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return approvals.get_rule(ctx, rule_id)


@router.patch("/approval-rules/{rule_id}", response_model=Rule)
def update_rule(rule_id: str, body: RuleUpdate, ctx: EnvCtx) -> dict[str, Any]:
    return approvals.update_rule(ctx, rule_id, body.model_dump(mode="json", exclude_unset=True))


@router.delete("/approval-rules/{rule_id}", response_model=RuleDeleted)
def delete_rule(rule_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return approvals.delete_rule(ctx, rule_id)


@router.get("/approvals", response_model=ListResponse[Approval])
def list_approvals(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: status, subscription_id, rule_id."""
    return page_body(approvals.list_approvals(ctx, query))


@router.get("/approvals/{approval_id}", response_model=Approval)
def get_approval(approval_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return approvals.get_approval(ctx, approval_id)


@router.post("/approvals/{approval_id}/approve", response_model=Approval)
def approve(approval_id: str, body: Decision, ctx: EnvCtx) -> dict[str, Any]:
    """Record an approver's approval; once the rule's strategy is met, the subscription goes
    live."""
    return approvals.approve(ctx, approval_id, body.approver, body.note)


@router.post("/approvals/{approval_id}/reject", response_model=Approval)
def reject(approval_id: str, body: Rejection, ctx: EnvCtx) -> dict[str, Any]:
    """Reject (a reason is required); the subscription returns to draft."""
    return approvals.reject(ctx, approval_id, body.approver, body.reason)
