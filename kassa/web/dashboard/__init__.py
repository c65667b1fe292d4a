"""The operator dashboard's pages, one router per area of the sidebar."""

from kassa.web.dashboard import clock, invoices, keys, pages, session, team

ROUTERS = [session.router, pages.router, clock.router, keys.router, team.router,
           invoices.router]
