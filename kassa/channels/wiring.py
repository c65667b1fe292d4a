"""Every channel, built from Settings: what bootstrap puts on the Kassa object and each Ctx."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kassa.channels.email import Mailer, UnconfiguredMailer, mailer_for
from kassa.channels.http import HttpChannel
from kassa.channels.slack import Slack
from kassa.channels.sms import TwilioSms
from kassa.channels.webhook import SignedWebhooks
from kassa.webhooks.outbound import Outbound

if TYPE_CHECKING:
    import httpx

    from kassa.config import Settings


@dataclass
class Channels:
    mailer: Mailer
    slack: Slack
    sms: TwilioSms
    webhooks: SignedWebhooks
    http: HttpChannel  # the client Slack and SMS share; closed with the installation
    email_from: str = "Kassa <billing@localhost>"  # the mailer's sender (Message-ID domain)

    def close(self) -> None:
        self.http.close()


def build_channels(
    settings: Settings,
    *,
    outbound: Outbound | None = None,
    transport: httpx.BaseTransport | None = None,
    mailer: Mailer | None = None,
) -> Channels:
    """The channels ``settings`` configure; ``transport`` (Slack, SMS) and ``mailer`` are for
    tests. Signed webhooks go through ``outbound`` (the installation's webhook HTTP)."""
    http = HttpChannel(transport=transport)
    token = settings.twilio_auth_token
    return Channels(
        mailer=mailer or mailer_for(settings.smtp_url, settings.email_from),
        slack=Slack(http, settings.slack_webhook_url),
        sms=TwilioSms(
            http,
            account_sid=settings.twilio_account_sid,
            auth_token=token.get_secret_value() if token is not None else None,
            sender=settings.twilio_from,
            api_base=settings.twilio_api_base,
        ),
        webhooks=SignedWebhooks(outbound or Outbound()),
        http=http,
        email_from=settings.email_from,
    )


def unconfigured_channels() -> Channels:
    """For a Ctx built without an installation's channels: email, Slack and SMS refuse every
    send, saying what to configure; signed webhooks go out through a fresh ``Outbound``."""
    http = HttpChannel()
    return Channels(
        mailer=UnconfiguredMailer(), slack=Slack(http), sms=TwilioSms(http),
        webhooks=SignedWebhooks(Outbound()), http=http,
    )
