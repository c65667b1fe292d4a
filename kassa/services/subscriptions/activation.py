"""Activation: the initial version is published, the contract anchored, the subscription goes
active and what is already due runs (approval, when a rule asks for it, comes first)."""

from __future__ import annotations

from datetime import date, datetime

from kassa.domain.contracts import first_term, midnight, utc_date
from kassa.domain.errors import InvalidRequest, InvalidTransition
from kassa.domain.subscription import Subscription, replaced
from kassa.services.serialize import iso_date
from kassa.services.subscriptions import transitions
from kassa.services.subscriptions.billing_hooks import billing
from kassa.services.subscriptions.records import save, save_version, versions_of
from kassa.store.uow import UnitOfWork

MAX_BACKDATING_DAYS = 366


def check_backdating(start: date, now: datetime) -> None:
    """A contract may start at most a year in the past: activation bills every period since the
    start at once (a long backdated history belongs in an import, not in one request)."""
    if (now.date() - start).days > MAX_BACKDATING_DAYS:
        raise InvalidRequest(
            f"contract.start_date can be at most {MAX_BACKDATING_DAYS} days in the past.",
            field="contract.start_date",
        )


def begin(uow: UnitOfWork, sub: Subscription) -> Subscription:
    """Publish the initial version, anchor the contract, go active, run what is already due."""
    versions = versions_of(uow.conn, uow.environment, sub.id)
    drafts = [v for v in versions if v.status == "draft"]
    if not drafts:
        raise InvalidTransition(
            "The subscription has no draft version to activate; create one with "
            "POST /subscriptions/{id}/versions."
        )
    contract = dict(sub.contract)
    start = sub.contract_start or utc_date(uow.now)
    check_backdating(start, uow.now)
    term_start, term_end = first_term(contract["period_type"], contract.get("duration_months"), start)
    contract["start_date"] = iso_date(start)
    contract["end_date"] = iso_date(term_end) if contract["period_type"] == "fixed" else None
    anchor = sub.first_billing_date or start
    initial = drafts[0]
    replaced(versions, save_version(
        uow.conn,
        initial,
        {
            "status": "published",
            "effective_at": midnight(start),
            "effective": iso_date(start),
            "published_at": uow.now,
            "updated_at": uow.now,
        },
    ))
    sub = save(
        uow.conn,
        sub,
        {
            "status": "active",
            "activated_at": uow.now,
            "contract": contract,
            "term_start": term_start,
            "term_end": term_end,
            "billing_anchor": anchor,
            "current_version_id": initial.id,
            "cycle_start": None,
            "updated_at": uow.now,
        },
    )
    transitions.emit(uow, "subscription.activated", sub, versions)
    sub = transitions.advance(uow, sub, uow.now).sub
    return billing(uow).on_activated(uow, sub)
