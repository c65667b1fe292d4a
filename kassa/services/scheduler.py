"""Due work: everything that happens later in time registers here and runs in time order.

A ``DueWork`` source answers two questions for one environment: when is my earliest pending
work (``next_due``), and "run everything of mine due at or before now" (``run``). The worker
asks every source on a loop in real time; a sandbox clock advance asks them step by step, moving
its frozen clock to each due instant in turn, so that work falls due in the order it would have in
production. Later issues add sources (subscription transitions, billing, payment and webhook
retries...); each source's ``run`` must be idempotent and safe to call from several workers.

``run`` may stop after a slice of work (the job runner and the outbox dispatcher stop after about
a second, or when ``ctx.should_stop`` says the worker is shutting down) as long as it returns what
it did: the worker and the clock advance call again while work is still due.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from kassa.due_work import DueWork, RanItem
from kassa.store.engine import reader

if TYPE_CHECKING:
    from kassa.services.context import Ctx


@dataclass
class DueWorkRegistry:
    """The ordered set of due-work sources the worker and the clock advance consult."""

    sources: list[DueWork] = field(default_factory=list)

    def register(self, work: DueWork) -> DueWork:
        if any(s.name == work.name for s in self.sources):
            raise ValueError(f"due work {work.name!r} registered twice")
        self.sources.append(work)
        return work

    def next_due(self, conn: Connection, environment: str) -> datetime | None:
        instants = [t for s in self.sources if (t := s.next_due(conn, environment)) is not None]
        return min(instants, default=None)

    def run_due(self, ctx: Ctx) -> list[RanItem]:
        """Run, source by source, everything due at ``ctx.clock.now()``."""
        ran: list[RanItem] = []
        for source in self.sources:
            with reader(ctx.engine) as conn:
                due = source.next_due(conn, ctx.environment)
            # Read per source: on a real-time clock, work an earlier source just created (a
            # webhook job for an event it dispatched) is due in this same pass.
            if due is not None and due <= ctx.clock.now():
                ran.extend(source.run(ctx))
        return ran
