"""The operator dashboard's pages, one router per area of the sidebar (and per part of one)."""

from kassa.web.dashboard import (
    approval_rules,
    approvals,
    automation_history,
    automations,
    catalog,
    catalog_metrics,
    catalog_plans,
    clock,
    customer_money,
    customer_pages,
    email_templates,
    events,
    invoices,
    keys,
    pages,
    session,
    subscription_changes,
    subscription_create,
    subscription_endings,
    subscription_pages,
    team,
    webhooks,
)

ROUTERS = [session.router, pages.router, clock.router, keys.router, team.router,
           invoices.router, approvals.router, approval_rules.router, events.router,
           customer_pages.router, customer_money.router, subscription_create.router,
           subscription_pages.router, subscription_changes.router, subscription_endings.router,
           webhooks.router, catalog.router, catalog_metrics.router, catalog_plans.router,
           automations.router, automation_history.router, email_templates.router]
