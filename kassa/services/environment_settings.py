"""Environment settings (Settings → Invoicing, Subscriptions, Customer Portal, Company): read where the
behaviour happens, inside the use case's own unit of work, and changed by PATCH.

Each environment has its own; a section never saved has its defaults, which are what Kassa did
before these settings existed. A read is one primary-key row, so nothing is cached (a PATCH in
one process is seen by the next read in every other)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from kassa.domain.errors import InvalidRequest
from kassa.resources.fields import ResponseSchema
from kassa.resources.settings import (
    CompanySettings,
    CurrencySettings,
    CustomerPortalSettings,
    InvoicingSettings,
    SubscriptionSettings,
)
from kassa.services.context import Ctx
from kassa.services.serialize import rfc3339
from kassa.store.tables import automation_versions, automations, environment_settings, plans
from kassa.store.uow import UnitOfWork

S = TypeVar("S", bound=ResponseSchema)

SECTIONS: dict[str, type[ResponseSchema]] = {
    "invoicing": InvoicingSettings,
    "subscriptions": SubscriptionSettings,
    "customer_portal": CustomerPortalSettings,
    "company": CompanySettings,
    "currencies": CurrencySettings,
}


def read(conn: Connection, environment: str, model: type[S]) -> S:
    """The section ``model`` of ``environment``: its stored values over the defaults."""
    stored, updated_at = _stored(conn, environment, _section(model))
    return model.model_validate({**stored, "updated_at": rfc3339(updated_at)})


def _stored(conn: Connection, environment: str, section: str) -> tuple[dict[str, Any], Any]:
    """The values a section was given (the rest are defaults) and when; ({}, None) if never."""
    row = conn.execute(select(environment_settings.c["values", "updated_at"]).where(
        environment_settings.c.environment == environment,
        environment_settings.c.section == section,
    )).first()
    return ({}, None) if row is None else (dict(row.values), row.updated_at)


def invoicing(uow: UnitOfWork) -> InvoicingSettings:
    return read(uow.conn, uow.environment, InvoicingSettings)


def subscription_defaults(uow: UnitOfWork) -> SubscriptionSettings:
    return read(uow.conn, uow.environment, SubscriptionSettings)


def renewal_notice_days(conn: Connection, environment: str, installation_days: int) -> int:
    """Days before a term end that ``subscription.ending_soon`` fires in ``environment``."""
    days = read(conn, environment, SubscriptionSettings).renewal_notice_days
    return installation_days if days is None else days


def currencies(conn: Connection, environment: str, installation_default: str) -> CurrencySettings:
    """Settings → Currencies of ``environment``: the base currency (the installation's
    KASSA_DEFAULT_CURRENCY unless set) and the settlement currency (the base unless set)."""
    stored, updated_at = _stored(conn, environment, "currencies")
    base = stored.get("base_currency") or installation_default
    return CurrencySettings(base_currency=base,
                            settlement_currency=stored.get("settlement_currency") or base,
                            updated_at=rfc3339(updated_at) if updated_at else None)


def base_currency(uow: UnitOfWork) -> str:
    """The environment's base currency (new customers' default)."""
    return currencies(uow.conn, uow.environment, uow.settings.default_currency).base_currency


FAILED_PAYMENT_EVENT = "payment.failed"


def dunning_automation(conn: Connection, environment: str) -> str | None:
    """The automation handling failed payments now: the one Settings → Subscriptions names,
    while it is active (None: the retry schedule handles them)."""
    named = read(conn, environment, SubscriptionSettings).failed_payment_automation_id
    if named is None:
        return None
    status = conn.execute(select(automations.c.status).where(
        automations.c.environment == environment, automations.c.id == named)).scalar()
    return named if status == "active" else None


def get_settings(ctx: Ctx, section: str) -> dict[str, Any]:
    """A section as the API shows it."""
    with ctx.uow(read_only=True) as uow:
        return _view(ctx, uow.conn, read(uow.conn, uow.environment, SECTIONS[section]))


def update_settings(ctx: Ctx, section: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Apply a PATCH (fields left out keep their values; nested sections merge) and return the
    section. ``InvalidRequest`` names the field at fault."""
    model = SECTIONS[section]
    with ctx.uow() as uow:
        given, _ = _stored(uow.conn, uow.environment, section)
        for name, value in changes.items():
            nested = isinstance(value, dict) and isinstance(given.get(name), dict)
            given[name] = {**given[name], **value} if nested else value
        if "available_plan_ids" in changes:
            _check_plans(uow, given["available_plan_ids"])
        if changes.get("failed_payment_automation_id") is not None:
            _check_dunning(uow, changes["failed_payment_automation_id"])
        _write(uow, section, given)
        view = _view(ctx, uow.conn, read(uow.conn, uow.environment, model))
        uow.commit()
    return view


