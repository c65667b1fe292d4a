"""Customers: create, read, list, update, archive; aliases resolve wherever an id is accepted."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    delete,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from kassa.domain.errors import Conflict, InvalidRequest, NotFound
from kassa.ids import new_id
from kassa.resources import render, renderer
from kassa.resources.customers import Customer
from kassa.services import environment_settings
from kassa.services.common import View, archive_object, list_objects, merge_metadata
from kassa.services.context import Ctx
from kassa.store.queries import (
    Filter,
    ListQuery,
    Page,
    among,
    archived_filter,
    in_filter,
    live_by_default,
    search_filter,
    update_row,
)
from kassa.store.tables import customer_aliases, customers
from kassa.store.uow import UnitOfWork

SORTABLE = {
    "created_at": customers.c.created_at,
    "updated_at": customers.c.updated_at,
    "name": customers.c.name,
    "email": customers.c.email,
}


FILTERS = {
    "search": search_filter(customers.c.id, customers.c.name, customers.c.email),
    "id": in_filter(customers.c.id),
    "email": in_filter(customers.c.email),
    "currency": in_filter(customers.c.currency, str.upper),
    "segment": in_filter(customers.c.segment),
    "archived": archived_filter(customers),
}


def find_customer(conn: Connection, environment: str, ref: str) -> RowMapping | None:
    """The customer whose id or alias is ``ref`` in ``environment``, or None."""
    row = (
        conn.execute(
            select(customers).where(customers.c.environment == environment, customers.c.id == ref)
        )
        .mappings()
        .first()
    )
    if row is not None:
        return row
    return (
        conn.execute(
            select(customers)
            .join(
                customer_aliases,
                (customer_aliases.c.environment == customers.c.environment)
                & (customer_aliases.c.customer_id == customers.c.id),
            )
            .where(customer_aliases.c.environment == environment, customer_aliases.c.alias == ref)
        )
        .mappings()
        .first()
    )


def find_customer_ids(
    conn: Connection, environment: str, refs: Collection[str]
) -> dict[str, str]:
    """``{ref: customer_id}`` for every ref that is a customer id or alias, in one query.

    The batch form of ``find_customer`` (same precedence: an id wins over an alias).
    """
    if not refs:
        return {}
    wanted = list(refs)
    by_id = select(customers.c.id.label("ref"), customers.c.id, literal(0).label("rank")).where(
        customers.c.environment == environment, among(conn, customers.c.id, wanted))
    by_alias = select(customer_aliases.c.alias, customer_aliases.c.customer_id, literal(1)).where(
        customer_aliases.c.environment == environment,
        among(conn, customer_aliases.c.alias, wanted))
    rows = conn.execute(union_all(by_id, by_alias).order_by("rank"))
    found: dict[str, str] = {}
    for ref, customer_id, _rank in rows:
        found.setdefault(ref, customer_id)
    return found


def customer_filter(conn: Connection, environment: str, column: Any) -> Filter:
    """``?customer_id=`` on ``column``: each value an id or alias (an unknown one matches
    nothing)."""

    def build(values: Sequence[str]) -> ColumnElement[bool]:
        return column.in_(sorted(set(find_customer_ids(conn, environment, values).values())))

    return build


def list_customer_records(
    ctx: Ctx, table: Table, query: ListQuery, *, view: View, columns: Sequence[str] = ("status",),
    sortable: Sequence[str] = ("created_at",),
) -> Page:
    """One page of a resource that belongs to a customer (payments, refunds, wallets, credit
    notes, grants, thresholds): ``?customer_id=`` takes an id or alias, each of ``columns`` is an
    ``in`` filter (currencies compared upper-case), sorted by any of ``sortable``."""
    return list_objects(
        ctx, table, query, view=view, sortable={name: table.c[name] for name in sortable},
        filters=lambda uow: {
            "customer_id": customer_filter(uow.conn, uow.environment, table.c.customer_id),
            **{name: in_filter(table.c[name], str.upper if name == "currency" else str)
               for name in columns},
        },
    )


def resolve_customer(conn: Connection, environment: str, ref: str) -> RowMapping:
    """Like find_customer, but a missing customer is NotFound."""
    row = find_customer(conn, environment, ref)
    if row is None:
        raise NotFound(f"Customer {ref!r} was not found.", field="customer_id")
    return row


def live_customer(conn: Connection, environment: str, ref: str) -> RowMapping:
    """The customer something new is made for (a credit grant, a one-time invoice, a
    subscription, a wallet, a payment method): it must exist and not be archived. What an
    archived customer already has keeps running (its subscriptions keep billing)."""
    row = resolve_customer(conn, environment, ref)
    if row["archived_at"] is not None:
        raise InvalidRequest(
            f"Customer {row['id']} is archived; it takes no new credit grants, invoices, "
            "subscriptions, wallets or payment methods.", field="customer_id",
        )
    return row


def lock_customer(conn: Connection, environment: str, customer_id: str) -> None:
    """Lock the customer's row until the transaction ends, so that checks on what the customer
    holds (one default payment method, one active wallet per currency) and the writes that
    follow cannot interleave (PostgreSQL; SQLite serializes writers already)."""
    conn.execute(
        select(customers.c.seq)
        .where(customers.c.environment == environment, customers.c.id == customer_id)
        .with_for_update()
    ).all()


def _claim_aliases(uow: UnitOfWork, customer_id: str, aliases: list[str]) -> None:
    env = uow.environment
    for alias in aliases:
        holder = find_customer(uow.conn, env, alias)
        if holder is not None and holder["id"] != customer_id:
            raise Conflict(
                f"Alias {alias!r} already identifies customer {holder['id']!r}.", field="aliases"
            )
    uow.conn.execute(
        delete(customer_aliases).where(
            customer_aliases.c.environment == env, customer_aliases.c.customer_id == customer_id
        )
    )
    if aliases:
        uow.conn.execute(
            insert(customer_aliases),
            [{"environment": env, "alias": a, "customer_id": customer_id} for a in aliases],
        )


def create_customer(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    with ctx.uow() as uow:
        # A customer whose request names no currency takes Settings → Currencies' base.
        view = insert_customer(uow, data, environment_settings.base_currency(uow))
        uow.commit()
    return view


def insert_customer(uow: UnitOfWork, data: Mapping[str, Any], default_currency: str,
                    ) -> dict[str, Any]:
    """``create_customer`` inside ``uow`` (a hosted checkout creates the customer in the
    transaction that completes it); the new customer's view."""
    customer_id = data.get("id") or new_id()
    if find_customer(uow.conn, uow.environment, customer_id) is not None:
        raise Conflict(f"A customer with id or alias {customer_id!r} exists.", field="id")
    row = {
        "environment": uow.environment,
        "id": customer_id,
        "name": data["name"],
        "email": data.get("email"),
        "billing_email": data.get("billing_email"),
        "billing_address": _address(data.get("billing_address")),
        "tax_id": data.get("tax_id"),
        "currency": data.get("currency") or default_currency,
        "segment": data.get("segment"),
        "tags": list(data.get("tags") or []),
        "aliases": list(data.get("aliases") or []),
        "metadata": _clean_metadata(data.get("metadata") or {}),
        "tax_rate": data.get("tax_rate"),
        "tax_exempt": bool(data.get("tax_exempt", False)),
        "created_at": uow.now,
        "updated_at": uow.now,
        "archived_at": None,
    }
    try:
        uow.conn.execute(insert(customers), row)
        _claim_aliases(uow, customer_id, row["aliases"])
    except IntegrityError:
        raise Conflict("A customer with this id or alias already exists.") from None
    view = render(Customer, row)
    uow.emit("customer.created", view)
    return view


