"""The template context of an execution: ``trigger.*`` (the snapshot taken when it started) and
``invoice.*``, ``payment.*``, ``customer.*`` read fresh at each step, named as the automations
document names them. Money is Decimal at the currency's scale: it renders ``100.00`` and
compares with numbers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from kassa.domain.contracts import renews_at_term_end
from kassa.services.serialize import iso_date, rfc3339
from kassa.store.tables import customers, invoices, metrics, payments, subscriptions

UNPAID = ("issued", "payment_failed", "overdue")
LIVE = ("active", "paused")
NUMBER_KEYS = ("total", "amount", "amountDue", "usage", "threshold")


def invoice_status(status: str, amount_due: Decimal) -> str:
    """``unpaid`` for an open invoice with an amount due, else its paid/void/draft state."""
    if status in UNPAID:
        return "unpaid" if amount_due > 0 else "paid"
    return status


def _row(conn: Connection, table: Any, environment: str, object_id: Any) -> Any:
    if not isinstance(object_id, str) or not object_id:
        return None
    return conn.execute(select(table).where(
        table.c.environment == environment, table.c.id == object_id)).mappings().first()


def customer_vars(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "name": row["name"], "email": row["email"], "segment": row["segment"],
        "currency": row["currency"], "tags": list(row["tags"]),
        "metadata": dict(row["metadata"]), "createdAt": rfc3339(row["created_at"]),
    }


def invoice_vars(conn: Connection, row: Mapping[str, Any]) -> dict[str, Any]:
    return invoice_fields(row, _row(conn, customers, row["environment"], row["customer_id"]))


def invoice_fields(row: Mapping[str, Any], customer: Mapping[str, Any] | None) -> dict[str, Any]:
    """``invoice.*`` of an invoice row, with its customer's row (None: gone)."""
    return {
        "id": row["id"], "number": row["number"], "total": row["total"],
        # The document's conditions say invoice.amount (IF invoice.amount > 1000 ...).
        "amount": row["total"], "amountDue": row["amount_due"], "currency": row["currency"],
        "status": invoice_status(row["status"], row["amount_due"]),
        "lifecycleStatus": row["status"], "dueDate": iso_date(row["due_date"]),
        "subscriptionId": row["subscription_id"],
        # A portal link, made by a send_email step whose template shows it (actions.prepare).
        "paymentUrl": "",
        "customer": {"id": row["customer_id"], "name": customer["name"] if customer else None,
                     "email": customer["email"] if customer else None},
    }


def payment_fields(row: Mapping[str, Any], failures: int) -> dict[str, Any]:
    return {
        "id": row["id"], "amount": row["amount"], "currency": row["currency"],
        "status": row["status"], "failureReason": row["failure_reason"],
        "failureCount": failures, "invoiceId": row["invoice_id"],
    }


# Ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits.
IN_CHUNK = 500


def _wanted(ids: Iterable[Any]) -> list[str]:
    return sorted({i for i in ids if isinstance(i, str) and i})


def _rows_by_id(conn: Connection, table: Any, environment: str,
                ids: Iterable[Any]) -> dict[str, Mapping[str, Any]]:
    wanted, found = _wanted(ids), {}
    for start in range(0, len(wanted), IN_CHUNK):
        found.update({r["id"]: r for r in conn.execute(select(table).where(
            table.c.environment == environment,
            table.c.id.in_(wanted[start:start + IN_CHUNK]))).mappings()})
    return found


def _failure_counts(conn: Connection, environment: str,
                    invoice_ids: Iterable[Any]) -> dict[str, int]:
    wanted, counts = _wanted(invoice_ids), {}
    for start in range(0, len(wanted), IN_CHUNK):
        counts.update({r[0]: int(r[1]) for r in conn.execute(
            select(payments.c.invoice_id, func.count()).where(
                payments.c.environment == environment,
                payments.c.invoice_id.in_(wanted[start:start + IN_CHUNK]),
                payments.c.status == "failed").group_by(payments.c.invoice_id))})
    return counts


