"""Approvals as the dashboard reviews them: each approval (as GET /approvals shows it) with its
subscription, customer and rule, the items under review and the deal's value (MRR, ACV, TCV:
the figures the rules compare, ``kassa.domain.approvals``). One query per table for a page.
The decisions themselves are ``approvals.approve`` and ``approvals.reject``, as in the API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from kassa.domain.approvals import deal_figures
from kassa.domain.items import priced_items
from kassa.domain.money import round_money
from kassa.domain.subscription import Subscription, Version
from kassa.resources import render
from kassa.resources.approvals import Approval
from kassa.services import fx
from kassa.services.context import Ctx
from kassa.services.serialize import money
from kassa.services.subscriptions.approvals import contract_months, list_approvals
from kassa.services.subscriptions.records import versions_by_subscription
from kassa.store.queries import ListQuery, Page, get_row
from kassa.store.tables import approval_rules, approvals, customers, products, subscriptions


def list_for_review(ctx: Ctx, query: ListQuery) -> Page:
    """``approvals.list_approvals`` (filters status, subscription_id, rule_id), each approval
    with what ``for_review`` adds."""
    found = list_approvals(ctx, query)
    with ctx.uow(read_only=True) as uow:
        return found.map(_reviewer(uow.conn, uow.environment, found.rows))


def for_review(ctx: Ctx, approval_id: str) -> dict[str, Any]:
    """One approval with its ``subscription`` (id, name, status, currency, contract months),
    ``customer`` (id, name, email), ``rule`` (id, name; None once deleted), the ``items``
    under review (and as ``item_lines``, one per priced product, with its name) and ``value``
    (mrr, acv, tcv as money strings in the subscription's currency)."""
    with ctx.uow(read_only=True) as uow:
        row = get_row(uow.conn, approvals, uow.environment, approval_id, what="Approval")
        view = render(Approval, row)
        review = _reviewer(uow.conn, uow.environment, [view])(view)
        priced = list(priced_items(review["items"]))
        wanted = sorted({child["product_id"] for _, child in priced})
        names = dict(uow.conn.execute(select(products.c.id, products.c.name).where(
            products.c.environment == uow.environment, products.c.id.in_(wanted),
        )).all()) if wanted else {}
    review["item_lines"] = [{
        "bundle_id": bundle_id, "product_id": child["product_id"],
        "product_name": names.get(child["product_id"], child["product_id"]),
        "price_type": child["price"].get("type"), "fee_type": child["price"].get("fee_type"),
        "billing_interval": child["price"].get("billing_interval"),
        "quantity": child.get("quantity", 1),
    } for bundle_id, child in priced]
    return review


def _reviewer(conn: Connection, environment: str, shown: Sequence[dict[str, Any]]) -> Any:
    """A function adding the review's context to each of ``shown``, its rows read at once."""
    sub_ids = sorted({a["subscription_id"] for a in shown})
    subs = {r["id"]: Subscription.of(r) for r in conn.execute(select(subscriptions).where(
        subscriptions.c.environment == environment, subscriptions.c.id.in_(sub_ids),
    )).mappings()} if sub_ids else {}
    versions = versions_by_subscription(conn, environment, sub_ids) if sub_ids else {}
    customer_ids = sorted({s.customer_id for s in subs.values()})
    people = {r["id"]: dict(r) for r in conn.execute(
        select(customers.c.id, customers.c.name, customers.c.email).where(
            customers.c.environment == environment, customers.c.id.in_(customer_ids),
        )).mappings()} if customer_ids else {}
    rule_ids = sorted({a["rule_id"] for a in shown})
    rules = {r["id"]: dict(r) for r in conn.execute(
        select(approval_rules.c.id, approval_rules.c.name).where(
            approval_rules.c.environment == environment, approval_rules.c.id.in_(rule_ids),
        )).mappings()} if rule_ids else {}

    def add(approval: dict[str, Any]) -> dict[str, Any]:
        sub = subs[approval["subscription_id"]]
        months = contract_months(sub)
        items = under_review(versions.get(sub.id, []))
        figures = deal_figures(fx.mrr_items(conn, sub, items, None) if sub.converts else items,
                               months)
        return {
            **approval,
            "subscription": {"id": sub.id, "name": sub.name, "status": sub.status,
                             "currency": sub.currency, "contract_months": months},
            "customer": people[sub.customer_id],
            "rule": rules.get(approval["rule_id"]),
            "items": items,
            "value": {k: money(round_money(v, sub.currency)) for k, v in figures.items()},
        }

    return add


def under_review(versions: Sequence[Version]) -> list[dict[str, Any]]:
    """The items an approval is about: the draft version's (what activation publishes), or,
    once decided and published, the first published version's."""
    drafts = [v for v in versions if v.status == "draft"]
    published = [v for v in versions if v.status == "published"]
    chosen = drafts[0] if drafts else published[0] if published else None
    return [dict(item) for item in chosen.items] if chosen else []
