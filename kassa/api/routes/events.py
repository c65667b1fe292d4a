"""Usage events: ingestion (the hot path) and the event debugger."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from kassa.api.deps import EnvCtx, Listing, current_ctx, page_body
from kassa.api.errors import ApiError
from kassa.api.schemas.common import ListResponse
from kassa.api.schemas.events import EVENT_BATCH_SCHEMA
from kassa.resources.events import EventExplanation, IngestResponse, StoredEvent
from kassa.services.usage import event_debugger, ingest
from kassa.services.exact_json import dumps_exact, loads_exact

router = APIRouter(prefix="/events", tags=["events"])

# 1,000 events of 50 properties is far below this; anything larger is not a valid batch.
MAX_BODY_BYTES = 16 * 1024 * 1024


def _json(body: Any) -> Response:
    return Response(dumps_exact(body), media_type="application/json")


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, f"The body is larger than {MAX_BODY_BYTES} bytes; split the batch.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(413, f"The body is larger than {MAX_BODY_BYTES} bytes; split the batch.")
        chunks.append(chunk)
    return b"".join(chunks)


def _ingest(request: Request, body: bytes, upsert: bool) -> bytes:
    ctx = current_ctx(request)  # built here, in the one worker-thread call of the request
    if not body.strip():
        raise ApiError(422, 'A JSON request body is required: {"events": [...]}.', field="body")
    try:
        payload = loads_exact(body)
    except ValueError as exc:
        raise ApiError(400, f"Malformed JSON body: {exc}.", field="body") from None
    return dumps_exact(ingest.ingest_request(ctx, payload, upsert=upsert))


@router.post(
    "",
    response_model=IngestResponse,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": EVENT_BATCH_SCHEMA}},
        }
    },
)
async def ingest_events(
    request: Request,
    upsert: Annotated[
        bool,
        Query(description="Replace the properties of events already stored (same unique_id)"),
    ] = False,
) -> Response:
    """Ingest up to 1,000 usage events. Each event succeeds or fails on its own; a unique_id
    already stored is reported under ``duplicates`` and stored once. ``Idempotency-Key`` is not
    used here: each event's ``unique_id`` is its idempotency key."""
    # The hot path: no EnvCtx dependency (one worker-thread hop per request, not two).
    body = await _read_body(request)
    content = await run_in_threadpool(_ingest, request, body, upsert)
    return Response(content, media_type="application/json")


@router.get("", response_model=ListResponse[StoredEvent])
def list_events(ctx: EnvCtx, query: Listing) -> Response:
    """Stored events, newest received first. Filters: customer_id (id or alias), account (as
    sent), event_name, from and to (RFC 3339, on the event timestamp, half-open). Sort:
    received_at or timestamp."""
    return _json(page_body(event_debugger.list_events(ctx, query)))


@router.get("/{unique_id:path}", response_model=EventExplanation)
def explain_event(unique_id: str, ctx: EnvCtx) -> Response:
    """The stored event and, per metric with its event_name, whether it counted or why not."""
    return _json(event_debugger.explain_event(ctx, unique_id))
