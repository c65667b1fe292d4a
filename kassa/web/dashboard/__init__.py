"""The operator dashboard's pages, one router per area of the sidebar (and per part of one)."""

from kassa.web.dashboard import (
    approval_rules,
    approvals,
    clock,
    customer_money,
    customer_pages,
    env_settings,
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
)

ROUTERS = [session.router, pages.router, clock.router, keys.router, team.router,
           invoices.router, approvals.router, approval_rules.router, events.router,
           customer_pages.router, customer_money.router, subscription_create.router,
           subscription_pages.router, subscription_changes.router, subscription_endings.router,
           env_settings.router]
