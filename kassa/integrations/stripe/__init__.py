"""Stripe as a payment processor, through the ``stripe`` package's ``StripeClient``.

- ``processor.StripeProcessor``: ``kassa.payments.PaymentProcessor`` (charges are PaymentIntents
  confirmed off-session, refunds the Refund API) and ``kassa.payments.HostedSetup`` (Stripe
  customers, Checkout Sessions in ``setup`` mode).
- ``webhooks``: verifying Stripe's signature and reading its events as ``kassa.payments``
  notices, which ``kassa.services.billing.processor_events`` applies exactly once.
- ``build_processors``: the processor of each environment the settings give a key for.
"""

from __future__ import annotations

from typing import Any

from kassa.config import Settings


def build_processors(settings: Settings) -> dict[str, Any]:
    """{environment: StripeProcessor} for each environment with a Stripe key."""
    from kassa.integrations.stripe.processor import StripeProcessor

    found: dict[str, Any] = {}
    for environment in ("sandbox", "production"):
        key = getattr(settings, f"stripe_secret_key_{environment}")
        if key is not None:
            found[environment] = StripeProcessor(
                key.get_secret_value(), api_base=settings.stripe_api_base,
                method_types=settings.stripe_methods(), environment=environment)
    return found
