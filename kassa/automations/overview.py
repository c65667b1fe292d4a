"""Automations as the dashboard shows them: a page of the list with each automation's current
version number and last run, one automation with its versions' numbers, and a sample trigger
to test it with (the environment's newest records of the kind its trigger names). Read-only;
the changes are ``service``'s, the runs ``triggers``' and ``dryrun``'s."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, func, select

from kassa.automations import service
from kassa.automations.executions import execution_view
from kassa.services.context import Ctx
from kassa.store.queries import ListQuery, Page
from kassa.store.tables import (
    automation_executions,
    automation_versions,
    customers,
    invoices,
    payments,
    subscriptions,
)


def version_numbers(conn: Connection, environment: str,
                    ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """version id -> {number, status, trigger} (one query)."""
    wanted = sorted(i for i in ids if i)
    if not wanted:
        return {}
    versions = automation_versions.c
    rows = conn.execute(select(versions.id, versions.number, versions.status,
                               versions.definition).where(
        versions.environment == environment,
        versions.id.in_(wanted))).mappings()
    return {r["id"]: {"number": r["number"], "status": r["status"],
                      "trigger": r["definition"]["trigger"]} for r in rows}


def last_runs(conn: Connection, environment: str,
              automation_ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """automation id -> its newest execution (as GET .../executions shows it), one query."""
    if not automation_ids:
        return {}
    newest = select(func.max(automation_executions.c.seq)).where(
        automation_executions.c.environment == environment,
        automation_executions.c.automation_id.in_(sorted(automation_ids)),
    ).group_by(automation_executions.c.automation_id).scalar_subquery()
    rows = conn.execute(select(automation_executions).where(
        automation_executions.c.seq.in_(newest))).mappings()
    return {r["automation_id"]: execution_view(r) for r in rows}


def list_automations(ctx: Ctx, query: ListQuery) -> Page:
    """``service.list_automations``, each with ``current_version`` ({number, status, trigger}
    of the active version, or None) and ``last_run`` (the newest execution or None)."""
    found = service.list_automations(ctx, query)
    with ctx.uow(read_only=True) as uow:
        versions = version_numbers(uow.conn, uow.environment,
                                   {r["current_version_id"] for r in found.rows})
        runs = last_runs(uow.conn, uow.environment, {r["id"] for r in found.rows})
    return found.map(lambda r: {**r, "current_version": versions.get(r["current_version_id"]),
                                "last_run": runs.get(r["id"])})


def automation_details(ctx: Ctx, automation_id: str) -> dict[str, Any]:
    """The automation (as GET /automations/{id}) with ``current_version`` and
    ``latest_version`` ({number, status, trigger}), and ``sample``: a trigger to test it with."""
    automation = service.get_automation(ctx, automation_id)
    with ctx.uow(read_only=True) as uow:
        versions = version_numbers(uow.conn, uow.environment, {
            automation["current_version_id"], automation["latest_version_id"]})
        sample = sample_trigger(uow.conn, uow.environment, automation["trigger"])
    return {**automation, "current_version": versions.get(automation["current_version_id"]),
            "latest_version": versions[automation["latest_version_id"]], "sample": sample}


def _newest(conn: Connection, table: Any, environment: str, *where: Any) -> Any:
    return conn.execute(select(table).where(table.c.environment == environment, *where)
                        .order_by(table.c.seq.desc()).limit(1)).mappings().first()


def sample_trigger(conn: Connection, environment: str, trigger: dict[str, Any]) -> dict[str, Any]:
    """A trigger context for a test of an automation with ``trigger``: the records it names by
    id, as its event would (a payment for payment.*, an invoice for invoice.*, a subscription's
    event data for subscription.*, a usage threshold's for usage.threshold_exceeded, else a
    customer), the environment's newest of each; an example customer when there is none."""
    event = trigger.get("event") or ""
    kind = event.split(".")[0]
    if kind == "payment":
        status = {"payment.failed": ("failed",), "payment.succeeded": ("succeeded",)}.get(event)
        row = _newest(conn, payments, environment,
                      *([payments.c.status.in_(status)] if status else []))
        if row is not None:
            sample: dict[str, Any] = {"payment": {"id": row["id"]}}
            return sample | ({"failureCount": 1} if event == "payment.failed" else {})
    if kind == "invoice":
        row = _newest(conn, invoices, environment, invoices.c.status != "draft")
        if row is not None:
            return {"invoice": {"id": row["id"]}}
    customer = _newest(conn, customers, environment)
    if customer is None:
        return {"customer": {"name": "Example Customer", "email": "billing@example.com"}}
    named: dict[str, Any] = {"customer": {"id": customer["id"]}}
    if kind == "subscription":
        row = _newest(conn, subscriptions, environment)
        if row is not None:
            data = {"id": row["id"], "customer_id": row["customer_id"]}
            if event == "subscription.ending_soon":
                data["days_until_end"] = trigger.get("days") or 30
            return {"event": event, "data": data, "customer": {"id": row["customer_id"]}}
    if event == "usage.threshold_exceeded":
        return {"event": event, "data": {"customer_id": customer["id"], "threshold": "1000",
                                         "usage": "1250"}, **named}
    return named
