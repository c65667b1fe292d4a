"""Standard Webhooks signatures (what Svix sends), under both header families. Pure.

    webhook-id:        msg_...            (stable across attempts)
    webhook-timestamp: 1767225600         (Unix seconds of this attempt, real time)
    webhook-signature: v1,<base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))>

``svix-id``/``svix-timestamp``/``svix-signature`` carry the same values. The key is the base64
part of the ``whsec_`` secret, decoded. Several signatures are separated by spaces (after a
secret rotation both the new and the previous secret sign for a while).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # Standard Webhooks asks for 24 to 64


def generate_secret() -> str:
    """A fresh ``whsec_<base64 of 32 random bytes>`` secret."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with 'whsec_'")
    try:
        return base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except binascii.Error:
        raise ValueError("a webhook secret is 'whsec_' followed by base64") from None


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of ``body``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(
    message_id: str, timestamp: int, body: bytes, secrets_: Sequence[str]
) -> dict[str, str]:
    """The six signature headers, signed with every secret in ``secrets_``."""
    if not secrets_:
        raise ValueError("at least one secret is needed to sign")
    signature = " ".join(sign(s, message_id, timestamp, body) for s in secrets_)
    values = {"id": message_id, "timestamp": str(timestamp), "signature": signature}
    headers = {}
    for family in ("webhook", "svix"):
        for name, value in values.items():
            headers[f"{family}-{name}"] = value
    return headers