def get_customer(ctx: Ctx, ref: str) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        return render(Customer, resolve_customer(uow.conn, uow.environment, ref))


def list_customers(ctx: Ctx, query: ListQuery) -> Page:
    return list_objects(ctx, customers, live_by_default(query), view=renderer(Customer),
                        sortable=SORTABLE, filters=FILTERS)


def update_customer(ctx: Ctx, ref: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Apply a PATCH: given fields replace, ``metadata`` merges and a null value drops a key."""
    with ctx.uow() as uow:
        # Locked, then read: parallel PATCHes apply one after the other (metadata merges and
        # alias sets would otherwise interleave).
        customer_id = resolve_customer(uow.conn, uow.environment, ref)["id"]
        lock_customer(uow.conn, uow.environment, customer_id)
        row = dict(resolve_customer(uow.conn, uow.environment, customer_id))
        values: dict[str, Any] = {}
        for name in ("name", "email", "billing_email", "tax_id", "currency", "segment",
                     "tax_rate", "tax_exempt"):
            if name in changes:
                values[name] = changes[name]
        if "billing_address" in changes:
            values["billing_address"] = _address(changes["billing_address"])
        if "tags" in changes:
            values["tags"] = list(changes["tags"] or [])
        if "metadata" in changes:
            values["metadata"] = merge_metadata(row["metadata"], changes["metadata"])
        if "aliases" in changes:
            values["aliases"] = list(changes["aliases"] or [])
            try:
                _claim_aliases(uow, row["id"], values["aliases"])
            except IntegrityError:  # another customer took one in parallel
                raise Conflict("An alias already identifies another customer.",
                               field="aliases") from None
        values["updated_at"] = uow.now
        update_row(uow.conn, customers, uow.environment, row["id"], values)
        view = render(Customer, {**row, **values})
        uow.emit("customer.updated", view)
        uow.commit()
    return view


def archive_customer(ctx: Ctx, ref: str) -> dict[str, Any]:
    """Archive: the customer keeps its history and disappears from default lists."""
    with ctx.uow(read_only=True) as uow:
        customer_id = resolve_customer(uow.conn, uow.environment, ref)["id"]
    return archive_object(
        ctx,
        customers,
        customer_id,
        what="Customer",
        view=renderer(Customer),
        event="customer.archived",
    )


ADDRESS_PARTS = ("line1", "line2", "city", "state", "postal_code", "country")


def _address(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The address with every part (None where none was given); None when no part was."""
    if not value or all(v is None for v in value.values()):
        return None
    return {part: value.get(part) for part in ADDRESS_PARTS}


def _clean_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metadata.items() if v is not None}

