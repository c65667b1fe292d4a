"""Who a portal request is for: the visit its cookie names, and the CSRF check of every POST.

- The ``kassa_portal`` cookie (HttpOnly, SameSite=Lax, path /portal, Secure on https, an hour)
  holds the visit's random token; ``kassa.services.portal.sessions`` keeps its hash, the
  customer and the environment. Everything a page shows or changes is that customer's, in that
  environment: a page never takes a customer id from the URL or the form, and an object id it
  does take (an invoice, a subscription, a payment method) is looked up among the customer's
  own, so another customer's id is a 404, like an id that does not exist.
- Every POST carries the visit's CSRF token in the ``csrf_token`` field (or ``X-CSRF-Token``).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from kassa.services.context import Ctx
from kassa.services.portal.sessions import VISIT_LIFETIME, Visit, find_visit
from kassa.web.forms import Form, read_form
from kassa.web.public import Refused

if TYPE_CHECKING:
    from kassa.bootstrap import Kassa

COOKIE = "kassa_portal"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SIGNED_OUT = ("Your portal session has ended. Open the billing link you were sent again, or ask "
              "for a new one.")


@dataclass
class Customer:
    """A portal request: the visit, the installation and the posted form (empty on GET)."""

    visit: Visit
    kassa: Kassa
    form: Form = field(default_factory=Form)

    @property
    def customer_id(self) -> str:
        return self.visit.customer_id

    @property
    def environment(self) -> str:
        return self.visit.environment

    @cached_property
    def ctx(self) -> Ctx:
        return self.kassa.ctx(self.visit.environment)


def _kassa(request: Request) -> Kassa:
    return request.app.state.kassa  # type: ignore[no-any-return]


def _customer(request: Request) -> Customer:
    kassa = _kassa(request)
    visit = find_visit(kassa.engine, request.cookies.get(COOKIE), kassa.wall_clock.now())
    if visit is None:
        raise Refused(401, SIGNED_OUT, "Please open your billing link again")
    request.state.environment = visit.environment
    return Customer(visit, kassa)


def visiting(request: Request) -> Customer:
    return _customer(request)


async def posting(request: Request) -> Customer:
    form = await read_form(request)
    customer = await run_in_threadpool(_customer, request)
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), customer.visit.csrf_token.encode()):
        raise Refused(403, "The form was sent without this page's security token. Reload the "
                      "page and try again.", "This form has expired")
    customer.form = form
    return customer


def set_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE, token, max_age=int(VISIT_LIFETIME.total_seconds()),
        path=request.scope.get("root_path") or "/portal", httponly=True, samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path=request.scope.get("root_path") or "/portal",
                           httponly=True, samesite="lax", secure=request.url.scheme == "https")


Visiting = Annotated[Customer, Depends(visiting)]
"""A portal page: the customer the visit is for, or a 401 page saying to open the link again."""
Posting = Annotated[Customer, Depends(posting)]
"""A portal POST: the visit's customer, its CSRF token checked."""
