"""The context a use case runs in: environment, clock, database and the registries."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from kassa.clock import Clock, SystemClock
from kassa.config import Settings
from kassa.store.uow import UnitOfWork

if TYPE_CHECKING:
    from kassa.channels.wiring import Channels
    from kassa.payments import PaymentProcessor
    from kassa.queue.runner import JobRunner
    from kassa.services.scheduler import DueWorkRegistry
    from kassa.services.subscriptions.billing_hooks import BillingHooks
    from kassa.services.usage.metric_users import MetricUsers
    from kassa.webhooks.outbound import Outbound

log = logging.getLogger("kassa.queue")


@dataclass(frozen=True)
class Ctx:
    """Handed to every service function. Cheap to build: one per request or job."""

    environment: str
    clock: Clock
    engine: Engine
    settings: Settings
    registry: DueWorkRegistry
    processor: PaymentProcessor | None = None  # None: no processor configured (production)
    metric_users: MetricUsers | None = None  # who bills a metric (None: nobody says)
    outbound: Outbound | None = None  # outgoing HTTP (webhooks), transport injectable
    channels: Channels | None = None  # email, Slack, SMS, signed webhooks; None: sends fail
    notify: Callable[[], None] | None = None  # wakes this process's worker after new work
    stopping: threading.Event | None = None  # set when the worker running this is shutting down
    # Runs the jobs a unit of work asked to run right after its commit (None: the worker will).
    jobs: JobRunner | None = None
    # Billing at subscription lifecycle moments (registered in bootstrap; None: a lifecycle
    # change raises rather than skip billing).
    billing: BillingHooks | None = None
    # Real time for what must never follow a sandbox clock (portal links and visits expire by it).
    wall_clock: Clock = field(default_factory=SystemClock)

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(
            self.engine, self.environment, self.clock, read_only=read_only,
            run_jobs=self._run_jobs if self.jobs is not None else None, on_work=self.notify,
            hooks=self.billing, settings=self.settings,
        )

    def _run_jobs(self, job_ids: list[str]) -> None:
        assert self.jobs is not None
        try:
            self.jobs.run_ids(self, job_ids)
        except Exception:  # committed and queued: a worker runs them
            log.exception("running jobs %s after their commit failed", job_ids)

    def with_clock(self, clock: Clock) -> Ctx:
        return replace(self, clock=clock)

    @property
    def should_stop(self) -> bool:
        """Long-running due work checks this between pieces and hands back what is left."""
        return self.stopping is not None and self.stopping.is_set()

    @property
    def is_sandbox(self) -> bool:
        return self.environment == "sandbox"
