"""Signed webhooks to any URL (the ``send_webhook`` action): a Standard Webhooks POST like every
Kassa webhook (``webhook-id``/``-timestamp``/``-signature`` and their ``svix-`` twins, through
kassa.webhooks.signing), under the endpoint URL policy of kassa.webhooks.urls, sent by the same
``Outbound`` as webhook deliveries (a production send connects only to the addresses checked).

Without a secret the request carries ``webhook-id`` and ``webhook-timestamp`` but no signature.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kassa.channels.errors import ChannelError
from kassa.ids import new_id
from kassa.webhooks.outbound import Outbound
from kassa.webhooks.signing import signature_headers
from kassa.webhooks.urls import UnsafeUrl, check_url


@dataclass(frozen=True)
class WebhookOutcome:
    message_id: str
    status_code: int | None
    duration_ms: int


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def payload_bytes(payload: Mapping[str, Any] | None) -> bytes:
    """The exact bytes signed and sent (money as decimal strings, instants in ISO 8601)."""
    return json.dumps(payload or {}, default=_json_default, separators=(",", ":"),
                      ensure_ascii=False).encode()


@dataclass
class SignedWebhooks:
    outbound: Outbound
    timestamp: Callable[[], float] = field(default=time.time)  # real time, as receivers check it

    def post(
        self,
        url: str,
        payload: Mapping[str, Any] | None,
        secret: str | None,
        *,
        require_public: bool,
        allow_private: bool = True,
        message_id: str | None = None,
    ) -> WebhookOutcome:
        """POST ``payload`` signed with ``secret``; a stable ``message_id`` lets receivers
        drop a retried step's second request. ChannelError unless the answer is a 2xx."""
        try:
            url = check_url(url, require_public=require_public, allow_private=allow_private,
                            resolve=self.outbound.resolve)
        except UnsafeUrl as exc:
            raise ChannelError(f"url {exc}") from None
        body = payload_bytes(payload)
        message_id = message_id or new_id("msg")
        now = int(self.timestamp())
        if secret:
            try:
                headers = signature_headers(message_id, now, body, [secret])
            except ValueError as exc:
                raise ChannelError(f"secret: {exc}") from None
        else:
            headers = {"webhook-id": message_id, "webhook-timestamp": str(now)}
        result = self.outbound.post(url, body, headers, require_public=require_public,
                                    allow_private=allow_private)
        if not result.delivered:
            raise ChannelError(result.error or f"the webhook answered {result.status_code}")
        return WebhookOutcome(message_id, result.status_code, result.duration_ms)
