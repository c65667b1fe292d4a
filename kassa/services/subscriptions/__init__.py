"""Subscriptions: creation, versions, changes, lifecycle and their scheduled transitions."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection, func, select

from kassa.domain.subscription import Subscription
from kassa.due_work import DueWork
from kassa.services.context import Ctx
from kassa.services.customers import customer_filter
from kassa.services.subscriptions import transitions
from kassa.services.subscriptions.changes import change_subscription
from kassa.services.subscriptions.create import create_subscription
from kassa.services.subscriptions.lifecycle import activate, cancel, pause, resume, uncancel, update
from kassa.services.subscriptions.records import load, versions_by_subscription, versions_of
from kassa.services.subscriptions.versions import (
    create_version,
    delete_version,
    get_version,
    list_versions,
    publish_version,
    replace_version,
)
from kassa.services.subscriptions.views import subscription_view
from kassa.store.queries import ListQuery, Page, fetch_page, in_filter
from kassa.store.tables import subscriptions

BATCH = 200
log = logging.getLogger("kassa.subscriptions")


def get_subscription(ctx: Ctx, sub_id: str) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        sub = load(uow.conn, uow.environment, sub_id)
        return subscription_view(sub, versions_of(uow.conn, uow.environment, sub_id), uow.now)


def list_subscriptions(ctx: Ctx, query: ListQuery) -> Page:
    with ctx.uow(read_only=True) as uow:
        page = fetch_page(
            uow.conn,
            subscriptions,
            uow.environment,
            query,
            sortable={"created_at": subscriptions.c.created_at,
                      "updated_at": subscriptions.c.updated_at},
            filters={
                "id": in_filter(subscriptions.c.id),
                "customer_id": customer_filter(uow.conn, uow.environment,
                                               subscriptions.c.customer_id),
                "status": in_filter(subscriptions.c.status),
                "plan_id": in_filter(subscriptions.c.plan_id),
                "currency": in_filter(subscriptions.c.currency, str.upper),
            },
        )
        versions = versions_by_subscription(uow.conn, uow.environment,
                                            [row["id"] for row in page.rows])
        return page.map(lambda row: subscription_view(Subscription.of(row), versions[row["id"]],
                                                      uow.now))


# ------------------------------------------------------------------ due work


def _next_due(conn: Connection, environment: str):  # noqa: ANN202
    return conn.execute(
        select(func.min(subscriptions.c.next_action_at)).where(
            subscriptions.c.environment == environment
        )
    ).scalar_one()


def _run_due(ctx: Ctx) -> list[dict[str, Any]]:
    """Advance every subscription whose next transition is due, one transaction each.

    A subscription whose transition fails is logged and skipped for this run (the others go on);
    it is retried on the next run.
    """
    now = ctx.clock.now()
    ran: list[dict[str, Any]] = []
    failed: set[str] = set()  # failed, or held by another worker: not retried this run
    while True:
        with ctx.engine.connect() as conn:
            query = (
                select(subscriptions.c.id)
                .where(
                    subscriptions.c.environment == ctx.environment,
                    subscriptions.c.next_action_at <= now,
                )
                .order_by(subscriptions.c.next_action_at)
                .limit(BATCH)
            )
            if failed:
                query = query.where(subscriptions.c.id.not_in(sorted(failed)))
            ids = list(conn.execute(query).scalars())
        if not ids:
            return ran
        for sub_id in ids:
            try:
                done = _advance_one(ctx, sub_id, now)
            except Exception:
                log.exception("subscription %s: scheduled transition failed", sub_id)
                done = None
            if done is None:
                failed.add(sub_id)
            else:
                ran += done


def _advance_one(ctx: Ctx, sub_id: str, now: Any) -> list[dict[str, Any]] | None:
    """The transitions run for ``sub_id``; None when another worker holds it."""
    with ctx.uow() as uow:
        stmt = select(subscriptions.c.id).where(
            subscriptions.c.environment == uow.environment,
            subscriptions.c.id == sub_id,
            subscriptions.c.next_action_at <= now,
        )
        if uow.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        if uow.conn.execute(stmt).first() is None:
            return None  # another worker has it, or it is no longer due
        ran = transitions.advance(uow, load(uow.conn, uow.environment, sub_id), now).ran
        uow.commit()
    return ran


SUBSCRIPTION_TRANSITIONS = DueWork("subscriptions", _next_due, _run_due)

__all__ = [
    "SUBSCRIPTION_TRANSITIONS",
    "activate",
    "cancel",
    "change_subscription",
    "create_subscription",
    "create_version",
    "delete_version",
    "get_subscription",
    "get_version",
    "list_subscriptions",
    "list_versions",
    "pause",
    "publish_version",
    "replace_version",
    "resume",
    "uncancel",
    "update",
]
