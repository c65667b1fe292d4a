"""Reading and writing subscription rows and their versions (no business rules here).

Rows are parsed into ``Subscription`` and ``Version`` as they are read; a write returns the
object as it now is (``sub = save(conn, sub, values)``), never changing the one it was given.
A write that may change what the subscription brings in MRR, and when, remakes its MRR rollup
rows in the same transaction (``kassa.store.mrr_rollup.refresh``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from kassa.domain.approvals import monthly_recurring
from kassa.domain.errors import NotFound
from kassa.domain.subscription import Subscription, Version
from kassa.ids import new_id
from kassa.services import fx
from kassa.store import mrr_rollup
from kassa.store.queries import among, get_row
from kassa.store.tables import subscription_versions, subscriptions


def load(conn: Connection, environment: str, sub_id: str, *,
         for_update: bool = False) -> Subscription:
    """The stored subscription ``sub_id``, parsed; ``NotFound`` when there is none."""
    return Subscription.of(get_row(conn, subscriptions, environment, sub_id, what="Subscription",
                                   for_update=for_update))


def save(conn: Connection, sub: Subscription, values: Mapping[str, Any]) -> Subscription:
    """Write ``values``; the subscription as it now is (``ending_soon_for`` kept in step)."""
    written = sub.with_values(values)
    if _ENDING_INPUTS & values.keys() and written.end_to_announce != written.ending_soon_for:
        values = {**values, "ending_soon_for": written.end_to_announce}
        written = sub.with_values(values)
    conn.execute(
        update(subscriptions)
        .where(subscriptions.c.environment == sub.environment, subscriptions.c.id == sub.id)
        .values(**values)
    )
    if mrr_rollup.SUBSCRIPTION_FIELDS & values.keys():
        mrr_rollup.refresh(conn, sub.environment, [sub.id])
    return written


_ENDING_INPUTS = {"status", "contract", "term_end", "cancel_at"}  # what end_to_announce reads


def versions_of(conn: Connection, environment: str, sub_id: str) -> list[Version]:
    rows = conn.execute(
        select(subscription_versions)
        .where(
            subscription_versions.c.environment == environment,
            subscription_versions.c.subscription_id == sub_id,
        )
        .order_by(subscription_versions.c.number)
    ).mappings()
    return [Version.of(r) for r in rows]


def versions_by_subscription(conn: Connection, environment: str, sub_ids: Sequence[str], *,
                             published_only: bool = False) -> dict[str, list[Version]]:
    """``versions_of`` for many subscriptions in one query (a page of a list, a batch)."""
    found: dict[str, list[Version]] = {s: [] for s in sub_ids}
    if not sub_ids:
        return found
    query = select(subscription_versions).where(
        subscription_versions.c.environment == environment,
        among(conn, subscription_versions.c.subscription_id, list(sub_ids)),
    ).order_by(subscription_versions.c.subscription_id, subscription_versions.c.number)
    if published_only:
        query = query.where(subscription_versions.c.status == "published")
    for row in conn.execute(query).mappings():
        found[row["subscription_id"]].append(Version.of(row))
    return found


def version_of(conn: Connection, environment: str, sub_id: str, version_id: str) -> Version:
    row = (
        conn.execute(
            select(subscription_versions).where(
                subscription_versions.c.environment == environment,
                subscription_versions.c.subscription_id == sub_id,
                subscription_versions.c.id == version_id,
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"Version {version_id!r} of subscription {sub_id!r} was not found.")
    return Version.of(row)


def insert_version(conn: Connection, sub: Subscription, values: Mapping[str, Any],
                   now: datetime) -> Version:
    number = conn.execute(
        select(func.coalesce(func.max(subscription_versions.c.number), 0)).where(
            subscription_versions.c.environment == sub.environment,
            subscription_versions.c.subscription_id == sub.id,
        )
    ).scalar_one()
    row = {
        "environment": sub.environment,
        "id": new_id(),
        "subscription_id": sub.id,
        "number": number + 1,
        "status": "draft",
        "effective_at": None,
        "effective": None,
        "description": None,
        "plan_id": None,
        "proration": "full",
        "source_version_id": None,
        "published_at": None,
        "created_at": now,
        "updated_at": now,
        **_with_mrr(conn, sub, values, now),
    }
    conn.execute(insert(subscription_versions), row)
    if row["status"] == "published":
        mrr_rollup.refresh(conn, sub.environment, [sub.id])
    return Version.of(row)


def save_version(conn: Connection, version: Version, values: Mapping[str, Any]) -> Version:
    """Write ``values``; the version as it now is."""
    conn.execute(
        update(subscription_versions)
        .where(
            subscription_versions.c.environment == version.environment,
            subscription_versions.c.id == version.id,
        )
        .values(**_with_mrr(conn, version, values))
    )
    if mrr_rollup.VERSION_FIELDS & values.keys():
        mrr_rollup.refresh(conn, version.environment, [version.subscription_id])
    return version.with_values(values)


def _with_mrr(conn: Connection, owner: Subscription | Version, values: Mapping[str, Any],
              now: datetime | None = None) -> Mapping[str, Any]:
    """``values`` with the ``mrr`` of their items, when they set the items: in the
    subscription's currency (prices in another one from their option there, else converted at
    the newest rate as of ``now``, ``kassa.services.fx.mrr_items``)."""
    if "items" not in values:
        return values
    items = values["items"]
    sub = owner if isinstance(owner, Subscription) else load(
        conn, owner.environment, owner.subscription_id)
    if sub.converts:
        when = now or values.get("updated_at")
        items = fx.mrr_items(conn, sub, items, when.date() if when else None)
    return {**values, "mrr": monthly_recurring(items)}


def delete_version(conn: Connection, version: Version) -> None:
    conn.execute(
        subscription_versions.delete().where(
            subscription_versions.c.environment == version.environment,
            subscription_versions.c.id == version.id,
        )
    )
    if version.status == "published":
        mrr_rollup.refresh(conn, version.environment, [version.subscription_id])
