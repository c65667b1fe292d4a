"""The context a use case runs in: environment, clock, database and the registries."""

from __future__ import annotations

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

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(
            self.engine, self.environment, self.clock, read_only=read_only,
            processor=self.processor,
        )

    def with_clock(self, clock: Clock) -> Ctx:
        return replace(self, clock=clock)

    @property
    def is_sandbox(self) -> bool:
        return self.environment == "sandbox"
