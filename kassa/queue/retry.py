"""Retry policy of a job type: how long to wait after a failed run, and when to give up. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: ``initial``, then × ``multiplier`` per failure, capped at ``cap``.

    ``max_attempts`` counts runs: after that many failed runs the job is ``failed`` for good.
    """

    max_attempts: int = 5
    initial: timedelta = timedelta(seconds=10)
    multiplier: int = 3
    cap: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.multiplier < 1:
            raise ValueError("max_attempts and multiplier must be at least 1")

    def delay(self, attempts: int) -> timedelta | None:
        """Wait before the next run after ``attempts`` failed runs; None when it is the last."""
        if attempts < 1:
            raise ValueError("attempts counts runs made, so it is at least 1")
        if attempts >= self.max_attempts:
            return None
        return min(self.initial * self.multiplier ** (attempts - 1), self.cap)


DEFAULT_RETRY = RetryPolicy()
