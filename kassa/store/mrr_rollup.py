"""The MRR rollups (``mrr_segments``, ``mrr_days``) kept in step with subscriptions and their
versions: ``refresh`` remakes one subscription's segments from its stored rows, in the
transaction that changed them (``kassa.services.subscriptions.records``, the one writer of
both), and moves the day sums by the difference; ``rebuild`` makes both afresh (migration 0015).

A subscription's MRR just before an instant T is its published version in force then: the one
with the latest ``(effective_at, number)`` before T, while the subscription is activated and
not ended (``canceled_at`` before T). So each published version with an MRR is in force from
its ``effective_at`` (``starts``, exclusive) up to the next published version's
``effective_at`` or the ``canceled_at``, the earlier (``ends``, inclusive; none: open), and a
stretch that ends where it starts (or before) never is. That is what the report's SQL over
every version (a ``lead()`` window) worked out on each request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Connection, select

from kassa.store.queries import among
from kassa.store.rollups import Deltas, add, insert_all
from kassa.store.tables import mrr_days, mrr_segments, subscription_versions, subscriptions

# The columns whose change may change a subscription's segments.
SUBSCRIPTION_FIELDS = frozenset({"activated_at", "canceled_at", "currency"})
VERSION_FIELDS = frozenset({"status", "effective_at", "items", "mrr", "number"})


class Segment(NamedTuple):
    number: int
    currency: str
    mrr: Decimal
    starts: datetime
    ends: datetime | None


def segments(sub: Mapping[str, Any], versions: Iterable[Mapping[str, Any]]) -> list[Segment]:
    """The segments of a subscription row (``currency``, ``activated_at``, ``canceled_at``)
    from its published versions' rows (``number``, ``effective_at``, ``mrr``)."""
    if sub["activated_at"] is None:
        return []
    timed = sorted((v for v in versions if v["effective_at"] is not None),
                   key=lambda v: (v["effective_at"], v["number"]))
    found = []
    for n, version in enumerate(timed):
        starts = version["effective_at"]
        limits = [t for t in (timed[n + 1]["effective_at"] if n + 1 < len(timed) else None,
                              sub["canceled_at"]) if t is not None]
        ends = min(limits) if limits else None
        if version["mrr"] is None or (ends is not None and ends <= starts):
            continue
        found.append(Segment(version["number"], sub["currency"], Decimal(version["mrr"]),
                             starts, ends))
    return found


def _count(deltas: Deltas, environment: str, found: Iterable[Segment], sign: int) -> None:
    for s in found:
        deltas.add((environment, s.currency, s.starts.date()), sign * s.mrr, sign)
        if s.ends is not None:
            deltas.add((environment, s.currency, s.ends.date()), -sign * s.mrr, -sign)


def _rows(environment: str, sub_id: str, found: Iterable[Segment]) -> list[dict[str, Any]]:
    return [{"environment": environment, "subscription_id": sub_id, **s._asdict()}
            for s in found]


def refresh(conn: Connection, environment: str, sub_ids: Sequence[str]) -> None:
    """Remake the segments of the subscriptions ``sub_ids`` from their stored rows (as this
    transaction has written them) and move ``mrr_days`` by the difference. On PostgreSQL the
    subscription rows are locked first, so two transactions changing one subscription take
    turns and the second reads the segments the first wrote."""
    s, v, g = subscriptions.c, subscription_versions.c, mrr_segments.c
    query = (select(s.id, s.currency, s.activated_at, s.canceled_at)
             .where(s.environment == environment, among(conn, s.id, list(sub_ids))))
    if conn.dialect.name == "postgresql":
        query = query.order_by(s.id).with_for_update()
    subs = {row["id"]: row for row in conn.execute(query).mappings()}
    versions: dict[str, list[Mapping[str, Any]]] = {i: [] for i in sub_ids}
    for row in conn.execute(
        select(v.subscription_id, v.number, v.effective_at, v.mrr)
        .where(v.environment == environment, among(conn, v.subscription_id, list(sub_ids)),
               v.status == "published")
    ).mappings():
        versions[row["subscription_id"]].append(row)
    old: dict[str, list[Segment]] = {i: [] for i in sub_ids}
    for row in conn.execute(
        select(g.subscription_id, g.number, g.currency, g.mrr, g.starts, g.ends)
        .where(g.environment == environment, among(conn, g.subscription_id, list(sub_ids)))
    ).all():
        old[row[0]].append(Segment(*row[1:]))
    deltas, changed, rows = Deltas(), [], []
    for sub_id in sub_ids:
        new = segments(subs[sub_id], versions[sub_id]) if sub_id in subs else []
        if sorted(new) == sorted(old[sub_id]):
            continue
        changed.append(sub_id)
        _count(deltas, environment, old[sub_id], -1)
        _count(deltas, environment, new, 1)
        rows += _rows(environment, sub_id, new)
    if not changed:
        return
    conn.execute(mrr_segments.delete().where(
        g.environment == environment, among(conn, g.subscription_id, changed)))
    if rows:
        conn.execute(mrr_segments.insert(), rows)
    add(conn, mrr_days, deltas)


def rebuild(conn: Connection) -> None:
    """Both MRR rollups made afresh from every subscription and published version."""
    conn.execute(mrr_segments.delete())
    conn.execute(mrr_days.delete())
    s, v = subscriptions.c, subscription_versions.c
    subs = {(row["environment"], row["id"]): row for row in conn.execute(
        select(s.environment, s.id, s.currency, s.activated_at, s.canceled_at)
        .where(s.activated_at.is_not(None))).mappings()}
    versions: dict[tuple[str, str], list[Mapping[str, Any]]] = {key: [] for key in subs}
    for row in conn.execute(
        select(v.environment, v.subscription_id, v.number, v.effective_at, v.mrr)
        .where(v.status == "published")).mappings():
        versions.get((row["environment"], row["subscription_id"]), []).append(row)
    deltas, rows = Deltas(), []
    for (environment, sub_id), sub in subs.items():
        found = segments(sub, versions[(environment, sub_id)])
        _count(deltas, environment, found, 1)
        rows += _rows(environment, sub_id, found)
    for start in range(0, len(rows), 5000):
        conn.execute(mrr_segments.insert(), rows[start:start + 5000])
    insert_all(conn, mrr_days, deltas)
