"""Durable jobs and the transactional outbox: the adapters the worker and the services share.

``enqueue`` (here, and ``UnitOfWork.enqueue``) writes a job inside the caller's transaction, so a
job exists if and only if the change that asked for it committed.
"""

from kassa.queue.sql import Job, enqueue

__all__ = ["Job", "enqueue"]
