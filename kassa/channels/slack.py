"""Slack incoming webhooks: POST ``{"text": ...}`` to the step's ``webhook_url`` or to
``KASSA_SLACK_WEBHOOK_URL``. Slack answers 200 ``ok``; anything else is a failed send."""

from __future__ import annotations

from dataclasses import dataclass, field

from kassa.channels.errors import ChannelError, origin
from kassa.channels.http import HttpChannel, excerpt

NOT_CONFIGURED = (
    "Slack is not configured (set KASSA_SLACK_WEBHOOK_URL or give the step a webhook_url)"
)


@dataclass(frozen=True)
class SlackOutcome:
    status_code: int


@dataclass
class Slack:
    http: HttpChannel
    default_url: str | None = field(default=None, repr=False)  # its path is a token

    def post(self, text: str, url: str | None = None) -> SlackOutcome:
        """Post ``text`` to ``url`` (else the configured webhook); ChannelError on failure."""
        target = url or self.default_url
        if not target:
            raise ChannelError(NOT_CONFIGURED)
        if not text.strip():
            raise ChannelError("the Slack message is empty")
        response = self.http.post(target, what="Slack", json={"text": text})
        if not 200 <= response.status_code < 300:
            raise ChannelError(f"Slack ({origin(target)}) answered {response.status_code}: "
                               f"{excerpt(response)}")
        return SlackOutcome(response.status_code)
