"""All tables on one MetaData. Import tables from here."""

from kassa.store.tables.base import ENVIRONMENTS, metadata
from kassa.store.tables.catalog import customer_aliases, customers, metrics, products
from kassa.store.tables.core import api_keys, clocks, idempotency_keys, outbox_events
from kassa.store.tables.jobs import jobs
from kassa.store.tables.webhooks import webhook_attempts, webhook_endpoints, webhook_messages

__all__ = [
    "ENVIRONMENTS",
    "api_keys",
    "clocks",
    "customer_aliases",
    "customers",
    "idempotency_keys",
    "jobs",
    "metadata",
    "metrics",
    "outbox_events",
    "products",
    "webhook_attempts",
    "webhook_endpoints",
    "webhook_messages",
]
