"""Slack, SMS and signed-webhook sends for the automation steps. Each makes its call with no
transaction open (call them from a job, never inside a unit of work) and returns the channel's
outcome, or raises ``kassa.channels.ChannelError`` with a reason safe to record.

A URL a step names (a Slack ``webhook_url``, a ``send_webhook`` ``url``) is held to the webhook
endpoint policy of the environment: any http(s) URL in the sandbox, a public https one in
production unless ``KASSA_WEBHOOK_ALLOW_PRIVATE`` is set. The installation's own
``KASSA_SLACK_WEBHOOK_URL`` is the operator's and is not checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kassa.channels import ChannelError
from kassa.channels.slack import SlackOutcome
from kassa.channels.sms import SmsOutcome
from kassa.channels.webhook import WebhookOutcome
from kassa.channels.wiring import Channels, unconfigured_channels
from kassa.services.context import Ctx
from kassa.webhooks.urls import UnsafeUrl, check_url, private_allowed, resolve_host


def channels_of(ctx: Ctx) -> Channels:
    """The installation's channels; a Ctx made without them refuses every send."""
    return ctx.channels if ctx.channels is not None else unconfigured_channels()


def _require_public(ctx: Ctx) -> bool:
    return ctx.environment == "production" and not ctx.settings.webhook_allow_private


def slack(ctx: Ctx, url: str | None, text: str) -> SlackOutcome:
    """Post ``text`` to ``url``, or to KASSA_SLACK_WEBHOOK_URL when the step names none."""
    if url:
        resolve = ctx.outbound.resolve if ctx.outbound is not None else resolve_host
        try:
            url = check_url(url, require_public=_require_public(ctx), resolve=resolve,
                            allow_private=private_allowed(ctx.environment, ctx.settings))
        except UnsafeUrl as exc:
            raise ChannelError(f"webhook_url {exc}") from None
    return channels_of(ctx).slack.post(text, url or None)


def sms(ctx: Ctx, to: str, body: str) -> SmsOutcome:
    """Text ``body`` to the phone number ``to`` through the Twilio Messages API."""
    return channels_of(ctx).sms.send(to, body)


def webhook(
    ctx: Ctx,
    url: str,
    payload: Mapping[str, Any] | None,
    secret: str | None,
    *,
    message_id: str | None = None,
) -> WebhookOutcome:
    """POST ``payload`` to ``url`` as a Standard Webhooks request signed with ``secret``
    (``whsec_...``); pass the same ``message_id`` on a retry of the same step."""
    return channels_of(ctx).webhooks.post(
        url, payload, secret, require_public=_require_public(ctx), message_id=message_id,
        allow_private=private_allowed(ctx.environment, ctx.settings),
    )
