"""The composition root: settings → engine, clocks, due-work registry, job handlers, HTTP, app."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from kassa.config import Settings
from kassa.queue.outbox import OutboxDispatcher
from kassa.queue.runner import JobRunner
from kassa.services import webhook_delivery, webhook_messages
from kassa.services.clock import load_clock
from kassa.services.context import Ctx
from kassa.services.scheduler import DueWorkRegistry
from kassa.store.engine import make_engine
from kassa.webhooks.outbound import Outbound


@dataclass
class Kassa:
    """One running installation: what every request, job and command is built from."""

    settings: Settings
    engine: Engine
    registry: DueWorkRegistry
    jobs: JobRunner = field(default_factory=JobRunner)
    outbound: Outbound = field(default_factory=Outbound)
    extra_routers: list[Any] = field(default_factory=list)
    # Set after a commit that wrote events or jobs: wakes this process's worker threads.
    wakeup: threading.Event = field(default_factory=threading.Event)

    def ctx(self, environment: str) -> Ctx:
        """A service context for ``environment`` with its current clock."""
        return Ctx(
            environment=environment,
            clock=load_clock(self.engine, environment),
            engine=self.engine,
            settings=self.settings,
            registry=self.registry,
            outbound=self.outbound,
            notify=self.wakeup.set,
        )

    def close(self) -> None:
        self.outbound.close()
        self.engine.dispose()


def build_jobs() -> JobRunner:
    """Every job type and its handler."""
    jobs = JobRunner()
    jobs.register(
        webhook_messages.DELIVER_JOB,
        webhook_delivery.deliver,
        retry=webhook_delivery.DELIVER_RETRY,
        on_failure=webhook_delivery.on_job_failure,
        prefetch=webhook_delivery.prefetch,
        finish_batch=webhook_delivery.record_attempts,
    )
    return jobs


def build_registry(jobs: JobRunner | None = None) -> DueWorkRegistry:
    """Every source of due work, in the order a clock step runs them.

    The outbox goes first so that the messages of an event are attempted in the same step.
    """
    registry = DueWorkRegistry()
    registry.register(OutboxDispatcher(consumers=[webhook_messages.fan_out]).work())
    registry.register((jobs or build_jobs()).work())
    return registry


def build(
    settings: Settings, *, engine: Engine | None = None, outbound: Outbound | None = None
) -> Kassa:
    jobs = build_jobs()
    return Kassa(
        settings=settings,
        engine=engine or make_engine(settings.database_url, pool_size=settings.db_pool_size),
        registry=build_registry(jobs),
        jobs=jobs,
        outbound=outbound or Outbound(),
    )


def create_app(settings: Settings | None = None) -> Any:
    """ASGI app factory (``uvicorn --factory kassa.bootstrap:create_app``)."""
    from kassa.api.app import create_app as make_app
    from kassa.config import load_settings

    return make_app(build(settings or load_settings()))
