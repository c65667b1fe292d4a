"""The context a use case runs in: environment, clock, database and the registries."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from kassa.clock import Clock
from kassa.config import Settings
from kassa.services.usage_seams import MetricUsers
from kassa.store.uow import UnitOfWork

if TYPE_CHECKING:
    from kassa.payments import PaymentProcessor
    from kassa.services.scheduler import DueWorkRegistry
    from kassa.webhooks.outbound import Outbound


@dataclass(frozen=True)
class Ctx:
    """Handed to every service function. Cheap to build: one per request or job."""

    environment: str
    clock: Clock
    engine: Engine
    settings: Settings
    registry: DueWorkRegistry
    processor: PaymentProcessor | None = None  # None: no processor configured (production)
    metric_users: MetricUsers = field(default_factory=MetricUsers)
    outbound: Outbound | None = None  # outgoing HTTP (webhooks), transport injectable
    notify: Callable[[], None] | None = None  # wakes this process's worker after new work
    stopping: threading.Event | None = None  # set when the worker running this is shutting down

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(
            self.engine, self.environment, self.clock, read_only=read_only,
            processor=self.processor, on_work=self.notify,
        )

    def with_clock(self, clock: Clock) -> Ctx:
        return replace(self, clock=clock)

    @property
    def should_stop(self) -> bool:
        """Long-running due work checks this between pieces and hands back what is left."""
        return self.stopping is not None and self.stopping.is_set()

    @property
    def is_sandbox(self) -> bool:
        return self.environment == "sandbox"
