"""Rollups the revenue reports read instead of every invoice and subscription version
(``kassa.services.reports``), kept in step in the transactions that write those rows
(``kassa.store.invoice_rollups``, ``kassa.store.mrr_rollup``) and rebuilt from them by
migration 0014.

- ``revenue_days``: per environment, issue day and currency, the total and number of the
  invoices that count as revenue (status issued, payment_failed, overdue or paid; not top-ups).
- ``receivable_days``: per environment, currency, issue day and due day (9999-12-31 when none),
  what the open invoices (issued, payment_failed, overdue) still ask for, and how many.
- ``mrr_segments``: each stretch of time a subscription's MRR stays one published version's:
  in force at an instant T iff ``starts < T <= ends`` (no ``ends``: still in force), only for
  activated subscriptions and versions with an MRR, empty stretches left out.
- ``mrr_days``: per environment, currency and day, the MRR and number of segments starting that
  day less those ending that day: the sums over the days before T, plus T's day's own segments
  up to T, are the MRR and active subscriptions in force at T.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table

from kassa.store.tables.base import metadata
from kassa.store.types import ExactDecimal, ISODate, UTCDateTime

revenue_days = Table(
    "revenue_days",
    metadata,
    Column("environment", String(16), primary_key=True),
    Column("day", ISODate(), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("total", ExactDecimal(), nullable=False),
    Column("count", BigInteger, nullable=False),
)

receivable_days = Table(
    "receivable_days",
    metadata,
    Column("environment", String(16), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("issue_date", ISODate(), primary_key=True),
    Column("due_date", ISODate(), primary_key=True),
    Column("amount_due", ExactDecimal(), nullable=False),
    Column("count", BigInteger, nullable=False),
)

mrr_segments = Table(
    "mrr_segments",
    metadata,
    Column("environment", String(16), primary_key=True),
    Column("subscription_id", String(80), primary_key=True),
    Column("number", Integer, primary_key=True),  # the version's
    Column("currency", String(3), nullable=False),
    Column("mrr", ExactDecimal(), nullable=False),
    Column("starts", UTCDateTime(), nullable=False),
    Column("ends", UTCDateTime()),
    Index(None, "environment", "starts", "subscription_id"),
    Index(None, "environment", "ends", "subscription_id"),
)

mrr_days = Table(
    "mrr_days",
    metadata,
    Column("environment", String(16), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("day", ISODate(), primary_key=True),
    Column("mrr", ExactDecimal(), nullable=False),
    Column("count", BigInteger, nullable=False),
)
