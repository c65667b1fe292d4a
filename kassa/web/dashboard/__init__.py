"""The operator dashboard's pages, one router per area of the sidebar."""

from kassa.web.dashboard import (
    approval_rules,
    approvals,
    clock,
    events,
    invoices,
    keys,
    pages,
    session,
    team,
)

ROUTERS = [session.router, pages.router, clock.router, keys.router, team.router,
           invoices.router, approvals.router, approval_rules.router, events.router]
