"""Durable jobs and the transactional outbox: the job runner and the outbox dispatcher the
worker and the services share.

They build on ``kassa.store``: every statement on the jobs table is in ``kassa.store.job_sql``,
on the outbox consumers and deliveries in ``kassa.store.outbox_sql``, so the unit of work writes
jobs and deliveries without importing the queue. ``enqueue`` (here, and ``UnitOfWork.enqueue``)
writes a job inside the caller's transaction, so a job exists if and only if the change that
asked for it committed.
"""

from kassa.store.job_sql import Job, enqueue

__all__ = ["Job", "enqueue"]
