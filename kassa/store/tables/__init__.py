"""All tables on one MetaData. Import tables from here."""

from kassa.store.tables.base import ENVIRONMENTS, metadata
from kassa.store.tables.catalog import customer_aliases, customers, metrics, products
from kassa.store.tables.core import api_keys, clocks, idempotency_keys, outbox_events
from kassa.store.tables.usage import usage_events

__all__ = [
    "ENVIRONMENTS",
    "api_keys",
    "clocks",
    "customer_aliases",
    "customers",
    "idempotency_keys",
    "metadata",
    "metrics",
    "outbox_events",
    "products",
    "usage_events",
]
