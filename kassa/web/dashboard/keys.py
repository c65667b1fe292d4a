"""Settings -> API Keys: the environment's keys; Create API Key (shown once) and Revoke, for
admins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from kassa.domain.errors import KassaError
from kassa.services import keys
from kassa.web.auth import Managing, Viewing, Visitor
from kassa.web.rendering import page, url

router = APIRouter(prefix="/settings")


@router.get("", name="settings")
def settings_page(request: Request, visitor: Viewing) -> Response:
    return page(request, "settings/index.html", active="settings", title="Settings")


def _keys_page(request: Request, visitor: Visitor, status: int = 200, **context: Any) -> Response:
    context = {"created": None, "notice": None} | context
    return page(request, "settings/api_keys.html", partial="settings/_api_keys.html",
                status=status, active="settings", title="API Keys",
                here=url(request, "api_keys"),
                keys=keys.list_keys(visitor.kassa.engine, visitor.environment), **context)


@router.get("/api-keys", name="api_keys")
def api_keys(request: Request, visitor: Viewing) -> Response:
    return _keys_page(request, visitor)


@router.post("/api-keys", name="create_api_key")
def create_api_key(request: Request, visitor: Managing) -> Response:
    """Create API Key: the secret is in this response only."""
    try:
        key, secret = keys.create_key(visitor.kassa.engine, visitor.environment,
                                      visitor.form.get("name"))
    except KassaError as exc:
        return _keys_page(request, visitor, status=422, errors={exc.field or "name": exc.detail},
                          values=visitor.form.values())
    return _keys_page(request, visitor, created={"key": key, "secret": secret})


@router.post("/api-keys/{key_id}/revoke", name="revoke_api_key")
def revoke_api_key(request: Request, visitor: Managing, key_id: str) -> Response:
    key = keys.revoke_key(visitor.kassa.engine, key_id, visitor.environment)
    return _keys_page(request, visitor,
                      notice=f"Revoked {key['name']}: requests with it now get 401.")
