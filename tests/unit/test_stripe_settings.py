"""Stripe's settings are validated at start: a key of the wrong shape or mode, a key without its
webhook secret (or the reverse), an unknown payment method type fail with a message naming the
variable, and never quoting the secret."""

from __future__ import annotations

import pytest

from kassa.bootstrap import build_processors
from kassa.config import SettingsError, load_settings
from kassa.integrations.stripe.processor import StripeProcessor, amount_in_minor_units
from kassa.payments.sandbox import SandboxProcessor

HOOK = "whsec_" + "a" * 32
LIVE = "sk_live_" + "b" * 24
TEST = "sk_test_" + "c" * 24


def refused(**overrides: object) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(**overrides)
    message = str(caught.value)
    for value in overrides.values():
        if isinstance(value, str) and value.startswith(("sk_", "whsec_", "rk_")):
            assert value not in message  # never the secret
    return message


def test_wrong_shapes_fail_naming_the_variable() -> None:
    assert "KASSA_STRIPE_SECRET_KEY_PRODUCTION must be a live key" in refused(
        stripe_secret_key_production=TEST, stripe_webhook_secret_production=HOOK)
    assert "KASSA_STRIPE_SECRET_KEY_SANDBOX must be a test key" in refused(
        stripe_secret_key_sandbox=LIVE, stripe_webhook_secret_sandbox=HOOK)
    assert "must be a Stripe secret key" in refused(
        stripe_secret_key_production="pk_live_" + "d" * 24, stripe_webhook_secret_production=HOOK)
    assert "needs KASSA_STRIPE_WEBHOOK_SECRET_PRODUCTION" in refused(
        stripe_secret_key_production=LIVE)
    assert "KASSA_STRIPE_WEBHOOK_SECRET_SANDBOX is set but KASSA_STRIPE_SECRET_KEY_SANDBOX" in (
        refused(stripe_webhook_secret_sandbox=HOOK))
    assert "KASSA_STRIPE_WEBHOOK_SECRET_SANDBOX: " in refused(
        stripe_secret_key_sandbox=TEST, stripe_webhook_secret_sandbox="not-a-secret-value")
    assert "KASSA_STRIPE_API_BASE: " in refused(stripe_api_base="ftp://stripe.test")
    assert "unknown: paypal" in refused(stripe_payment_methods="card,paypal")


def test_processors_per_environment() -> None:
    plain = build_processors(load_settings())
    assert isinstance(plain["sandbox"], SandboxProcessor) and plain["production"] is None
    live = build_processors(load_settings(stripe_secret_key_production=LIVE,
                                          stripe_webhook_secret_production=HOOK))
    assert isinstance(live["sandbox"], SandboxProcessor)  # no test key: the simulator stays
    assert isinstance(live["production"], StripeProcessor) and live["production"].live
    assert LIVE not in repr(live["production"])
    both = build_processors(load_settings(
        stripe_secret_key_production=TEST, stripe_webhook_secret_production=HOOK,
        stripe_secret_key_sandbox=TEST, stripe_webhook_secret_sandbox=HOOK,
        stripe_api_base="http://127.0.0.1:9/", stripe_payment_methods="sepa_debit, card"))
    assert {e: type(p).__name__ for e, p in both.items()} == {
        "sandbox": "StripeProcessor", "production": "StripeProcessor"}
    assert both["sandbox"].method_types == ("sepa_debit", "card")
    assert both["sandbox"].api_base == "http://127.0.0.1:9"


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    ("100.00", "USD", 10000), ("0.50", "EUR", 50), ("1000", "JPY", 1000),
    ("1.234", "KWD", 1234), ("19.99", "GBP", 1999)])
def test_amounts_in_the_smallest_unit(amount: str, currency: str, minor: int) -> None:
    from decimal import Decimal

    assert amount_in_minor_units(Decimal(amount), currency) == minor


def test_an_amount_finer_than_the_currency_is_refused() -> None:
    from decimal import Decimal

    with pytest.raises(ValueError):
        amount_in_minor_units(Decimal("1.5"), "JPY")
