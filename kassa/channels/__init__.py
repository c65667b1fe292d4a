"""Outgoing messages: email over SMTP, Slack incoming webhooks, SMS through Twilio's Messages API
and signed webhooks. Each is an adapter with an injectable transport, configured from Settings by
``kassa.channels.wiring`` and handed to the services by ``kassa.bootstrap`` (on the ``Kassa``
object and every ``Ctx``). A send that cannot be made raises ``ChannelError``: its ``reason`` is
safe to show and store (passwords, tokens and webhook paths are never in it)."""

from kassa.channels.errors import ChannelError

__all__ = ["ChannelError"]
