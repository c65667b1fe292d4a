"""Path B: the raw version lifecycle (snapshot item sets: create, replace, publish, delete)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kassa.domain.errors import InvalidTransition, NotFound
from kassa.domain.subscription import Version, by_id, current_version, replaced
from kassa.services import fx
from kassa.services.context import Ctx
from kassa.services.item_checks import check_items, fill_bundle_defaults
from kassa.services.subscriptions.lifecycle import refuse
from kassa.services.subscriptions.publishing import effective_instant, publish
from kassa.services.subscriptions.records import (
    delete_version as remove_version,
    insert_version,
    load,
    save_version,
    version_of,
    versions_of,
)
from kassa.services.subscriptions.transitions import LIVE
from kassa.services.subscriptions.views import version_view
from kassa.store.uow import UnitOfWork


def list_versions(ctx: Ctx, sub_id: str) -> list[dict[str, Any]]:
    with ctx.uow(read_only=True) as uow:
        load(uow.conn, uow.environment, sub_id)
        return [version_view(v) for v in versions_of(uow.conn, uow.environment, sub_id)]


def get_version(ctx: Ctx, sub_id: str, version_id: str) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        sub = load(uow.conn, uow.environment, sub_id)
        if version_id == "current":
            versions = versions_of(uow.conn, uow.environment, sub_id)
            current = by_id(versions, sub.current_version_id)
            if current is None:
                raise NotFound(
                    f"Subscription {sub_id} has no current version yet: it is activated first."
                )
            return version_view(current)
        return version_view(version_of(uow.conn, uow.environment, sub_id, version_id))


def _checked_items(uow: UnitOfWork, items: list[dict]) -> list[dict]:
    items = fill_bundle_defaults(uow.conn, uow.environment, items)
    check_items(uow.conn, uow.environment, items)
    return items


def create_version(ctx: Ctx, sub_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    with ctx.uow() as uow:
        sub = load(uow.conn, uow.environment, sub_id, for_update=True)
        if sub.status == "canceled":
            raise refuse(sub, "add a version to")
        versions = versions_of(uow.conn, uow.environment, sub_id)
        source = current_version(versions, uow.now)
        items = _checked_items(uow, data["items"])
        fx.check_convertible(uow, items, sub.prices_in, sub.currency)
        version = insert_version(
            uow.conn,
            sub,
            {
                "items": items,
                "effective": data["effective"],
                "description": data.get("description"),
                "proration": data.get("proration", "full"),
                "source_version_id": source.id if source else None,
            },
            uow.now,
        )
        if sub.status in LIVE:
            at = effective_instant(sub, versions, data["effective"], uow.now, "effective_at")
            version = save_version(uow.conn, version, {"effective_at": at})
            if not data.get("draft", True):
                version = publish(uow, sub, versions, version, at).version
        elif not data.get("draft", True):
            raise refuse(sub, "publish a version of", "Activate it; activation publishes its draft.")
        view = version_view(version)
        uow.commit()
    return view


def _draft(uow: UnitOfWork, sub_id: str, version_id: str, action: str) -> Version:
    version = version_of(uow.conn, uow.environment, sub_id, version_id)
    if version.status != "draft":
        raise InvalidTransition(
            f"Version {version_id} is published; published versions are immutable. "
            f"Create a new version instead of trying to {action} it."
        )
    return version


def replace_version(ctx: Ctx, sub_id: str, version_id: str, data: Mapping[str, Any]) -> dict:
    with ctx.uow() as uow:
        sub = load(uow.conn, uow.environment, sub_id, for_update=True)
        version = _draft(uow, sub_id, version_id, "replace")
        values: dict[str, Any] = {"items": _checked_items(uow, data["items"]), "updated_at": uow.now}
        fx.check_convertible(uow, values["items"], sub.prices_in, sub.currency)
        for name in ("effective", "description", "proration"):
            if name in data:
                values[name] = data[name]
        if sub.status in LIVE and values.get("effective", version.effective):
            versions = versions_of(uow.conn, uow.environment, sub_id)
            values["effective_at"] = effective_instant(
                sub, versions, values.get("effective", version.effective), uow.now, "effective_at"
            )
        version = save_version(uow.conn, version, values)
        view = version_view(version)
        uow.commit()
    return view


def publish_version(ctx: Ctx, sub_id: str, version_id: str, proration: str | None) -> dict:
    with ctx.uow() as uow:
        sub = load(uow.conn, uow.environment, sub_id, for_update=True)
        version = _draft(uow, sub_id, version_id, "publish")
        if sub.status not in LIVE:
            raise refuse(
                sub,
                "publish a version of",
                "Activate it instead; activation publishes its draft version.",
            )
        versions = versions_of(uow.conn, uow.environment, sub_id)
        version = next(v for v in versions if v.id == version_id)
        if proration:
            version = save_version(uow.conn, version, {"proration": proration})
            replaced(versions, version)
        at = effective_instant(sub, versions, version.effective or "immediate", uow.now,
                               "effective_at")
        version = publish(uow, sub, versions, version, at).version
        view = version_view(version)
        uow.commit()
    return view


def delete_version(ctx: Ctx, sub_id: str, version_id: str) -> dict[str, Any]:
    with ctx.uow() as uow:
        load(uow.conn, uow.environment, sub_id, for_update=True)
        version = _draft(uow, sub_id, version_id, "delete")
        remove_version(uow.conn, version)
        view = {**version_view(version), "deleted": True}
        uow.commit()
    return view
