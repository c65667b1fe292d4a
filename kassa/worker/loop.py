"""The worker loop: every thread asks the due-work registry, environment by environment.

Production runs in real time. The sandbox runs at its own clock: a frozen sandbox gets the work
due at its frozen instant (a webhook for an event that just happened goes out; its retries wait
for the clock to be advanced). While an advance runs, workers leave the sandbox alone (the clock
lock), since the advance runs that work itself, in time order.

Concurrency: each of the N threads claims its own batches (atomically, see ``kassa.store.job_sql``),
so threads, processes and hosts share the work the same way. Stop (SIGTERM) is graceful: every
thread finishes the job in hand, hands back the jobs it claimed but had not started, and exits.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from kassa.services.clock import clock_lock
from kassa.store.tables import ENVIRONMENTS

if TYPE_CHECKING:
    from kassa.bootstrap import Kassa

log = logging.getLogger("kassa.worker")

MAX_ERROR_BACKOFF_SECONDS = 10.0


class Worker:
    def __init__(
        self,
        kassa: Kassa,
        *,
        concurrency: int = 1,
        environments: Sequence[str] = ENVIRONMENTS,
        poll_seconds: float | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.kassa = kassa
        self.concurrency = concurrency
        self.environments = tuple(environments)
        self.poll_seconds = poll_seconds or kassa.settings.worker_poll_seconds
        self.counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the threads and return."""
        for index in range(self.concurrency):
            thread = threading.Thread(
                target=self._loop, name=f"kassa-worker-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Ask the threads to finish what they hold and exit (returns at once)."""
        self._stop.set()
        self.kassa.wakeup.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the threads; whether they all ended."""
        for thread in self._threads:
            thread.join(timeout)
        return not any(t.is_alive() for t in self._threads)

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def tick(self) -> int:
        """Run what is due now in every environment, once; how many pieces of work ran."""
        done = 0
        for environment in self.environments:
            if self._stop.is_set():
                break
            if environment == "sandbox":
                with clock_lock(self.kassa.engine, environment, shared=True,
                                blocking=False) as held:
                    if held:
                        done += self._run(environment)
            else:
                done += self._run(environment)
        return done

    def _run(self, environment: str) -> int:
        ctx = replace(self.kassa.ctx(environment), stopping=self._stop)
        ran = ctx.registry.run_due(ctx)
        if ran:
            with self._counts_lock:
                self.counts.update(str(item.get("type")) for item in ran)
        return len(ran)

    def _loop(self) -> None:
        backoff = self.poll_seconds
        while not self._stop.is_set():
            try:
                busy = self.tick() > 0
                backoff = self.poll_seconds
            except Exception:
                log.exception("worker tick failed; retrying in %.1f s", backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_ERROR_BACKOFF_SECONDS)
                continue
            if not busy:
                # Woken early when this process commits new work (events, jobs).
                if self.kassa.wakeup.wait(self.poll_seconds):
                    self.kassa.wakeup.clear()
