"""Settings -> Webhooks: the environment's endpoints (Add Endpoint shows its signing secret
once; enable, disable, Send Test, rotate the secret, delete: admins), and per endpoint its
Failed Events with Retry, Recover since a time and the delivery logs (members and admins), on
the services of /webhook-endpoints and /webhook-messages."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from kassa.api.errors import status_for
from kassa.api.schemas.webhooks import WebhookEndpointCreate
from kassa.domain.errors import KassaError
from kassa.services import webhook_endpoints as endpoints
from kassa.services import webhook_messages as messages
from kassa.services.webhook_events import event_types
from kassa.store.queries import ListQuery
from kassa.web.auth import Acting, Managing, Viewing, Visitor
from kassa.web.dashboard.listing import PageNumber, page_count, page_query
from kassa.web.forms import FORM, field_errors, parsed
from kassa.web.rendering import page, url

router = APIRouter(prefix="/settings/webhooks")

INPUTS = {"url": "url", "description": "description", "event_types": "event_types"}
# The tabs of an endpoint's page: (label, ?tab=, the messages' status filter).
TABS = [("Failed Events", "failed", ["failed"]), ("Delivery logs", "logs", [])]
DONE = {
    "enabled": "Enabled the endpoint: new events are delivered to it again.",
    "disabled": "Disabled the endpoint: its pending deliveries failed; retry or recover them "
                "after enabling it.",
    "tested": "Sent a test event (webhook.test): see it in the delivery logs.",
    "retried": "Retrying the delivery now.",
    "deleted": "Deleted the endpoint.",
}


def _event_groups() -> list[tuple[str, list[str]]]:
    """The subscribable event types Kassa emits, grouped by resource (``invoice``...)."""
    names = [t["type"] for t in event_types() if t["emitted"]]
    return [(group, list(items)) for group, items in groupby(names, lambda n: n.split(".")[0])]


def _list_page(request: Request, visitor: Visitor, status: int = 200, **context: Any) -> Response:
    context = {"created": None, "errors": {}, "values": {}, "chosen": []} | context
    found = endpoints.list_endpoints(visitor.ctx, ListQuery(limit=100, sort=("created_at", "asc")))
    return page(request, "settings/webhooks.html", status=status, active="settings",
                title="Webhooks", endpoints=found.rows, groups=_event_groups(),
                done=DONE.get(request.query_params.get("done", "")), **context)


@router.get("", name="webhooks")
def webhook_list(request: Request, visitor: Viewing) -> Response:
    return _list_page(request, visitor)


@router.post("", name="create_webhook_endpoint")
def create_endpoint(request: Request, visitor: Managing) -> Response:
    """Add Endpoint: the signing secret is in this response only."""
    form = visitor.form
    chosen = form.all("event_types")
    body = {"url": form.text("url"), "description": form.text("description") or None,
            "event_types": chosen}
    try:
        created = endpoints.create_endpoint(
            visitor.ctx, parsed(WebhookEndpointCreate, body).model_dump(mode="json"))
    except KassaError as exc:
        return _list_page(request, visitor, status=422, errors=field_errors(exc, INPUTS),
                          values=form.values(), chosen=chosen)
    return _list_page(request, visitor, created=created)


def _endpoint_page(request: Request, visitor: Visitor, endpoint_id: str, tab: str,
                   page_number: int = 1, status: int = 200, **context: Any) -> Response:
    endpoint = endpoints.get_endpoint(visitor.ctx, endpoint_id)
    statuses = next((s for _, name, s in TABS if name == tab), None)
    if statuses is None:
        tab, statuses = TABS[0][1], TABS[0][2]
    found = messages.list_messages(
        visitor.ctx, endpoint_id,
        page_query(page_number, {"status": statuses} if statuses else None))
    context = {"secret": None, "errors": {}, "values": {},
               "done": DONE.get(request.query_params.get("done", ""))} | context
    return page(request, "settings/webhook_endpoint.html", status=status, active="settings",
                title=endpoint["url"], endpoint=endpoint, tabs=TABS, tab=tab, found=found,
                page_number=page_number, pages=page_count(found), **context)


@router.get("/{endpoint_id}", name="webhook_endpoint")
def endpoint_page(request: Request, visitor: Viewing, endpoint_id: str,
                  page_number: PageNumber = 1) -> Response:
    return _endpoint_page(request, visitor, endpoint_id, request.query_params.get("tab", ""),
                          page_number)


def _back(request: Request, endpoint_id: str, done: str, tab: str = "failed") -> Response:
    target = url(request, "webhook_endpoint", endpoint_id=endpoint_id)
    return RedirectResponse(f"{target}?tab={tab}&done={done}", status_code=303)


def _refused(request: Request, visitor: Visitor, endpoint_id: str, exc: KassaError,
             tab: str = "failed") -> Response:
    return _endpoint_page(request, visitor, endpoint_id, tab, status=status_for(exc),
                          errors={FORM: exc.detail})


@router.post("/{endpoint_id}/enabled", name="switch_webhook_endpoint")
def switch_endpoint(request: Request, visitor: Managing, endpoint_id: str) -> Response:
    """Enable or Disable (the form says which)."""
    enabled = visitor.form.get("enabled") == "true"
    endpoints.update_endpoint(visitor.ctx, endpoint_id, {"enabled": enabled})
    return _back(request, endpoint_id, "enabled" if enabled else "disabled")


@router.post("/{endpoint_id}/test", name="test_webhook_endpoint")
def send_test(request: Request, visitor: Managing, endpoint_id: str) -> Response:
    try:
        endpoints.send_test(visitor.ctx, endpoint_id)
    except KassaError as exc:
        return _refused(request, visitor, endpoint_id, exc)
    return _back(request, endpoint_id, "tested", tab="logs")


@router.post("/{endpoint_id}/rotate-secret", name="rotate_webhook_secret")
def rotate_secret(request: Request, visitor: Managing, endpoint_id: str) -> Response:
    """A new signing secret, shown once; the previous one keeps signing for 24 hours."""
    rotated = endpoints.rotate_secret(visitor.ctx, endpoint_id)
    return _endpoint_page(request, visitor, endpoint_id, "failed", secret=rotated["secret"])


@router.post("/{endpoint_id}/delete", name="delete_webhook_endpoint")
def delete_endpoint(request: Request, visitor: Managing, endpoint_id: str) -> Response:
    endpoints.delete_endpoint(visitor.ctx, endpoint_id)
    return RedirectResponse(f"{url(request, 'webhooks')}?done=deleted", status_code=303)


@router.post("/{endpoint_id}/recover", name="recover_webhook_messages")
def recover(request: Request, visitor: Acting, endpoint_id: str) -> Response:
    """Recover: attempt again every failed delivery created since the time given (UTC)."""
    text = visitor.form.text("since")
    try:
        since = datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None
    except ValueError:
        since = None
    if since is None:
        return _endpoint_page(request, visitor, endpoint_id, "failed", status=422,
                              errors={"since": "Give the date and time to recover from (UTC)."},
                              values=visitor.form.values())
    try:
        recovered = messages.recover_messages(visitor.ctx, endpoint_id, since)
    except KassaError as exc:
        return _refused(request, visitor, endpoint_id, exc)
    count = recovered["recovered"]
    return _endpoint_page(request, visitor, endpoint_id, "logs", done=(
        f"Recovering {count} failed deliver{'y' if count == 1 else 'ies'} since "
        f"{text.replace('T', ' ')} UTC."))


@router.get("/{endpoint_id}/messages/{message_id}", name="webhook_message")
def message_page(request: Request, visitor: Viewing, endpoint_id: str,
                 message_id: str) -> Response:
    message = messages.get_message(visitor.ctx, message_id)
    if message["endpoint_id"] != endpoint_id:  # another endpoint's message: not under this one
        return RedirectResponse(url(request, "webhook_message", endpoint_id=message[
            "endpoint_id"], message_id=message_id), status_code=303)
    endpoint = endpoints.get_endpoint(visitor.ctx, endpoint_id)
    return page(request, "settings/webhook_message.html", active="settings",
                title=message["event_type"], endpoint=endpoint, message=message,
                done=DONE.get(request.query_params.get("done", "")), errors={})


@router.post("/{endpoint_id}/messages/{message_id}/retry", name="retry_webhook_message")
def retry(request: Request, visitor: Acting, endpoint_id: str, message_id: str) -> Response:
    """Retry: one attempt now of a failed (or a delivered) message."""
    try:
        messages.retry_message(visitor.ctx, message_id)
    except KassaError as exc:
        return _refused(request, visitor, endpoint_id, exc)
    return _back(request, endpoint_id, "retried", tab="logs")
