"""The customer's billing portal, mounted at /portal: a single-use link opens it for one
customer; its pages (plan overview, usage, invoices, billing information) call the same
services as the API, always for the visit's own customer (``kassa.web.portal.auth``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from kassa.web.portal import pages
from kassa.web.public import create_public_app

if TYPE_CHECKING:
    from kassa.bootstrap import Kassa

ROUTERS = [pages.router]


def create_portal(kassa_app: Kassa) -> FastAPI:
    return create_public_app(kassa_app, ROUTERS)
