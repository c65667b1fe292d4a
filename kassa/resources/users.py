"""Dashboard users as the CLI and Settings -> Team show them (never the password hash)."""

from __future__ import annotations

from kassa.resources.fields import ResponseSchema, Timestamp


class User(ResponseSchema):
    id: str
    email: str
    role: str
    disabled_at: Timestamp | None
    last_sign_in_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp
