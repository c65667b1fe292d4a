"""Events: the event debugger. Stored usage events, newest received first, searched by customer
(id or alias) or by unique id; an event's page says, per metric with its name, whether it
counted or why not (``kassa.services.usage.event_debugger``, as GET /events and
GET /events/{unique_id} answer)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from kassa.domain.errors import InvalidRequest, NotFound
from kassa.services.usage import event_debugger
from kassa.web.auth import Viewing, Visitor
from kassa.web.listing import PageNumber, page_count, page_query
from kassa.web.rendering import page, url

router = APIRouter(prefix="/events")

REASONS = {"no_customer": "No customer", "no_metric": "No metric",
           "filtered_out": "Filtered out", "no_value": "No value",
           "no_subscription": "No subscription"}


@router.get("", name="events")
def event_list(
    request: Request,
    visitor: Viewing,
    customer: Annotated[str, Query(max_length=255)] = "",
    account: Annotated[str, Query(max_length=255)] = "",
    unique_id: Annotated[str, Query(max_length=255)] = "",
    page_number: PageNumber = 1,
) -> Response:
    """A unique id shows that event's explanation; a customer (or an account as sent) lists
    theirs; nothing, the latest events."""
    values = {"customer": customer.strip(), "account": account.strip(),
              "unique_id": unique_id.strip()}
    unique_id = values["unique_id"]
    if unique_id:
        try:
            return _explained(request, visitor, unique_id)
        except NotFound as exc:
            return _list(request, visitor, values, page_number, errors={"unique_id": exc.detail})
    return _list(request, visitor, values, page_number)


def _list(request: Request, visitor: Visitor, values: dict[str, str], page_number: int,
          errors: dict[str, str] | None = None) -> Response:
    found = None
    if not errors:
        filters = {name: [values[field]] for name, field in
                   (("customer_id", "customer"), ("account", "account")) if values[field]}
        try:
            found = event_debugger.list_events(visitor.ctx, page_query(page_number,
                                                                       filters=filters))
        except InvalidRequest as exc:
            errors = {"customer" if exc.field == "customer_id" else "account": exc.detail}
    pages = page_count(found.total) if found else 1
    return page(request, "events/list.html", status=422 if errors else 200, active="events",
                title="Events", found=found, values=values, errors=errors or {},
                page_number=page_number, pages=pages)


def _explained(request: Request, visitor: Visitor, unique_id: str) -> Response:
    explained = event_debugger.explain_event(visitor.ctx, unique_id)
    return page(request, "events/event.html", active="events", title=f"Event {unique_id}",
                here=event_path(request, unique_id), explained=explained,
                reasons=REASONS)


def event_path(request: Request, unique_id: str) -> str:
    """The event's page (a unique id may hold any character: quoted, "/" kept)."""
    return f"{url(request, 'events')}/{quote(unique_id, safe='/')}"


@router.get("/{unique_id:path}", name="event")
def event_page(request: Request, visitor: Viewing, unique_id: str) -> Response:
    return _explained(request, visitor, unique_id)
