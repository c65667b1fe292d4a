"""The operator dashboard's pages, one router per area of the sidebar (and per part of one)."""

from kassa.web.dashboard import (
    clock,
    customer_money,
    customer_pages,
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
           customer_pages.router, customer_money.router, subscription_create.router,
           subscription_pages.router, subscription_changes.router, subscription_endings.router]
