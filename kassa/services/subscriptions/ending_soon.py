"""``subscription.ending_soon``: once per term end, N days before it: the environment's
Settings → Subscriptions renewal notice, else the installation's ``subscription_ending_soon_days``.

The end to announce is kept on the row (``ending_soon_for``, see ``records.save``): a scheduled
cancellation, or the end of a fixed term. The notice is due N days before it, or at once when the
end became known later than that; the ends announced are remembered (``ending_soon_sent``), so
a repeated advance, a second worker or a cancellation at the announced end sends nothing new.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from kassa.domain.contracts import utc_date
from kassa.due_work import DueWork
from kassa.services import environment_settings
from kassa.services.context import Ctx
from kassa.services.serialize import iso_date, rfc3339
from kassa.services.subscriptions import transitions
from kassa.services.subscriptions.records import load, save, versions_of
from kassa.store.tables import subscriptions

EVENT = "subscription.ending_soon"
BATCH = 200


def ending_soon_work(days: int) -> DueWork:
    """The due-work source announcing ends ``days`` days ahead, unless an environment's renewal
    notice says otherwise (read at each look, so a PATCH counts at once)."""

    def notice(conn: Connection, environment: str) -> timedelta:
        return timedelta(days=environment_settings.renewal_notice_days(conn, environment, days))

    def next_due(conn: Connection, environment: str) -> datetime | None:
        ahead = notice(conn, environment)
        end = conn.execute(
            select(func.min(subscriptions.c.ending_soon_for))
            .where(subscriptions.c.environment == environment)
        ).scalar_one()
        return None if end is None else end - ahead

    def run(ctx: Ctx) -> list[dict[str, Any]]:
        now = ctx.clock.now()
        ran: list[dict[str, Any]] = []
        while True:
            with ctx.engine.connect() as conn:
                ahead = notice(conn, ctx.environment)
                ids = list(conn.execute(
                    select(subscriptions.c.id)
                    .where(subscriptions.c.environment == ctx.environment,
                           subscriptions.c.ending_soon_for <= now + ahead)
                    .order_by(subscriptions.c.ending_soon_for)
                    .limit(BATCH)
                ).scalars())
            done = [item for sub_id in ids if (item := _announce(ctx, sub_id, now, ahead))]
            ran += [item for item in done if item.get("type") == EVENT]
            if len(done) < len(ids) or not ids:  # the rest is another worker's
                return ran

    return DueWork("subscription_ending_soon", next_due, run)


def _announce(ctx: Ctx, sub_id: str, now: datetime, ahead: timedelta) -> dict[str, Any] | None:
    """Announce the end of ``sub_id`` if still due; None when another worker holds the row."""
    with ctx.uow() as uow:
        stmt = select(subscriptions.c.id).where(
            subscriptions.c.environment == uow.environment,
            subscriptions.c.id == sub_id,
            subscriptions.c.ending_soon_for <= now + ahead,
        )
        if uow.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        if uow.conn.execute(stmt).first() is None:
            return None
        sub = load(uow.conn, uow.environment, sub_id)
        end = sub.ending_soon_for
        item: dict[str, Any] = {"type": "subscription.ending_soon_passed", "subscription_id": sub_id}
        if end >= now:
            versions = versions_of(uow.conn, uow.environment, sub_id)
            transitions.emit(uow, EVENT, sub, versions, term_end=iso_date(utc_date(end)),
                             days_until_end=(utc_date(end) - utc_date(now)).days)
            item = {"type": EVENT, "subscription_id": sub_id, "term_end": iso_date(utc_date(end))}
        sent = [*sub.ending_soon_sent, rfc3339(end)]
        save(uow.conn, sub, {"ending_soon_sent": sent, "ending_soon_for": None})
        uow.commit()
    return item