def _view(ctx: Ctx, conn: Connection, values: ResponseSchema) -> dict[str, Any]:
    if isinstance(values, CurrencySettings):
        return _currency_view(ctx, values)
    data = values.model_dump(mode="json")
    if isinstance(values, SubscriptionSettings):
        days = values.renewal_notice_days
        data["renewal_notice_days_in_effect"] = (
            ctx.settings.subscription_ending_soon_days if days is None else days)
        handled = dunning_automation(conn, ctx.environment) is not None
        data["failed_payment_handling"] = "automation" if handled else "retry_schedule"
    return data


def _currency_view(ctx: Ctx, values: CurrencySettings) -> dict[str, Any]:
    """Currencies as in effect: a field never set (or set to null) shows its default."""
    base = values.base_currency or ctx.settings.default_currency
    return {"base_currency": base, "settlement_currency": values.settlement_currency or base,
            "updated_at": values.updated_at}


def dunning_candidates(ctx: Ctx) -> list[dict[str, Any]]:
    """The automations Settings → Subscriptions may name for failed payments (their latest
    version is triggered by payment.failed): id, name and status, by name."""
    with ctx.uow(read_only=True) as uow:
        rows = uow.conn.execute(select(
            automations.c.id, automations.c.name, automations.c.status,
            automation_versions.c.definition,
        ).join(automation_versions,
               (automations.c.environment == automation_versions.c.environment)
               & (automations.c.latest_version_id == automation_versions.c.id))
            .where(automations.c.environment == uow.environment)
            .order_by(automations.c.name, automations.c.seq)).all()
    return [{"id": r.id, "name": r.name, "status": r.status} for r in rows
            if _is_dunning_trigger(r.definition.get("trigger") or {})]


def _is_dunning_trigger(trigger: Mapping[str, Any]) -> bool:
    return trigger.get("type") == "event" and trigger.get("event") == FAILED_PAYMENT_EVENT


def _check_dunning(uow: UnitOfWork, automation_id: str) -> None:
    """The named automation is this environment's and its latest version (a draft may be named
    before it is activated) is triggered by payment.failed."""
    field = "failed_payment_automation_id"
    latest = uow.conn.execute(select(automation_versions.c.definition).join(
        automations, (automations.c.environment == automation_versions.c.environment)
        & (automations.c.latest_version_id == automation_versions.c.id),
    ).where(automations.c.environment == uow.environment,
            automations.c.id == automation_id)).scalar()
    if latest is None:
        raise InvalidRequest(f"Automation {automation_id!r} is not an automation of this "
                             "environment.", field=field)
    if not _is_dunning_trigger(latest.get("trigger") or {}):
        raise InvalidRequest(f"Automation {automation_id!r} is not triggered by "
                             f"{FAILED_PAYMENT_EVENT}; a dunning automation must be.",
                             field=field)


def _check_plans(uow: UnitOfWork, plan_ids: list[str]) -> None:
    live = set(uow.conn.execute(select(plans.c.id).where(
        plans.c.environment == uow.environment, plans.c.id.in_(plan_ids),
        plans.c.archived_at.is_(None),
    )).scalars())
    for index, plan_id in enumerate(plan_ids):
        if plan_id not in live:
            raise InvalidRequest(f"Plan {plan_id!r} is not a live plan of this environment.",
                                 field=f"available_plan_ids[{index}]")


def _write(uow: UnitOfWork, section: str, values: dict[str, Any]) -> None:
    key = (environment_settings.c.environment == uow.environment,
           environment_settings.c.section == section)
    done = uow.conn.execute(update(environment_settings).where(*key).values(
        values=values, updated_at=uow.now)).rowcount
    if done:
        return
    try:
        with uow.conn.begin_nested():
            uow.conn.execute(insert(environment_settings).values(
                environment=uow.environment, section=section, values=values,
                created_at=uow.now, updated_at=uow.now))
    except IntegrityError:  # a concurrent first PATCH inserted it: ours applies over it
        uow.conn.execute(update(environment_settings).where(*key).values(
            values=values, updated_at=uow.now))


def _section(model: type[ResponseSchema]) -> str:
    return next(name for name, each in SECTIONS.items() if each is model)
