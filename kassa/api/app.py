"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from anyio import to_thread
from fastapi import FastAPI

import kassa
from kassa.api import docs, errors
from kassa.api.middleware import ApiMiddleware, IdempotencyMiddleware
from kassa.api.routes import (
    approvals,
    automations,
    checkout,
    clock,
    credit_notes,
    credits,
    customers,
    email_templates,
    emails,
    events,
    fx,
    health,
    invoices,
    metrics,
    payments,
    plans,
    portal,
    pricing,
    products,
    reports,
    settings,
    stripe_webhooks,
    subscriptions,
    usage,
    wallets,
    webhooks,
)
from kassa.api.schemas.common import ErrorResponse

if TYPE_CHECKING:
    from kassa.bootstrap import Kassa

ROUTERS = [
    health.router,
    clock.router,
    customers.router,
    products.router,
    metrics.router,
    pricing.router,
    plans.router,
    subscriptions.router,
    approvals.router,
    events.router,
    invoices.router,
    payments.router,
    credits.router,
    wallets.router,
    credit_notes.router,
    usage.router,
    reports.router,
    webhooks.router,
    webhooks.messages_router,
    webhooks.events_router,
    webhooks.event_types_router,
    email_templates.router,
    emails.router,
    automations.router,
    automations.templates_router,
    automations.tasks_router,
    settings.router,
    fx.router,
    portal.router,
    checkout.router,
    stripe_webhooks.router,
]

# How long shutdown waits for the embedded worker to finish what it holds (a webhook attempt
# takes up to 15 s).
WORKER_STOP_TIMEOUT_SECONDS = 30

ERROR_RESPONSES = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in [
        (400, "Bad request"),
        (401, "Missing, unknown or revoked API key"),
        (403, "Not allowed in this environment"),
        (404, "Not found"),
        (409, "Conflict"),
        (413, "Request body too large"),
        (422, "Invalid request"),
    ]
}


def _lifespan(kassa_app: Kassa):  # noqa: ANN202
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        """With ``KASSA_EMBEDDED_WORKER`` (the default), one worker thread runs in this process,
        so a single ``kassa serve`` is a complete installation."""
        worker = None
        if kassa_app.settings.embedded_worker:
            from kassa.worker import Worker

            worker = Worker(kassa_app, concurrency=1)
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
                await to_thread.run_sync(worker.join, WORKER_STOP_TIMEOUT_SECONDS)

    return lifespan


def create_app(kassa_app: Kassa) -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan(kassa_app),
        title="Kassa",
        version=kassa.__version__,
        description=(
            "Open-source billing for B2B software. Authenticate with "
            "`Authorization: Bearer sk_test_...`; send `Alguna-Version: 2026-04-01`."
        ),
        responses=ERROR_RESPONSES,  # type: ignore[arg-type]
        # Bearer-key auth, no cookies: CSRF does not apply, so a body without a Content-Type
        # header is read as JSON (plain `curl -d` works).
        strict_content_type=False,
        docs_url=None,  # docs.install serves /docs and /redoc from Kassa's own assets
        redoc_url=None,
    )
    app.state.kassa = kassa_app
    errors.install(app)
    docs.install(app)
    for router in ROUTERS + kassa_app.extra_routers:
        app.include_router(router)
    # Starlette runs the last added middleware first: authentication, then idempotency.
    app.add_middleware(IdempotencyMiddleware, engine=kassa_app.engine)
    app.add_middleware(ApiMiddleware, engine=kassa_app.engine)
    return app
