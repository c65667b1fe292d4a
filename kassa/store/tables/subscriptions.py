"""Plans, bundles, subscriptions and their versions, approval rules and approvals."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)

from kassa.store.tables.base import resource_table
from kassa.store.types import ExactDecimal, ISODate, JSONDoc, UTCDateTime

plans = resource_table(
    "plans",
    Column("name", String(255), nullable=False),
    Column("description", Text),
    Column("currency", String(3), nullable=False),
    Column("items", JSONDoc(), nullable=False),
    Column("contract", JSONDoc(), nullable=False),
    Column("billing", JSONDoc(), nullable=False),
    Column("renewal", JSONDoc()),
    Column("metadata", JSONDoc(), nullable=False),
    archived=True,
)

# The history of a plan's item sets: number 1 at creation, one more each time its items change
# (renewal.pricing plan_latest tells a subscription's own overrides from the plan's items by it).
plan_versions = resource_table(
    "plan_versions",
    Column("plan_id", String(80), nullable=False),
    Column("number", Integer, nullable=False),
    Column("items", JSONDoc(), nullable=False),
    UniqueConstraint("environment", "plan_id", "number"),
    listed=False,
)

bundles = resource_table(
    "bundles",
    Column("name", String(255), nullable=False),
    Column("description", Text),
    Column("items", JSONDoc(), nullable=False),
    Column("metadata", JSONDoc(), nullable=False),
    archived=True,
)

subscriptions = resource_table(
    "subscriptions",
    Column("customer_id", String(80), nullable=False),
    Column("plan_id", String(80)),
    Column("name", String(255)),
    Column("currency", String(3), nullable=False),
    # The currency of its items' prices when it is not ``currency`` (its plan's): null otherwise.
    Column("price_currency", String(3)),
    Column("status", String(20), nullable=False),
    Column("contract", JSONDoc(), nullable=False),
    Column("renewal", JSONDoc(), nullable=False),
    Column("billing", JSONDoc(), nullable=False),
    Column("discount", JSONDoc()),
    Column("minimum_spend", JSONDoc()),
    Column("maximum_spend", JSONDoc()),
    Column("price_escalation", JSONDoc()),
    Column("metadata", JSONDoc(), nullable=False),
    Column("current_version_id", String(80)),
    # The current contract term [term_start, term_end) and the billing anchor (dates, UTC).
    Column("term_start", ISODate()),
    Column("term_end", ISODate()),
    Column("billing_anchor", ISODate()),
    # Start of the latest billing cycle announced with subscription.started.
    Column("cycle_start", ISODate()),
    Column("cancellation", JSONDoc()),
    Column("cancel_at", UTCDateTime()),
    Column("pause", JSONDoc()),
    Column("pauses", JSONDoc(), nullable=False),
    Column("activated_at", UTCDateTime()),
    Column("canceled_at", UTCDateTime()),
    # The earliest instant at which a scheduled transition is due (the due-work index).
    Column("next_action_at", UTCDateTime()),
    # Billing: the last boundary billed, and the next one due (the billing due-work index).
    Column("billed_through", UTCDateTime()),
    Column("next_billing_at", UTCDateTime()),
    # subscription.ending_soon: the term end still to announce, and the ends announced (RFC 3339).
    Column("ending_soon_for", UTCDateTime()),
    Column("ending_soon_sent", JSONDoc()),
    ForeignKeyConstraint(
        ["environment", "customer_id"], ["customers.environment", "customers.id"]
    ),
    Index(None, "environment", "customer_id"),
    Index(None, "environment", "status"),
    Index(None, "environment", "next_action_at"),
    Index(None, "environment", "next_billing_at"),
    Index(None, "environment", "ending_soon_for"),
    # What the MRR report joins each version to (kassa.services.reports), without the rows.
    Index("ix_subscriptions_lifetimes", "environment", "id", "activated_at", "canceled_at",
          "currency"),
)

subscription_versions = resource_table(
    "subscription_versions",
    Column("subscription_id", String(80), nullable=False),
    Column("number", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # draft | published
    Column("effective_at", UTCDateTime()),
    Column("effective", String(40)),  # the timing keyword or date the version was asked for
    Column("description", Text),
    Column("plan_id", String(80)),
    Column("items", JSONDoc(), nullable=False),
    Column("proration", String(8), nullable=False),
    Column("source_version_id", String(80)),
    Column("published_at", UTCDateTime()),
    # What the items bring each month (kassa.domain.approvals.monthly_recurring), kept with them
    # so reports sum MRR in SQL.
    Column("mrr", ExactDecimal()),
    UniqueConstraint("environment", "subscription_id", "number"),
    ForeignKeyConstraint(
        ["environment", "subscription_id"],
        ["subscriptions.environment", "subscriptions.id"],
        ondelete="CASCADE",
    ),
    Index(None, "environment", "subscription_id", "status", "effective_at"),
    Index("ix_subscription_versions_mrr", "environment", "status", "subscription_id",
          "effective_at", "number", "mrr"),
    listed=False,
)

approval_rules = resource_table(
    "approval_rules",
    Column("name", String(255), nullable=False),
    Column("description", Text),
    Column("conditions", JSONDoc(), nullable=False),
    Column("match", String(8), nullable=False),  # all | any
    Column("priority", Integer, nullable=False),
    Column("approvers", JSONDoc(), nullable=False),
    Column("enabled", Integer, nullable=False),
    Index(None, "environment", "priority"),
    listed=False,
)

approvals = resource_table(
    "approvals",
    Column("subscription_id", String(80), nullable=False),
    Column("rule_id", String(80), nullable=False),
    Column("status", String(16), nullable=False),  # pending | approved | rejected | canceled
    Column("reasons", JSONDoc(), nullable=False),
    Column("approvers", JSONDoc(), nullable=False),
    Column("decisions", JSONDoc(), nullable=False),
    Column("rejection_reason", Text),
    Column("decided_at", UTCDateTime()),
    ForeignKeyConstraint(
        ["environment", "subscription_id"],
        ["subscriptions.environment", "subscriptions.id"],
        ondelete="CASCADE",
    ),
    Index(None, "environment", "status"),
    Index(None, "environment", "subscription_id"),
    listed=False,
)
