"""Invoices and their lines, numbering, payment methods, payments, refunds, credit grants and
their ledger, wallets and credit notes."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from kassa.store.tables.base import env_column, id_column, metadata, resource_table, seq_column
from kassa.store.types import ExactDecimal, ISODate, JSONDoc, UTCDateTime


def _customer_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["environment", "customer_id"], ["customers.environment", "customers.id"])


# Gapless per-environment counters (invoice numbers): incremented inside the issuing transaction.
sequences = Table(
    "sequences",
    metadata,
    Column("environment", String(16), primary_key=True),
    Column("name", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

invoices = resource_table(
    "invoices",
    Column("number", String(40)),
    Column("customer_id", String(80), nullable=False),
    Column("subscription_id", String(80)),
    # subscription | proration | final | one_time | top_up
    Column("kind", String(20), nullable=False),
    # One invoice per subscription, boundary and kind: re-running a billing date adds nothing.
    Column("billing_key", String(200)),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False),
    Column("billing_period_start", ISODate()),
    Column("billing_period_end", ISODate()),
    Column("issue_date", ISODate()),
    Column("due_date", ISODate()),
    Column("payment_terms", String(20), nullable=False),
    Column("auto_pay", Boolean, nullable=False),
    Column("subtotal", ExactDecimal(), nullable=False),
    Column("discount", ExactDecimal(), nullable=False),
    Column("tax", ExactDecimal(), nullable=False),
    Column("total", ExactDecimal(), nullable=False),
    Column("credits_applied", ExactDecimal(), nullable=False),
    Column("wallet_applied", ExactDecimal(), nullable=False),
    Column("amount_paid", ExactDecimal(), nullable=False),
    Column("amount_due", ExactDecimal(), nullable=False),
    Column("amount_credited", ExactDecimal(), nullable=False),
    Column("memo", Text),
    Column("metadata", JSONDoc(), nullable=False),
    Column("wallet_id", String(80)),  # top-up invoices: the wallet credited when paid
    # Prices converted from another currency: {base_currency, currency, rate, rate_date, via}.
    Column("fx", JSONDoc()),
    Column("issued_at", UTCDateTime()),
    Column("paid_at", UTCDateTime()),
    Column("voided_at", UTCDateTime()),
    Column("overdue_at", UTCDateTime()),
    UniqueConstraint("environment", "number"),
    UniqueConstraint("environment", "billing_key"),
    _customer_fk(),
    Index(None, "environment", "customer_id"),
    Index(None, "environment", "subscription_id"),
    Index(None, "environment", "status", "due_date"),
    # Reports (kassa.services.reports) read these alone, never the rows: revenue by issue day,
    # the open balances.
    Index("ix_invoices_revenue", "environment", "issue_date", "currency", "status", "kind",
          "total"),
    # The Invoices list filtered by status, newest first, a page at a time.
    Index("ix_invoices_by_status", "environment", "status", "created_at", "seq"),
    Index("ix_invoices_open_balances", "environment", "status", "issue_date", "currency",
          "due_date", "amount_due"),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    seq_column(),
    env_column(),
    id_column(),
    Column("invoice_id", String(80), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("description", Text, nullable=False),
    Column("product_id", String(80)),
    Column("bundle_id", String(80)),
    Column("metric_id", String(80)),
    Column("quantity", ExactDecimal()),
    Column("unit_amount", ExactDecimal()),
    Column("amount", ExactDecimal(), nullable=False),
    Column("period_start", ISODate()),
    Column("period_end", ISODate()),
    Column("details", JSONDoc(), nullable=False),
    UniqueConstraint("environment", "id"),
    ForeignKeyConstraint(
        ["environment", "invoice_id"], ["invoices.environment", "invoices.id"], ondelete="CASCADE"
    ),
    Index(None, "environment", "invoice_id"),
)

payment_methods = resource_table(
    "payment_methods",
    Column("customer_id", String(80), nullable=False),
    Column("type", String(16), nullable=False),  # card | ach | sepa | wire | wallet
    Column("details", JSONDoc(), nullable=False),  # brand, last4, bank name... (never secrets)
    Column("test_behavior", String(20)),  # sandbox: succeed | decline | decline_once
    Column("is_default", Boolean, nullable=False),
    Column("processor_ref", String(200)),  # the processor's method (Stripe: pm_...)
    Column("processor_customer", String(200)),  # the processor's customer it belongs to
    Column("detached_at", UTCDateTime()),
    _customer_fk(),
    Index(None, "environment", "customer_id"),
    listed=False,
)

payments = resource_table(
    "payments",
    Column("customer_id", String(80), nullable=False),
    Column("invoice_id", String(80)),
    Column("payment_method_id", String(80)),
    Column("method", String(16), nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Column("amount_refunded", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),  # pending | processing | succeeded | failed
    Column("failure_reason", Text),
    Column("processor_ref", String(200)),
    Column("reference", String(255)),  # wire reference given by the payer
    _customer_fk(),
    Index(None, "environment", "invoice_id"),
    Index(None, "environment", "customer_id"),
)

refunds = resource_table(
    "refunds",
    Column("customer_id", String(80), nullable=False),
    Column("payment_id", String(80), nullable=False),
    Column("credit_note_id", String(80)),
    Column("amount", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),  # pending | succeeded | failed | canceled
    Column("reason", Text),
    Column("processor_ref", String(200)),
    Index(None, "environment", "payment_id"),
)

credit_grants = resource_table(
    "credit_grants",
    Column("customer_id", String(80), nullable=False),
    Column("type", String(16), nullable=False),  # monetary | units
    Column("currency", String(3)),
    Column("metric_id", String(80)),
    Column("amount", ExactDecimal(), nullable=False),
    Column("remaining", ExactDecimal(), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("reason", Text),
    Column("source", String(20), nullable=False),  # manual | proration | credit_note | pause
    Column("status", String(16), nullable=False),  # active | exhausted | expired | voided
    Column("expires_at", UTCDateTime()),
    Column("metadata", JSONDoc(), nullable=False),
    _customer_fk(),
    Index(None, "environment", "customer_id", "status"),
    Index(None, "environment", "status", "expires_at"),
    listed=False,
)

# Every movement of credit: grant (+), application to an invoice (-), expiry (-), void (-).
credit_ledger = Table(
    "credit_ledger",
    metadata,
    seq_column(),
    env_column(),
    Column("grant_id", String(80), nullable=False),
    Column("customer_id", String(80), nullable=False),
    Column("invoice_id", String(80)),
    Column("kind", String(16), nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index(None, "environment", "customer_id"),
    Index(None, "environment", "grant_id"),
)

wallets = resource_table(
    "wallets",
    Column("customer_id", String(80), nullable=False),
    Column("name", String(255)),
    Column("currency", String(3), nullable=False),
    Column("balance", ExactDecimal(), nullable=False),
    Column("status", String(16), nullable=False),  # active | closed
    Column("metadata", JSONDoc(), nullable=False),
    _customer_fk(),
    Index(None, "environment", "customer_id"),
    listed=False,
)

wallet_transactions = Table(
    "wallet_transactions",
    metadata,
    seq_column(),
    env_column(),
    id_column(),
    Column("wallet_id", String(80), nullable=False),
    Column("type", String(20), nullable=False),  # credit_grant | payment | refund | manual_debit | credit_note
    Column("direction", String(8), nullable=False),  # credit | debit
    Column("amount", ExactDecimal(), nullable=False),
    Column("balance_after", ExactDecimal(), nullable=False),
    Column("invoice_id", String(80)),
    Column("grant_id", String(80)),
    Column("reason", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("environment", "id"),
    Index(None, "environment", "wallet_id"),
)

credit_notes = resource_table(
    "credit_notes",
    Column("number", String(40)),
    Column("invoice_id", String(80), nullable=False),
    Column("customer_id", String(80), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False),  # draft | pending_refund | applied | void
    Column("reason", String(40), nullable=False),
    Column("memo", Text),
    Column("lines", JSONDoc(), nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Column("resolution", String(16)),  # refund | credit
    Column("refund_id", String(80)),
    Column("credit_grant_id", String(80)),
    # When the credit grant a credit resolution makes expires (None: never).
    Column("credit_grant_expires_at", UTCDateTime()),
    Column("applied_at", UTCDateTime()),
    Column("voided_at", UTCDateTime()),
    Index(None, "environment", "invoice_id"),
    Index(None, "environment", "customer_id"),
    listed=False,
)
