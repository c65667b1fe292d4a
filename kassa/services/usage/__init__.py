"""Usage: events in (ingestion, CSV import, the event debugger), metrics aggregated in SQL, a
customer's usage, thresholds, and the marks of usage that arrives for an invoiced period.

Usage reads subscriptions (which period a metric is measured over); billing reads usage (the
aggregation, the late marks). Neither imports usage back: who bills a metric is a registered
source (``metric_users.MetricUsers``, filled in ``kassa.bootstrap``).
"""
