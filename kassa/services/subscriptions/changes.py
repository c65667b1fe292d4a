"""Path A: the Changes API — a delta computed onto a source version, previewed or applied."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kassa.domain.changes import Normalize, apply_change, diff
from kassa.domain.errors import InvalidRequest
from kassa.services import fx
from kassa.services.context import Ctx
from kassa.services.item_checks import check_items, check_prices, fill_bundle_defaults
from kassa.services.plans import live_plan
from kassa.services.serialize import rfc3339
from kassa.services.subscriptions.lifecycle import refuse
from kassa.services.subscriptions.publishing import effective_instant, proration_view, publish
from kassa.services.subscriptions.records import (
    insert_version,
    load,
    version_of,
    versions_of,
)
from kassa.services.subscriptions.transitions import LIVE, current_items
from kassa.services.subscriptions.views import version_view


Priced = list[tuple[str, Mapping[str, Any], str]]


def _recording(normalize: Normalize, change: Mapping[str, Any], priced: Priced) -> Normalize:
    """``normalize`` that also records (product_id, price, path) for each price it returns."""

    def record(raw: Mapping[str, Any], path: str) -> dict[str, Any]:
        price = normalize(raw, path)
        op: Any = change
        for key, index in re.findall(r"(\w+)\[(\d+)\]", path.rsplit(".", 1)[0]):
            op = op[key][int(index)]
        priced.append((op["product_id"], price, path))
        return price

    return record


def change_subscription(
    ctx: Ctx, sub_id: str, change: Mapping[str, Any], normalize: Normalize, *, preview: bool
) -> dict[str, Any]:
    """Apply (or preview) ``change``; the result is the new version, its delta and proration."""
    with ctx.uow(read_only=preview) as uow:
        sub = load(uow.conn, uow.environment, sub_id, for_update=not preview)
        if sub.status not in LIVE:
            raise refuse(
                sub,
                "change",
                "Changes apply to active or paused subscriptions; edit a draft's version with "
                "PUT /subscriptions/{id}/versions/{version_id}.",
            )
        empty = not (change.get("add") or change.get("remove") or change.get("update")
                     or change.get("plan_id"))
        if empty and not change.get("draft"):
            # An empty draft is a staging copy of the source, to edit with PUT /versions/{id}.
            raise InvalidRequest(
                "The change is empty: give add, remove, update or plan_id (or draft: true to "
                "stage a copy of the current version).",
                field="body",
            )
        versions = versions_of(uow.conn, uow.environment, sub_id)
        if change.get("source_version_id"):
            source = version_of(uow.conn, uow.environment, sub_id, change["source_version_id"])
        else:
            source = next(v for v in versions if v.id == sub.current_version_id)
        base = list(source.items)
        plan_id = sub.plan_id
        if change.get("plan_id"):
            plan = live_plan(uow.conn, uow.environment, change["plan_id"])
            if plan["currency"] != sub.prices_in:
                raise InvalidRequest(
                    f"Plan {plan['id']} is priced in {plan['currency']}; the subscription's "
                    f"prices are in {sub.prices_in}.",
                    field="plan_id",
                )
            base = fill_bundle_defaults(uow.conn, uow.environment, plan["items"])
            plan_id = plan["id"]
        priced: Priced = []
        items = apply_change(base, change, _recording(normalize, change, priced))
        items = fill_bundle_defaults(uow.conn, uow.environment, items)
        # Only the prices this change writes are held to their products' fee_type.
        check_items(uow.conn, uow.environment, items, fee_types=False)
        check_prices(uow.conn, uow.environment, priced)
        fx.check_convertible(uow, items, sub.prices_in, sub.currency)
        effective = change.get("effective") or "immediate"
        at = effective_instant(sub, versions, effective, uow.now, "effective")
        old_items = current_items(sub, versions)
        rates = fx.Rates.of(uow)
        credited_on = min(sub.billed_through, at).date() if sub.billed_through else at.date()
        result = {
            "effective_at": rfc3339(at),
            "items": items,
            "delta": diff(old_items, items).as_dict(),
            # As billing will: the unused time at the rate its period was billed at.
            "proration": proration_view(
                sub, fx.billed_items(rates, sub, old_items, credited_on)[0],
                fx.billed_items(rates, sub, items, at.date())[0], at, uow.now,
                change.get("proration") or "full"
            ),
        }
        if preview:
            return {"subscription_id": sub_id, "source_version_id": source.id, **result}
        version = insert_version(
            uow.conn,
            sub,
            {
                "items": items,
                "effective": effective,
                "effective_at": at,
                "description": change.get("description"),
                "plan_id": plan_id,
                "proration": change.get("proration") or "full",
                "source_version_id": source.id,
            },
            uow.now,
        )
        if not change.get("draft"):
            version = publish(uow, sub, versions, version, at).version
        view = {**version_view(version), "delta": result["delta"], "proration": result["proration"]}
        uow.commit()
    return view
