"""Approval flows: rules hold matching subscriptions in ``pending_approval`` at activation until
their approvers agree (any one, all, or at least N of them); a rejection sends it back to draft."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select, update

from kassa.domain.approvals import Deal, deal_figures, is_satisfied, matching_rule
from kassa.domain.errors import Conflict, InvalidRequest, InvalidTransition
from kassa.domain.subscription import Subscription
from kassa.ids import new_id
from kassa.resources import render, renderer
from kassa.resources.approvals import Approval, Rule, RuleDeleted
from kassa.services import fx
from kassa.services.common import get_object, list_objects
from kassa.services.context import Ctx
from kassa.services.serialize import rfc3339
from kassa.services.subscriptions import transitions
from kassa.services.subscriptions.activation import begin
from kassa.services.subscriptions.records import load, save, versions_of
from kassa.store.queries import ListQuery, Page, get_row, in_filter, update_row
from kassa.store.tables import approval_rules, approvals, customers, subscriptions
from kassa.store.uow import UnitOfWork


# ------------------------------------------------------------------ rules


def create_rule(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    with ctx.uow() as uow:
        row = {
            "environment": uow.environment,
            "id": new_id("aprl"),
            "name": data["name"],
            "description": data.get("description"),
            "conditions": list(data["conditions"]),
            "match": data.get("match", "all"),
            "priority": data.get("priority", 100),
            "approvers": dict(data["approvers"]),
            "enabled": 1 if data.get("enabled", True) else 0,
            "created_at": uow.now,
            "updated_at": uow.now,
        }
        uow.conn.execute(insert(approval_rules), row)
        uow.commit()
    return render(Rule, row)


def update_rule(ctx: Ctx, rule_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    with ctx.uow() as uow:
        row = dict(get_row(uow.conn, approval_rules, uow.environment, rule_id, what="Approval rule"))
        values = dict(changes)
        if "enabled" in values:
            values["enabled"] = 1 if values["enabled"] else 0
        values["updated_at"] = uow.now
        update_row(uow.conn, approval_rules, uow.environment, rule_id, values)
        uow.commit()
    return render(Rule, {**row, **values})


def delete_rule(ctx: Ctx, rule_id: str) -> dict[str, Any]:
    with ctx.uow() as uow:
        row = get_row(uow.conn, approval_rules, uow.environment, rule_id, what="Approval rule")
        uow.conn.execute(
            approval_rules.delete().where(
                approval_rules.c.environment == uow.environment, approval_rules.c.id == rule_id
            )
        )
        uow.commit()
    return render(RuleDeleted, row, deleted=True)


def get_rule(ctx: Ctx, rule_id: str) -> dict[str, Any]:
    return get_object(ctx, approval_rules, rule_id, what="Approval rule", view=renderer(Rule))


def list_rules(ctx: Ctx, query: ListQuery) -> Page:
    return list_objects(
        ctx, approval_rules, query, view=renderer(Rule),
        sortable={"priority": approval_rules.c.priority, "created_at": approval_rules.c.created_at},
        filters={"id": in_filter(approval_rules.c.id)},
        default_sort=("priority", "asc"),
    )


# ------------------------------------------------------------------ holding and deciding


def contract_months(sub: Subscription) -> int:
    """The months a deal's figures count: a fixed contract's duration, else 12."""
    months = sub.contract.get("duration_months") if sub.period_type == "fixed" else 12
    return int(months or 12)


def _deal(uow: UnitOfWork, sub: Subscription) -> Deal:
    versions = versions_of(uow.conn, uow.environment, sub.id)
    drafts = [v for v in versions if v.status == "draft"]
    items = list(drafts[0].items) if drafts else []
    months = contract_months(sub)
    customer = uow.conn.execute(
        select(customers.c.segment).where(
            customers.c.environment == uow.environment, customers.c.id == sub.customer_id
        )
    ).one()
    started_before = uow.conn.execute(
        select(subscriptions.c.id).where(
            subscriptions.c.environment == uow.environment,
            subscriptions.c.customer_id == sub.customer_id,
            subscriptions.c.id != sub.id,
            subscriptions.c.activated_at.is_not(None),
        )
    ).first()
    return Deal(
        items=items,
        discount=sub.discount,
        contract_months=months,
        payment_terms=sub.payment_terms,
        customer_segment=customer.segment,
        customer_is_new=started_before is None,
        # In the subscription's currency (converted prices at the newest rate).
        figures=deal_figures(fx.mrr_items(uow.conn, sub, items, uow.now.date())
                             if sub.converts else items, months),
    )


def hold_for_approval(uow: UnitOfWork, sub: Subscription) -> Subscription | None:
    """``sub`` put in pending_approval when an enabled rule matches it (None: none does)."""
    rules = [
        dict(r)
        for r in uow.conn.execute(
            select(approval_rules).where(
                approval_rules.c.environment == uow.environment, approval_rules.c.enabled == 1
            )
        ).mappings()
    ]
    if not rules:
        return None
    found = matching_rule(rules, _deal(uow, sub))
    if found is None:
        return None
    rule, reasons = found
    uow.conn.execute(
        insert(approvals),
        {
            "environment": uow.environment,
            "id": new_id("apr"),
            "subscription_id": sub.id,
            "rule_id": rule["id"],
            "status": "pending",
            "reasons": reasons,
            "approvers": dict(rule["approvers"]),
            "decisions": [],
            "rejection_reason": None,
            "decided_at": None,
            "created_at": uow.now,
            "updated_at": uow.now,
        },
    )
    versions = versions_of(uow.conn, uow.environment, sub.id)
    sub = save(uow.conn, sub, {"status": "pending_approval", "updated_at": uow.now})
    transitions.emit(uow, "subscription.updated", sub, versions, approval={"rule_id": rule["id"],
                                                                    "reasons": reasons})
    return sub


def begin_unless_held(uow: UnitOfWork, sub: Subscription) -> Subscription:
    """``sub`` activated now, unless an approval rule holds it in pending_approval first."""
    return hold_for_approval(uow, sub) or begin(uow, sub)


def withdraw(uow: UnitOfWork, sub: Subscription) -> None:
    """Cancel the pending approval of a subscription that is itself canceled."""
    uow.conn.execute(
        update(approvals)
        .where(
            approvals.c.environment == uow.environment,
            approvals.c.subscription_id == sub.id,
            approvals.c.status == "pending",
        )
        .values(status="canceled", decided_at=uow.now, updated_at=uow.now)
    )


def _pending(uow: UnitOfWork, approval_id: str,
             approver: str) -> tuple[dict[str, Any], Subscription]:
    """The pending approval, and its subscription, both locked: the subscription first, as
    every other writer of a subscription (cancel withdraws its approvals) locks them, so a
    decision and a cancellation queue instead of deadlocking."""
    found = get_row(uow.conn, approvals, uow.environment, approval_id, what="Approval")
    sub = load(uow.conn, uow.environment, found["subscription_id"], for_update=True)
    row = dict(get_row(uow.conn, approvals, uow.environment, approval_id, what="Approval",
                       for_update=True))
    if row["status"] != "pending":
        raise InvalidTransition(f"Approval {approval_id} is already {row['status']}.")
    names = row["approvers"].get("names") or []
    if names and approver not in names:
        raise InvalidRequest(
            f"{approver!r} is not an approver of this rule; approvers: {', '.join(names)}.",
            field="approver",
        )
    if any(d["approver"] == approver for d in row["decisions"]):
        raise Conflict(f"{approver!r} has already decided on approval {approval_id}.")
    return row, sub


def approve(ctx: Ctx, approval_id: str, approver: str, note: str | None) -> dict[str, Any]:
    with ctx.uow() as uow:
        row, sub = _pending(uow, approval_id, approver)
        decisions = [*row["decisions"],
                     {"approver": approver, "decision": "approved", "note": note,
                      "at": rfc3339(uow.now)}]
        values: dict[str, Any] = {"decisions": decisions, "updated_at": uow.now}
        approved_by = [d["approver"] for d in decisions if d["decision"] == "approved"]
        if is_satisfied(row["approvers"], approved_by):
            values.update(status="approved", decided_at=uow.now)
            begin(uow, sub)
        update_row(uow.conn, approvals, uow.environment, approval_id, values)
        uow.commit()
    return render(Approval, {**row, **values})


def reject(ctx: Ctx, approval_id: str, approver: str, reason: str) -> dict[str, Any]:
    with ctx.uow() as uow:
        row, sub = _pending(uow, approval_id, approver)
        decisions = [*row["decisions"],
                     {"approver": approver, "decision": "rejected", "note": reason,
                      "at": rfc3339(uow.now)}]
        values = {"decisions": decisions, "status": "rejected", "rejection_reason": reason,
                  "decided_at": uow.now, "updated_at": uow.now}
        update_row(uow.conn, approvals, uow.environment, approval_id, values)
        versions = versions_of(uow.conn, uow.environment, sub.id)
        sub = save(uow.conn, sub, {"status": "draft", "updated_at": uow.now})
        transitions.emit(uow, "subscription.updated", sub, versions,
                approval={"id": approval_id, "status": "rejected", "reason": reason})
        uow.commit()
    return render(Approval, {**row, **values})


def get_approval(ctx: Ctx, approval_id: str) -> dict[str, Any]:
    return get_object(ctx, approvals, approval_id, what="Approval", view=renderer(Approval))


def list_approvals(ctx: Ctx, query: ListQuery) -> Page:
    return list_objects(
        ctx, approvals, query, view=renderer(Approval),
        sortable={"created_at": approvals.c.created_at},
        filters={
            "status": in_filter(approvals.c.status),
            "subscription_id": in_filter(approvals.c.subscription_id),
            "rule_id": in_filter(approvals.c.rule_id),
        },
    )