def _ids(event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Which customer, invoice and payment an event names."""
    kind = event_type.split(".")[0]
    own = data.get("id")
    return {
        "customer": own if kind == "customer" else data.get("customer_id"),
        "invoice": own if kind == "invoice" else data.get("invoice_id"),
        "payment": own if kind == "payment" else data.get("payment_id"),
    }


def trigger_snapshot(conn: Connection, environment: str, event_type: str,
                     data: Mapping[str, Any]) -> dict[str, Any]:
    """``trigger.*`` for an event: its data, the records it names, the failure count and the
    customer's account owner (``metadata.account_owner``)."""
    return trigger_snapshots(conn, environment, [(event_type, data)])[0]


def trigger_snapshots(conn: Connection, environment: str,
                      events: Sequence[tuple[str, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """``trigger_snapshot`` of each ``(event type, data)``, their records read in one go."""
    found = records_many(conn, environment, [_ids(kind, data) for kind, data in events])
    return [{"event": kind, "data": dict(data), **records}
            for (kind, data), records in zip(events, found, strict=True)]


def records(conn: Connection, environment: str, ids: Mapping[str, Any]) -> dict[str, Any]:
    """``customer``, ``invoice``, ``payment`` (and ``failureCount``, ``accountOwner``) for the
    ids given; an id that names nothing gives nothing."""
    return records_many(conn, environment, [ids])[0]


def _pick(rows: Mapping[str, Mapping[str, Any]], object_id: Any) -> Mapping[str, Any] | None:
    return rows.get(object_id) if isinstance(object_id, str) and object_id else None


def records_many(conn: Connection, environment: str,
                 many: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``records`` for each of ``many`` ids, with four queries in all (a batch of events)."""
    by_payment = _rows_by_id(conn, payments, environment, [ids.get("payment") for ids in many])
    paid = [_pick(by_payment, ids.get("payment")) for ids in many]
    by_invoice = _rows_by_id(conn, invoices, environment, [
        ids.get("invoice") or (p["invoice_id"] if p is not None else None)
        for ids, p in zip(many, paid, strict=True)])
    invoiced = [_pick(by_invoice, ids.get("invoice") or (
        p["invoice_id"] if p is not None else None)) for ids, p in zip(many, paid, strict=True)]
    by_customer = _rows_by_id(conn, customers, environment, [
        *(ids.get("customer") or (i["customer_id"] if i is not None else None)
          for ids, i in zip(many, invoiced, strict=True)),
        *(i["customer_id"] for i in by_invoice.values())])
    failures = _failure_counts(conn, environment, [
        *by_invoice, *(p["invoice_id"] for p in by_payment.values())])
    result = []
    for ids, payment, invoice in zip(many, paid, invoiced, strict=True):
        found: dict[str, Any] = {}
        if payment is not None:
            found["payment"] = payment_fields(payment, failures.get(payment["invoice_id"], 0))
        if invoice is not None:
            found["invoice"] = invoice_fields(invoice, by_customer.get(invoice["customer_id"]))
            found["failureCount"] = failures.get(invoice["id"], 0)
        customer = _pick(by_customer, ids.get("customer") or (
            invoice["customer_id"] if invoice is not None else None))
        if customer is not None:
            found["customer"] = customer_vars(customer)
            found["accountOwner"] = customer["metadata"].get("account_owner", "")
        result.append(found)
    return result


def named_ids(trigger: Mapping[str, Any]) -> dict[str, Any]:
    """The records a trigger names by id (``trigger.customer.id``...)."""
    return {name: (trigger.get(name) or {}).get("id") if isinstance(trigger.get(name), Mapping)
            else None for name in ("customer", "invoice", "payment")}


def with_decimals(value: Any) -> Any:
    """A snapshot read back from JSON: its money strings Decimal again."""
    if isinstance(value, Mapping):
        return {k: (Decimal(v) if k in NUMBER_KEYS and isinstance(v, str) and _decimal(v)
                    else with_decimals(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [with_decimals(v) for v in value]
    return value


def _decimal(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def step_context(conn: Connection, environment: str, trigger: Mapping[str, Any],
                 item: Any = None) -> dict[str, Any]:
    """What a step's templates and conditions read: trigger.* plus fresh records, and a loop's
    ``item`` (kept as JSON in the cursor: its money Decimal again, so it compares with numbers)."""
    return step_contexts(conn, environment, [trigger], item)[0]


def step_contexts(conn: Connection, environment: str, triggers: Sequence[Mapping[str, Any]],
                  item: Any = None) -> list[dict[str, Any]]:
    """``step_context`` of each trigger, the records of them all read in one go."""
    snapshots = [with_decimals(trigger) for trigger in triggers]
    found = records_many(conn, environment, [named_ids(s) for s in snapshots])
    contexts = []
    for snapshot, fresh in zip(snapshots, found, strict=True):
        context = {"trigger": snapshot, "item": with_decimals(item), "invoice": {},
                   "payment": {}, "customer": {}, **event_vars(conn, environment, snapshot)}
        context.update({k: fresh[k] for k in ("invoice", "payment", "customer") if k in fresh})
        contexts.append(context)
    return contexts


def event_vars(conn: Connection, environment: str, snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """``usage.*`` of a usage.threshold_exceeded trigger (metric name, threshold, value, period)
    and ``subscription.*`` of a subscription event (``subscription_vars``), as the built-in
    templates read them; empty for other triggers."""
    event, data = snapshot.get("event") or "", snapshot.get("data") or {}
    if event == "usage.threshold_exceeded":
        metric = _row(conn, metrics, environment, data.get("metric_id"))
        return {"usage": {"metric": metric["name"] if metric is not None else data.get("metric_id"),
                          "threshold": data.get("threshold"), "value": data.get("usage"),
                          "period": data.get("period")}, "subscription": {}}
    if event.startswith("subscription."):
        return {"subscription": subscription_vars(conn, environment, data), "usage": {}}
    return {"usage": {}, "subscription": {}}


def subscription_vars(conn: Connection, environment: str,
                      data: Mapping[str, Any]) -> dict[str, Any]:
    """``subscription.*``: the end the trigger announced (``endDate``, ``daysUntilEnd``) and the
    subscription as it is now, read fresh like ``invoice.*``: its status and term, whether a new
    term follows (``renews``: not once it is canceled), its latest issued invoice, and how many
    live subscriptions its customer has (``customerActiveSubscriptions``)."""
    row = _row(conn, subscriptions, environment, data.get("id"))
    found = {"id": data.get("id"), "name": data.get("name"), "status": data.get("status"),
             "endDate": data.get("term_end"), "daysUntilEnd": data.get("days_until_end")}
    if row is None:
        return found
    latest = conn.execute(select(invoices).where(
        invoices.c.environment == environment, invoices.c.subscription_id == row["id"],
        invoices.c.status.not_in(("draft", "void")),
    ).order_by(invoices.c.seq.desc()).limit(1)).mappings().first()
    live = conn.execute(select(func.count()).select_from(subscriptions).where(
        subscriptions.c.environment == environment,
        subscriptions.c.customer_id == row["customer_id"], subscriptions.c.status.in_(LIVE),
    )).scalar_one()
    return {
        **found, "name": row["name"], "status": row["status"],
        "termStart": iso_date(row["term_start"]), "termEnd": iso_date(row["term_end"]),
        "renews": renews_at_term_end(row["status"], row["contract"], row["renewal"],
                                     row["term_end"], row["cancel_at"]),
        "activatedAt": rfc3339(row["activated_at"]), "canceledAt": rfc3339(row["canceled_at"]),
        "latestInvoice": invoice_vars(conn, latest) if latest is not None else {},
        "customerActiveSubscriptions": int(live),
    }
