"""The composition root: settings → engine, clocks, due-work registry, app."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from kassa.config import Settings
from kassa.payments.sandbox import SandboxProcessor
from kassa.services.clock import load_clock
from kassa.services.context import Ctx
from kassa.services.scheduler import DueWorkRegistry
from kassa.services.usage_seams import MetricUsers
from kassa.store.engine import make_engine


@dataclass
class Kassa:
    """One running installation: what every request, job and command is built from."""

    settings: Settings
    engine: Engine
    registry: DueWorkRegistry
    extra_routers: list[Any] = field(default_factory=list)
    # Payment processor per environment: the sandbox simulates one; production has none until
    # a provider adapter is configured (invoices are then paid by recorded payments).
    processors: dict[str, Any] = field(
        default_factory=lambda: {"sandbox": SandboxProcessor(), "production": None}
    )
    metric_users: MetricUsers = field(default_factory=MetricUsers)

    def ctx(self, environment: str) -> Ctx:
        """A service context for ``environment`` with its current clock."""
        return Ctx(
            environment=environment,
            clock=load_clock(self.engine, environment),
            engine=self.engine,
            settings=self.settings,
            registry=self.registry,
            metric_users=self.metric_users,
            processor=self.processors.get(environment),
        )

    def close(self) -> None:
        self.engine.dispose()


def build_registry() -> DueWorkRegistry:
    """Every source of due work, in the order a clock step runs them."""
    from kassa.services.billing import BILLING, CREDIT_EXPIRY, INVOICE_OVERDUE
    from kassa.services.subscriptions import SUBSCRIPTION_TRANSITIONS

    registry = DueWorkRegistry()
    registry.register(SUBSCRIPTION_TRANSITIONS)
    registry.register(BILLING)
    registry.register(CREDIT_EXPIRY)
    registry.register(INVOICE_OVERDUE)
    return registry


def build_metric_users() -> MetricUsers:
    """Every source that knows which subscriptions bill a metric (the event debugger asks).

    The subscriptions issue registers its source here.
    """
    return MetricUsers()


def build(settings: Settings, *, engine: Engine | None = None) -> Kassa:
    return Kassa(
        settings=settings,
        engine=engine or make_engine(settings.database_url, pool_size=settings.db_pool_size),
        registry=build_registry(),
        metric_users=build_metric_users(),
    )


def create_app(settings: Settings | None = None) -> Any:
    """ASGI app factory (``uvicorn --factory kassa.bootstrap:create_app``)."""
    from kassa.api.app import create_app as make_app
    from kassa.config import load_settings

    return make_app(build(settings or load_settings()))
