"""Usage events: request and response shapes, for the OpenAPI document.

``POST /events`` does not validate through these models: at thousands of events per request
the service checks the parsed JSON directly (``kassa.domain.usage_events``) so that one bad event
fails alone. The models describe exactly what it accepts and returns.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from kassa.domain.usage_events import (
    MAX_EVENTS_PER_REQUEST,
    MAX_NAME_LENGTH,
    MAX_PROPERTIES,
    MAX_SUBSCRIPTION_ID_LENGTH,
)


class EventIn(BaseModel):
    account: str = Field(
        max_length=MAX_NAME_LENGTH, description="Customer id or alias", examples=["acme-crm-17"]
    )
    event_name: str = Field(max_length=MAX_NAME_LENGTH, examples=["api_call"])
    unique_id: str = Field(
        max_length=MAX_NAME_LENGTH,
        description="Idempotency key of the event: a repeat is stored once, forever",
    )
    timestamp: str | None = Field(
        None,
        description="RFC 3339; defaults to now. At most 5 minutes ahead of the environment's "
        "clock; any past instant is accepted (backfills).",
        examples=["2026-07-01T12:00:00Z"],
    )
    properties: dict[str, str | int | float | bool] = Field(
        {},
        max_length=MAX_PROPERTIES,
        description="At most 50 flat properties; numbers are kept exactly as sent",
    )
    subscription_id: str | None = Field(
        None, max_length=MAX_SUBSCRIPTION_ID_LENGTH,
        description="The subscription of the account's customer to bill the event to. Left "
        "out: the customer's live subscription that prices the event's metric, the "
        "earliest-started one when several do; usage is never billed to two subscriptions",
    )


class EventBatch(BaseModel):
    events: list[EventIn] = Field(min_length=1, max_length=MAX_EVENTS_PER_REQUEST)


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its local ``$defs`` references expanded (for ``openapi_extra``)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)  # type: ignore[no-any-return]


def _batch_schema() -> dict[str, Any]:
    """The batch as accepted: each entry *should* be an ``EventIn``, but an entry that is not
    (missing a field, too long, not even an object) fails alone, reported under ``failed`` with
    its reason, while the rest of the batch is stored. So the entries are ``EventIn`` or anything
    else, and the document says so; the batch itself (an object, 1-1,000 entries) is strict."""
    schema = _inlined(EventBatch.model_json_schema())
    events = schema["properties"]["events"]
    events["items"] = {
        "anyOf": [
            events["items"],
            {"description": "Anything else is not stored: it is reported under failed (by "
                            "unique_id, else as events[i]) with its reason under errors"},
        ]
    }
    return schema


EVENT_BATCH_SCHEMA = _batch_schema()
