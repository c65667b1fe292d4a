"""The worker: runs jobs and every other source of due work, for both environments."""

from kassa.worker.loop import Worker

__all__ = ["Worker"]
