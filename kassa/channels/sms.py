"""SMS through Twilio's Messages API (or anything that speaks it):

    POST {KASSA_TWILIO_API_BASE}/2010-04-01/Accounts/{KASSA_TWILIO_ACCOUNT_SID}/Messages.json
    basic auth (account SID, KASSA_TWILIO_AUTH_TOKEN), form fields To, From (KASSA_TWILIO_FROM), Body

Twilio answers 201 with the message (``sid``, ``status``), or an error object
(``code``, ``message``) that the ChannelError quotes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from kassa.channels.errors import ChannelError, redact
from kassa.channels.http import HttpChannel, excerpt

DEFAULT_API_BASE = "https://api.twilio.com"
NOT_CONFIGURED = (
    "SMS is not configured (set KASSA_TWILIO_ACCOUNT_SID, KASSA_TWILIO_AUTH_TOKEN and "
    "KASSA_TWILIO_FROM)"
)


@dataclass(frozen=True)
class SmsOutcome:
    sid: str | None
    status: str | None


@dataclass
class TwilioSms:
    http: HttpChannel
    account_sid: str | None = None
    auth_token: str | None = field(default=None, repr=False)
    sender: str | None = None
    api_base: str = DEFAULT_API_BASE

    @property
    def configured(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.sender)

    def send(self, to: str, body: str) -> SmsOutcome:
        """Send ``body`` to the phone number ``to``; ChannelError on failure."""
        if not self.configured:
            raise ChannelError(NOT_CONFIGURED)
        assert self.account_sid and self.auth_token and self.sender
        if not to.strip():
            raise ChannelError("the SMS has no recipient phone number")
        if not body.strip():
            raise ChannelError("the SMS message is empty")
        url = (f"{self.api_base.rstrip('/')}/2010-04-01/Accounts/"
               f"{quote(self.account_sid, safe='')}/Messages.json")
        response = self.http.post(
            url, what="Twilio", data={"To": to.strip(), "From": self.sender, "Body": body},
            auth=(self.account_sid, self.auth_token),
        )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not 200 <= response.status_code < 300:
            if isinstance(answer, dict) and answer.get("message"):
                why = f"{answer['message']} (code {answer.get('code')})"
            else:
                why = excerpt(response)
            raise ChannelError(redact(f"Twilio answered {response.status_code}: {why}",
                                      [self.auth_token]))
        if not isinstance(answer, dict):
            return SmsOutcome(None, None)
        return SmsOutcome(answer.get("sid"), answer.get("status"))
