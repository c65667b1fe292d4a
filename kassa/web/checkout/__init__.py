"""The hosted checkout, mounted at /checkout: the page of a checkout session
(``/checkout/{cs_id}``) where a customer pays for a plan (``kassa.web.checkout.pages``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from kassa.web.checkout import pages
from kassa.web.public import create_public_app

if TYPE_CHECKING:
    from kassa.bootstrap import Kassa

ROUTERS = [pages.router]


def create_checkout(kassa_app: Kassa) -> FastAPI:
    return create_public_app(kassa_app, ROUTERS)
