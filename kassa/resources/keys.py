"""API keys as the CLI shows them (never the secret nor its hash)."""

from __future__ import annotations

from kassa.resources.fields import ResponseSchema, Timestamp


class ApiKey(ResponseSchema):
    id: str
    environment: str
    name: str
    prefix: str
    created_at: Timestamp
    revoked_at: Timestamp | None
