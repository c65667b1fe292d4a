"""Plans (a priced item set with contract and billing defaults) and bundles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select
from sqlalchemy.engine import RowMapping

from kassa.domain.errors import Conflict, InvalidRequest
from kassa.ids import new_id
from kassa.resources import renderer
from kassa.resources.plans import Bundle, Plan, PlanVersion
from kassa.services.common import (
    archive_object,
    get_object,
    insert_object,
    list_objects,
    merge_metadata,
    update_object,
)
from kassa.services.context import Ctx
from kassa.services.item_checks import check_items, fill_bundle_defaults
from kassa.store.queries import (
    ListQuery,
    Page,
    archived_filter,
    get_row,
    in_filter,
    live_by_default,
)
from kassa.store.tables import bundles, plan_versions, plans
from kassa.store.uow import UnitOfWork


def live_plan(conn: Connection, environment: str, plan_id: str, field: str = "plan_id") -> RowMapping:
    """The plan a subscription is created from or swapped to: it must exist and not be archived."""
    plan = get_row(conn, plans, environment, plan_id, what="Plan")
    if plan["archived_at"] is not None:
        raise InvalidRequest(f"Plan {plan['id']} is archived.", field=field)
    return plan


SORTABLE = {"created_at": "created_at", "updated_at": "updated_at", "name": "name"}


def _ensure_new(uow: Any, table: Table, object_id: str, what: str) -> None:
    exists = uow.conn.execute(
        select(table.c.seq).where(table.c.environment == uow.environment, table.c.id == object_id)
    ).first()
    if exists is not None:
        raise Conflict(f"A {what} with id {object_id!r} already exists.", field="id")


def create_plan(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    with ctx.uow() as uow:
        plan_id = data.get("id") or new_id("pln")
        _ensure_new(uow, plans, plan_id, "plan")
        items = fill_bundle_defaults(uow.conn, uow.environment, data["items"])
        check_items(uow.conn, uow.environment, items)
        row = {
            "id": plan_id,
            "name": data["name"],
            "description": data.get("description"),
            "currency": data["currency"],
            "items": items,
            "contract": data.get("contract") or {"period_type": "monthly_rolling"},
            "billing": data.get("billing") or {},
            "renewal": data.get("renewal"),
            "metadata": merge_metadata({}, data.get("metadata") or {}),
        }
        view = insert_object(uow, plans, row, what="plan", view=renderer(Plan),
                             event="plan.created")
        _add_version(uow, plan_id, items)
        uow.commit()
    return view


def _add_version(uow: UnitOfWork, plan_id: str, items: list[dict[str, Any]]) -> None:
    """Record ``items`` as the plan's next item set."""
    number = uow.conn.execute(select(func.coalesce(func.max(plan_versions.c.number), 0)).where(
        plan_versions.c.environment == uow.environment,
        plan_versions.c.plan_id == plan_id)).scalar_one()
    uow.conn.execute(insert(plan_versions).values(
        environment=uow.environment, id=new_id("plv"), plan_id=plan_id, number=number + 1,
        items=items, created_at=uow.now, updated_at=uow.now))


def plan_item_sets(conn: Connection, environment: str, plan_id: str) -> list[list[dict]]:
    """Every item set the plan has had, oldest first (the last is its current items)."""
    return [list(items) for items in conn.execute(
        select(plan_versions.c["items"]).where(
            plan_versions.c.environment == environment, plan_versions.c.plan_id == plan_id)
        .order_by(plan_versions.c.number)).scalars()]


def list_plan_versions(ctx: Ctx, plan_id: str) -> list[dict[str, Any]]:
    """The plan's item sets, oldest first (``GET /plans/{id}/versions``)."""
    with ctx.uow(read_only=True) as uow:
        get_row(uow.conn, plans, uow.environment, plan_id, what="Plan")
        rows = uow.conn.execute(select(plan_versions).where(
            plan_versions.c.environment == uow.environment, plan_versions.c.plan_id == plan_id)
            .order_by(plan_versions.c.number)).mappings().all()
    view = renderer(PlanVersion)
    return [view(row) for row in rows]


def update_plan(ctx: Ctx, plan_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Existing subscriptions keep the items they were created with (they hold their own); new
    items are the plan's next item set (``GET /plans/{id}/versions``)."""

    def prepare(uow: UnitOfWork, row: dict[str, Any], values: dict[str, Any]) -> None:
        if "items" in values:
            values["items"] = fill_bundle_defaults(uow.conn, uow.environment, values["items"])
            check_items(uow.conn, uow.environment, values["items"])
            if values["items"] != row["items"]:
                _add_version(uow, plan_id, values["items"])

    return update_object(ctx, plans, plan_id, changes, what="Plan", view=renderer(Plan),
                         event="plan.updated", prepare=prepare)


def create_bundle(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    with ctx.uow() as uow:
        bundle_id = data.get("id") or new_id("bnd")
        _ensure_new(uow, bundles, bundle_id, "bundle")
        check_items(uow.conn, uow.environment, data["items"])
        row = {
            "id": bundle_id,
            "name": data["name"],
            "description": data.get("description"),
            "items": data["items"],
            "metadata": merge_metadata({}, data.get("metadata") or {}),
        }
        view = insert_object(uow, bundles, row, what="bundle", view=renderer(Bundle),
                             event="bundle.created")
        uow.commit()
    return view


def update_bundle(ctx: Ctx, bundle_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    def prepare(uow: UnitOfWork, row: dict[str, Any], values: dict[str, Any]) -> None:
        if "items" in values:
            check_items(uow.conn, uow.environment, values["items"])

    return update_object(ctx, bundles, bundle_id, changes, what="Bundle", view=renderer(Bundle),
                         event="bundle.updated", prepare=prepare)


def get_plan(ctx: Ctx, plan_id: str) -> dict[str, Any]:
    return get_object(ctx, plans, plan_id, what="Plan", view=renderer(Plan))


def get_bundle(ctx: Ctx, bundle_id: str) -> dict[str, Any]:
    return get_object(ctx, bundles, bundle_id, what="Bundle", view=renderer(Bundle))


def _list(ctx: Ctx, table: Table, query: ListQuery, view: Any, extra: dict) -> Page:
    return list_objects(
        ctx, table, live_by_default(query), view=view,
        sortable={k: table.c[v] for k, v in SORTABLE.items()},
        filters={"id": in_filter(table.c.id), "archived": archived_filter(table), **extra},
    )


def list_plans(ctx: Ctx, query: ListQuery) -> Page:
    return _list(ctx, plans, query, renderer(Plan),
                 {"currency": in_filter(plans.c.currency, str.upper)})


def list_bundles(ctx: Ctx, query: ListQuery) -> Page:
    return _list(ctx, bundles, query, renderer(Bundle), {})


def archive_plan(ctx: Ctx, plan_id: str) -> dict[str, Any]:
    return archive_object(ctx, plans, plan_id, what="Plan", view=renderer(Plan),
                          event="plan.archived")


def archive_bundle(ctx: Ctx, bundle_id: str) -> dict[str, Any]:
    return archive_object(
        ctx, bundles, bundle_id, what="Bundle", view=renderer(Bundle), event="bundle.archived"
    )
