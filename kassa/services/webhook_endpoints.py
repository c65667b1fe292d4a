"""Webhook endpoints: create, read, list, update, delete, rotate the secret, send a test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.engine import RowMapping

from kassa.clock import utcnow
from kassa.domain.errors import InvalidRequest
from kassa.domain.webhooks import unknown_event_types
from kassa.ids import new_id
from kassa.resources import render, renderer
from kassa.resources.webhooks import (
    WebhookEndpoint,
    WebhookEndpointDeleted,
    WebhookEndpointWithSecret,
)
from kassa.sealing import OperatorKeys, operator_keys, sealed_key_id
from kassa.services.common import list_objects
from kassa.services.context import Ctx
from kassa.services.webhook_messages import create_test_message
from kassa.store.queries import ListQuery, Page, get_row, in_filter, update_row
from kassa.store.tables import webhook_endpoints, webhook_messages
from kassa.webhooks.signing import generate_secret
from kassa.webhooks.urls import UnsafeUrl, check_url, private_allowed, resolve_host

# After a rotation the previous secret keeps signing this long, so receivers can switch over.
PREVIOUS_SECRET_GRACE = timedelta(hours=24)

SORTABLE = {
    "created_at": webhook_endpoints.c.created_at,
    "updated_at": webhook_endpoints.c.updated_at,
    "url": webhook_endpoints.c.url,
}


def _enabled_filter(values: Sequence[str]) -> Any:
    if len(values) != 1 or values[0].lower() not in {"true", "false"}:
        raise ValueError("use true or false")
    return webhook_endpoints.c.enabled.is_(values[0].lower() == "true")


FILTERS = {"id": in_filter(webhook_endpoints.c.id), "enabled": _enabled_filter}


def _checked_url(ctx: Ctx, url: str) -> str:
    require_public = ctx.environment == "production" and not ctx.settings.webhook_allow_private
    resolve = ctx.outbound.resolve if ctx.outbound is not None else resolve_host
    try:
        return check_url(url, require_public=require_public, resolve=resolve,
                         allow_private=private_allowed(ctx.environment, ctx.settings))
    except UnsafeUrl as exc:
        raise InvalidRequest(f"url {exc}.", field="url") from None


def _checked_event_types(event_types: Sequence[str] | None) -> list[str]:
    names = list(dict.fromkeys(event_types or []))  # de-duplicated, order kept
    unknown = unknown_event_types(names)
    if unknown:
        name = names[unknown[0]]
        position = list(event_types or []).index(name)
        raise InvalidRequest(
            f"Unknown event type {name!r}; see the webhook event types in the API reference.",
            field=f"event_types[{position}]",
        )
    return names


def secret_place(environment: str, endpoint_id: str, column: str) -> str:
    """Where a sealed endpoint secret belongs (its associated data): it opens only there."""
    return f"webhook_endpoints:{environment}:{endpoint_id}:{column}"


def seal_secret(keys: OperatorKeys, environment: str, endpoint_id: str, column: str,
                plaintext: str) -> str:
    return keys.seal(plaintext, where=secret_place(environment, endpoint_id, column))


def open_secret(keys: OperatorKeys, row: Mapping[str, Any], column: str,
                endpoint_id: str | None = None) -> str:
    """The plaintext of ``row[column]`` (``endpoint_id`` when the row's ``id`` is another's)."""
    where = secret_place(row["environment"], endpoint_id or row["id"], column)
    return keys.open(row[column], where=where)


def _get(ctx_conn: Any, environment: str, endpoint_id: str, *, lock: bool = False) -> RowMapping:
    return get_row(ctx_conn, webhook_endpoints, environment, endpoint_id,
                   what="Webhook endpoint", for_update=lock)


def create_endpoint(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    """Create an endpoint; the response is the only one that shows its secret."""
    url = _checked_url(ctx, data["url"])
    event_types = _checked_event_types(data.get("event_types"))
    keys = operator_keys(ctx.settings)
    secret = generate_secret()
    with ctx.uow() as uow:
        endpoint_id = new_id("whe")
        row = {
            "environment": uow.environment,
            "id": endpoint_id,
            "url": url,
            "description": data.get("description"),
            "event_types": event_types,
            "enabled": bool(data.get("enabled", True)),
            "secret": seal_secret(keys, uow.environment, endpoint_id, "secret", secret),
            "previous_secret": None,
            "previous_secret_expires_at": None,
            "created_at": uow.now,
            "updated_at": uow.now,
        }
        uow.conn.execute(webhook_endpoints.insert(), row)
        uow.commit()
    return render(WebhookEndpointWithSecret, {**row, "secret": secret})


def get_endpoint(ctx: Ctx, endpoint_id: str) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        return render(WebhookEndpoint, _get(uow.conn, uow.environment, endpoint_id))


def list_endpoints(ctx: Ctx, query: ListQuery) -> Page:
    return list_objects(ctx, webhook_endpoints, query, view=renderer(WebhookEndpoint),
                        sortable=SORTABLE, filters=FILTERS)


def update_endpoint(ctx: Ctx, endpoint_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """PATCH. Disabling an endpoint fails its pending messages (retry or recover them later)."""
    values: dict[str, Any] = {}
    if "url" in changes:
        values["url"] = _checked_url(ctx, changes["url"])
    if "event_types" in changes:
        values["event_types"] = _checked_event_types(changes["event_types"])
    for name in ("description", "enabled"):
        if name in changes:
            values[name] = changes[name]
    with ctx.uow() as uow:
        row = dict(_get(uow.conn, uow.environment, endpoint_id, lock=True))
        values["updated_at"] = uow.now
        update_row(uow.conn, webhook_endpoints, uow.environment, endpoint_id, values)
        if row["enabled"] and values.get("enabled") is False:
            _fail_pending_messages(uow.conn, uow.environment, endpoint_id, uow.now)
        uow.commit()
    return render(WebhookEndpoint, {**row, **values})


def _fail_pending_messages(conn: Any, environment: str, endpoint_id: str, now: Any) -> None:
    conn.execute(
        update(webhook_messages)
        .where(
            webhook_messages.c.environment == environment,
            webhook_messages.c.endpoint_id == endpoint_id,
            webhook_messages.c.status == "pending",
        )
        .values(status="failed", next_attempt_at=None, updated_at=now)
    )


def delete_endpoint(ctx: Ctx, endpoint_id: str) -> dict[str, Any]:
    """Delete the endpoint with its messages and attempts; its secret is gone for good."""
    with ctx.uow() as uow:
        row = _get(uow.conn, uow.environment, endpoint_id, lock=True)
        uow.conn.execute(
            delete(webhook_endpoints).where(webhook_endpoints.c.seq == row["seq"])
        )
        uow.commit()
    return render(WebhookEndpointDeleted, row, deleted=True)


def rotate_secret(ctx: Ctx, endpoint_id: str) -> dict[str, Any]:
    """A new secret, returned once; the previous one also signs for 24 hours."""
    keys = operator_keys(ctx.settings)
    secret = generate_secret()
    with ctx.uow() as uow:
        row = dict(_get(uow.conn, uow.environment, endpoint_id, lock=True))
        env, previous = uow.environment, open_secret(keys, row, "secret")
        values = {
            "secret": seal_secret(keys, env, endpoint_id, "secret", secret),
            "previous_secret": seal_secret(keys, env, endpoint_id, "previous_secret", previous),
            # Real time: how long receivers get to switch is not a sandbox-clock matter.
            "previous_secret_expires_at": utcnow() + PREVIOUS_SECRET_GRACE,
            "updated_at": uow.now,
        }
        update_row(uow.conn, webhook_endpoints, uow.environment, endpoint_id, values)
        uow.commit()
    return render(WebhookEndpointWithSecret, {**row, **values, "secret": secret})


def send_test(ctx: Ctx, endpoint_id: str) -> dict[str, Any]:
    """Queue a ``webhook.test`` message to this endpoint only (even when it is disabled)."""
    with ctx.uow() as uow:
        endpoint = _get(uow.conn, uow.environment, endpoint_id)
        view = create_test_message(uow, endpoint)
        uow.commit()
    return view


SEALED_COLUMNS = ("secret", "previous_secret")


def unopenable_key_ids(conn: Connection, keys: OperatorKeys) -> set[str]:
    """The operator key ids stored secrets are sealed under that ``keys`` lacks ("plaintext"
    for a secret not sealed at all): what ``kassa serve`` and ``kassa worker`` refuse to start
    with, rather than fail every delivery later."""
    found: set[str] = set()
    rows = conn.execute(select(webhook_endpoints.c.secret, webhook_endpoints.c.previous_secret))
    for row in rows:
        for value in row:
            if value is not None:
                found.add(sealed_key_id(value) or "plaintext")
    return found - keys.key_ids


def reseal_secrets(conn: Connection, keys: OperatorKeys) -> int:
    """Seal every stored endpoint secret under the current operator key (after a rotation; also
    seals plaintext ones); returns how many values changed. The caller commits."""
    changed = 0
    table = webhook_endpoints
    rows = conn.execute(select(table.c.seq, table.c.environment, table.c.id,
                               *(table.c[name] for name in SEALED_COLUMNS))).mappings().all()
    for row in rows:
        values = {}
        for column in SEALED_COLUMNS:
            value = row[column]
            if value is None or not keys.needs_resealing(value):
                continue
            plaintext = value if sealed_key_id(value) is None else open_secret(keys, row, column)
            values[column] = seal_secret(keys, row["environment"], row["id"], column, plaintext)
        if values:
            conn.execute(update(table).where(table.c.seq == row["seq"]).values(**values))
            changed += len(values)
    return changed
