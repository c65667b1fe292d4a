"""The durable job queue (see ``kassa.store.job_sql`` for every statement that touches it)."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint

from kassa.store.tables.base import env_column, id_column, metadata, seq_column, timestamps
from kassa.store.types import JSONDoc, UTCDateTime

# A job runs at ``run_at`` (the environment's clock) with its ``payload``. While a worker holds it
# the job is ``running`` with a lease (``locked_until``, real time); a lease that runs out makes
# the job claimable again, so a dead worker's jobs are picked up. Finished jobs are deleted; jobs
# whose retries are exhausted stay as ``failed`` with their last error.
jobs = Table(
    "jobs",
    metadata,
    seq_column(),
    id_column(),
    env_column(),
    Column("type", String(80), nullable=False),
    Column("payload", JSONDoc(), nullable=False),
    Column("status", String(16), nullable=False),  # queued | running | failed
    Column("run_at", UTCDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("dedupe_key", String(255)),
    Column("locked_by", String(64)),
    Column("locked_until", UTCDateTime()),
    Column("last_error", Text),
    *timestamps(),
    UniqueConstraint("id"),
    # At most one job per key while it waits: a claim clears the key (kassa.store.job_sql).
    UniqueConstraint("environment", "dedupe_key"),
    Index(None, "environment", "status", "run_at"),
)
