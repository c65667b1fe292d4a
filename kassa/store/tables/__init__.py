"""All tables on one MetaData. Import tables from here."""

from kassa.store.tables.automations import (
    automation_executions,
    automation_schedules,
    automation_step_runs,
    automation_versions,
    automations,
    tasks,
)
from kassa.store.tables.base import ENVIRONMENTS, metadata
from kassa.store.tables.billing import (
    credit_grants,
    credit_ledger,
    credit_notes,
    invoice_lines,
    invoices,
    payment_methods,
    payments,
    refunds,
    sequences,
    wallet_transactions,
    wallets,
)
from kassa.store.tables.catalog import customer_aliases, customers, metrics, products
from kassa.store.tables.core import (
    api_keys,
    clocks,
    idempotency_keys,
    outbox_consumers,
    outbox_deliveries,
    outbox_events,
)
from kassa.store.tables.emails import email_templates, emails
from kassa.store.tables.subscriptions import (
    approval_rules,
    approvals,
    bundles,
    plan_versions,
    plans,
    subscription_versions,
    subscriptions,
)
from kassa.store.tables.checkout import checkout_sessions
from kassa.store.tables.documents import documents
from kassa.store.tables.fx import fx_rates
from kassa.store.tables.portal import portal_sessions, portal_visits
from kassa.store.tables.processors import processor_customers, processor_events
from kassa.store.tables.reporting import mrr_days, mrr_segments, receivable_days, revenue_days
from kassa.store.tables.settings import environment_settings
from kassa.store.tables.users import sign_in_failures, users, web_sessions
from kassa.store.tables.usage import usage_events, usage_late_marks, usage_thresholds
from kassa.store.tables.jobs import jobs
from kassa.store.tables.webhooks import webhook_attempts, webhook_endpoints, webhook_messages

__all__ = [
    "checkout_sessions",
    "documents",
    "fx_rates",
    "portal_sessions",
    "processor_customers",
    "processor_events",
    "portal_visits",
    "mrr_days",
    "mrr_segments",
    "receivable_days",
    "revenue_days",
    "environment_settings",
    "automation_executions",
    "automation_schedules",
    "automation_step_runs",
    "automation_versions",
    "automations",
    "tasks",
    "credit_grants",
    "credit_ledger",
    "credit_notes",
    "invoice_lines",
    "invoices",
    "payment_methods",
    "payments",
    "refunds",
    "sequences",
    "wallet_transactions",
    "wallets",
    "ENVIRONMENTS",
    "api_keys",
    "approval_rules",
    "approvals",
    "bundles",
    "clocks",
    "customer_aliases",
    "customers",
    "email_templates",
    "emails",
    "idempotency_keys",
    "jobs",
    "metadata",
    "metrics",
    "outbox_consumers",
    "outbox_deliveries",
    "outbox_events",
    "plan_versions",
    "plans",
    "products",
    "subscription_versions",
    "subscriptions",
    "usage_events",
    "usage_late_marks",
    "usage_thresholds",
    "users",
    "sign_in_failures",
    "web_sessions",
    "webhook_attempts",
    "webhook_endpoints",
    "webhook_messages",
]
