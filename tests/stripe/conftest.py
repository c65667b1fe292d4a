"""Kassa with Stripe as the processor of both environments, Stripe being the local fake
(tests/fakes/stripe_fake.py) on a loopback port; its webhooks go to Kassa's
``/integrations/stripe/webhooks`` through the test's HTTP client. Nothing reaches the internet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kassa.config import Settings
from tests.fakes.stripe_fake import FakeStripe

SANDBOX_KEY = "sk_test_kassa_sandbox_fake"
PRODUCTION_KEY = "sk_test_kassa_production_fake"  # a test key: allowed with an API base
PRODUCTION_SECRET = "whsec_production_" + "0" * 24


@pytest.fixture
def stripe_fake() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def settings(database_url: str, stripe_fake: FakeStripe, smtp_server) -> Settings:
    return Settings(
        database_url=database_url, embedded_worker=False,
        smtp_url=f"smtp://{smtp_server.host}:{smtp_server.port}",
        email_from="Kassa <billing@kassa.test>",
        stripe_secret_key_sandbox=SANDBOX_KEY, stripe_secret_key_production=PRODUCTION_KEY,
        stripe_webhook_secret_sandbox=stripe_fake.webhook_secret,
        stripe_webhook_secret_production=PRODUCTION_SECRET,
        stripe_api_base=stripe_fake.base,
    )


@pytest.fixture
def webhooks(api, stripe_fake: FakeStripe) -> FakeStripe:
    """The fake, delivering its events to Kassa's sandbox webhook endpoint."""
    def post(body: bytes, headers: dict[str, str]) -> int:
        return api.post("/integrations/stripe/webhooks/sandbox", content=body,
                        headers=headers).status_code

    stripe_fake.target = post
    return stripe_fake


@pytest.fixture
def app(kassa):
    """The API with the dashboard, the portal and the checkout, as ``kassa serve`` runs it."""
    from kassa.bootstrap import asgi_app

    return asgi_app(kassa)
