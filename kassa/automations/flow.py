"""The steps that only move the cursor (condition, branch, loop, stop, delay), and how a step's
params and conditions read the context. Shared by executions and dry runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, select

from kassa.automations import cursor, expressions
from kassa.automations.context import invoice_vars
from kassa.domain.automations.definition import ConditionStep, DelayStep, LoopStep, StopStep
from kassa.services.serialize import iso_date
from kassa.store.tables import invoices, subscriptions
from kassa.store.types import json_dumps, json_loads


@dataclass(frozen=True)
class Move:
    """Where a step sends the execution, and what its log says."""

    cursor: cursor.Cursor
    output: dict[str, Any] = field(default_factory=dict)
    wait: timedelta | None = None  # a delay: continue after this long
    done: bool = False  # a stop


def holds(condition: Any, context: Mapping[str, Any]) -> bool:
    """Whether a (parsed) condition holds in ``context``; no condition always holds."""
    if condition is None:
        return True
    return bool(expressions.evaluate(condition, context))


def render_params(value: Any, context: Mapping[str, Any]) -> Any:
    """Every string of a step's params rendered (``{{trigger.customer.email}}``)."""
    if isinstance(value, str):
        return expressions.render(value, context) if "{" in value else value
    if isinstance(value, Mapping):
        return {k: render_params(v, context) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [render_params(v, context) for v in value]
    return value


def _json_safe(value: Any) -> Any:
    return json_loads(json_dumps(value))


def collection(conn: Connection, environment: str, over: str,
               context: Mapping[str, Any]) -> list[Any]:
    """What a loop iterates: a query (the customer's ``subscriptions``, ``overdue_invoices``,
    ``open_invoices``) or a list in the context (``trigger.data.line_items``)."""
    customer_id = ((context.get("trigger") or {}).get("customer") or {}).get("id")
    name = over.strip().removeprefix("{{").removesuffix("}}").strip()
    if name in ("customer.subscriptions", "subscriptions"):
        rows = conn.execute(select(subscriptions).where(
            subscriptions.c.environment == environment,
            subscriptions.c.customer_id == customer_id,
            subscriptions.c.status.in_(("active", "paused")),
        ).order_by(subscriptions.c.seq)).mappings().all()
        return [{"id": r["id"], "status": r["status"], "name": r["name"],
                 "currency": r["currency"], "termEnd": iso_date(r["term_end"])} for r in rows]
    if name in ("customer.overdue_invoices", "overdue_invoices", "customer.open_invoices",
                "open_invoices"):
        statuses = ("overdue",) if "overdue" in name else ("issued", "payment_failed", "overdue")
        rows = conn.execute(select(invoices).where(
            invoices.c.environment == environment, invoices.c.customer_id == customer_id,
            invoices.c.status.in_(statuses),
        ).order_by(invoices.c.seq)).mappings().all()
        return [_json_safe(invoice_vars(conn, r)) for r in rows]
    found: Any = context
    for part in name.split("."):
        found = found.get(part) if isinstance(found, Mapping) else None
    return _json_safe(list(found)) if isinstance(found, (list, tuple)) else []


def flow(conn: Connection, environment: str, step: Any, at: cursor.Cursor,
         context: Mapping[str, Any]) -> Move:
    """The move of a condition, loop, stop or delay step at cursor ``at``."""
    if isinstance(step, ConditionStep):
        result = holds(step.condition, context)
        branch, steps = ("then", step.then) if result else ("else", step.otherwise)
        return Move(cursor.enter(at, branch) if steps else cursor.advance(at),
                    {"result": result, "branch": branch if steps else None})
    if isinstance(step, LoopStep):
        items = collection(conn, environment, step.over, context)
        moved = cursor.enter(at, "steps", items) if items and step.steps else cursor.advance(at)
        return Move(moved, {"items": len(items)})
    if isinstance(step, StopStep):
        return Move(cursor.stop(), {}, done=True)
    if isinstance(step, DelayStep):
        return Move(cursor.advance(at), {"seconds": int(step.duration.total_seconds())},
                    wait=step.duration)
    raise TypeError(f"not a flow step: {step!r}")
