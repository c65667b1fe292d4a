"""A checkout session's page: the plan and its price, the billing details and a card.

- The session's id (22 random base62 characters) is the page's address: whoever has the link
  may pay; the form carries the session's CSRF token (stored with it), so a page of another
  site cannot post it (403 page).
- In the sandbox the card is a test card: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is
  declined, 4000 0000 0000 0341 is declined once. Only the brand, the last four digits and the
  simulated behaviour are stored, never the number. With Stripe (either environment) Kassa has
  no card form: "Add a payment method" (``checkout_setup``) makes the customer and sends the
  browser to Stripe's hosted setup page, which sends it back here; once Stripe's webhook has
  attached the method, Subscribe and pay charges it. Without any, the page says card payment
  is not available.
- Paying is ``kassa.services.checkout.sessions.complete``: complete → 303 to ``success_url``;
  declined → the page again (402), the reason beside the card number; expired → 410 page.
"""

from __future__ import annotations

import hmac
import logging
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from kassa.domain.errors import Conflict, Gone, KassaError, NotFound
from kassa.services.checkout import sessions
from kassa.services.context import Ctx
from kassa.web.app import CONTENT_SECURITY_POLICY
from kassa.payments.test_cards import BY_NUMBER
from kassa.web.forms import Form, read_form
from kassa.web.public import Refused, render

router = APIRouter()
log = logging.getLogger("kassa.checkout")

CSRF_FIELD = "csrf_token"
FORGED = ("The form was sent without this page's security token. Reload the page and try "
          "again.")
NO_SUCH = "There is no checkout at this address. Check the link you followed."
HOST = re.compile(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")


def _kassa(request: Request) -> Any:
    return request.app.state.kassa


def _ctx(request: Request, session_id: str) -> Ctx:
    kassa = _kassa(request)
    try:
        environment = sessions.environment_of(kassa.engine, session_id)
    except NotFound:
        raise Refused(404, NO_SUCH, "Checkout not found") from None
    request.state.environment = environment
    return kassa.ctx(environment)  # type: ignore[no-any-return]


def _show(request: Request, ctx: Ctx, session_id: str, now: datetime, *, status: int = 200,
          errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
          notice: str | None = None) -> Response:
    try:
        found = sessions.page(ctx, session_id, now)
    except Gone:
        return _expired(request, ctx, session_id, now)
    except Conflict:
        return _completed(request, ctx, session_id, now)
    return render(
        request, "checkout/page.html", environment=ctx.environment, status=status,
        headers={"Content-Security-Policy": policy(found.session["success_url"])},
        title=f"Subscribe to {found.plan['name']}", page=found,
        summary=sessions.plan_summary(ctx, found.plan), csrf_token=found.csrf_token,
        card_payments=sessions.card_payments(ctx), hosted=sessions.hosted_payments(ctx),
        errors=errors or {},
        values=values if values is not None else _prefill(found), notice=notice,
    )


def policy(success_url: str) -> str:
    """The pages' Content-Security-Policy, its ``form-action`` widened to the success_url's
    origin: a browser applies it to the redirect that answers the form (without it, Chromium
    blocks the 303 to the seller's site)."""
    parts = urlsplit(success_url)
    try:
        host, port = parts.hostname or "", parts.port
    except ValueError:
        host, port = "", None
    if parts.scheme not in ("http", "https") or not HOST.fullmatch(host):
        return CONTENT_SECURITY_POLICY  # nothing that could be read as another directive
    origin = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {origin}")


def _prefill(found: sessions.Page) -> dict[str, str]:
    given = found.session["customer_details"] or {}
    return {"name": given.get("name") or "", "email": given.get("email") or ""}


def _completed(request: Request, ctx: Ctx, session_id: str, now: datetime,
               status: int = 200) -> Response:
    session = sessions.get_session(ctx, session_id, now=now)
    return render(request, "checkout/complete.html", environment=ctx.environment,
                  status=status, title="Checkout complete", session=session,
                  success_target=sessions.success_target(session))


def _expired(request: Request, ctx: Ctx, session_id: str, now: datetime) -> Response:
    """The 410 page of an expired session, its way back the session's cancel_url."""
    session = sessions.get_session(ctx, session_id, now=now)
    return render(request, "checkout/expired.html", environment=ctx.environment, status=410,
                  title="This checkout has expired", session=session)


@router.get("/{session_id}", name="checkout_page")
def checkout_page(request: Request, session_id: str) -> Response:
    ctx = _ctx(request, session_id)
    return _show(request, ctx, session_id, ctx.wall_clock.now())


@router.post("/{session_id}", name="checkout_pay")
async def checkout_pay(request: Request, session_id: str) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_pay, request, session_id, form)


def _pay(request: Request, session_id: str, form: Form) -> Response:
    ctx = _ctx(request, session_id)
    now = ctx.wall_clock.now()
    try:
        found = sessions.page(ctx, session_id, now)
    except Gone:
        return _expired(request, ctx, session_id, now)
    except Conflict:
        return _completed(request, ctx, session_id, now, status=409)
    if not hmac.compare_digest(form.get(CSRF_FIELD).encode(), found.csrf_token.encode()):
        raise Refused(403, FORGED, "This form has expired")
    values = {k: v for k, v in form.values().items()
              if k not in ("card_number", "card_cvc")}
    hosted = sessions.hosted_payments(ctx)
    if not sessions.card_payments(ctx) and not hosted:
        return _show(request, ctx, session_id, now, status=503, values=values, errors={
            "form": "Card payment is not available for this checkout."})
    if hosted:  # the method the processor's page collected
        details, card, errors = {}, None, {}
    else:
        details, card, errors = _read(form, new_customer=found.customer is None, now=now)
    if errors:
        return _show(request, ctx, session_id, now, status=422, errors=errors, values=values)
    try:
        outcome = sessions.complete(ctx, session_id, details=details, card=card, now=now,
                                    request_base=str(request.base_url))
    except Gone:
        return _expired(request, ctx, session_id, now)
    except Conflict as exc:
        if exc.detail == sessions.COMPLETED:
            return _completed(request, ctx, session_id, now, status=409)
        return _show(request, ctx, session_id, now, status=409, values=values,
                     errors={"form": exc.detail})
    except KassaError as exc:
        return _show(request, ctx, session_id, now, status=422, values=values,
                     errors={"form": exc.detail})
    if outcome.status == "complete":
        return RedirectResponse(sessions.success_target(outcome.session), status_code=303)
    if outcome.status == "declined" and hosted:
        return _show(request, ctx, session_id, now, status=402, values=values, errors={
            "form": f"Your payment was declined ({outcome.reason}). Add another payment "
                    "method and try again."})
    if outcome.status == "declined":
        return _show(request, ctx, session_id, now, status=402, values=values, errors={
            "card_number": f"Your card was declined ({outcome.reason}). Try another card."})
    # Processing: another submission of this form is charging (a double click), or the
    # processor has not answered yet. Completed meanwhile: on to success_url.
    again = sessions.conclude(ctx, session_id, now, str(request.base_url))
    if again.status == "complete":
        return RedirectResponse(sessions.success_target(again.session), status_code=303)
    return _show(request, ctx, session_id, now, status=202, values=values,
                 notice="Your payment is being processed. Reload this page in a moment.")


@router.post("/{session_id}/payment-method", name="checkout_setup")
async def checkout_setup(request: Request, session_id: str) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_setup, request, session_id, form)


def _setup(request: Request, session_id: str, form: Form) -> Response:
    """Off to the processor's page (Stripe Checkout in setup mode) to add the payment method;
    it sends the customer back to this page, where Subscribe and pay charges it."""
    ctx = _ctx(request, session_id)
    now = ctx.wall_clock.now()
    try:
        found = sessions.page(ctx, session_id, now)
    except Gone:
        return _expired(request, ctx, session_id, now)
    except Conflict:
        return _completed(request, ctx, session_id, now, status=409)
    if not hmac.compare_digest(form.get(CSRF_FIELD).encode(), found.csrf_token.encode()):
        raise Refused(403, FORGED, "This form has expired")
    values = form.values()
    details, errors = _details(form) if found.customer is None else ({}, {})
    if errors:
        return _show(request, ctx, session_id, now, status=422, errors=errors, values=values)
    try:
        target = sessions.start_hosted(ctx, session_id, details=details, now=now,
                                       request_base=str(request.base_url))
    except Gone:
        return _expired(request, ctx, session_id, now)
    except KassaError as exc:
        return _show(request, ctx, session_id, now, status=422, values=values,
                     errors={"form": exc.detail})
    except Exception:  # the processor could not be reached
        log.exception("starting the hosted payment method setup of a checkout failed")
        return _show(request, ctx, session_id, now, status=503, values=values, errors={
            "form": "The payment provider could not be reached. Try again in a moment."})
    return RedirectResponse(target, status_code=303)


def _details(form: Form) -> tuple[dict[str, str], dict[str, str]]:
    """The new customer's name and email, and what is wrong with them."""
    errors: dict[str, str] = {}
    name, email = form.text("name"), form.text("email")
    if not name:
        errors["name"] = "Enter the name to bill."
    elif len(name) > 255:
        errors["name"] = "The name is at most 255 characters."
    if not EMAIL.match(email) or len(email) > 320:
        errors["email"] = "Enter an email address such as billing@example.com."
    return {"name": name, "email": email}, errors


def _read(form: Form, *, new_customer: bool, now: datetime,
          ) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The billing details and the test card of the form, and what is wrong with them."""
    errors: dict[str, str] = {}
    details: dict[str, str] = {}
    if new_customer:
        details, errors = _details(form)
    number = re.sub(r"[\s-]", "", form.get("card_number"))
    if number not in BY_NUMBER:
        errors["card_number"] = ("Use a test card: 4242 4242 4242 4242 (succeeds) or "
                                 "4000 0000 0000 0002 (declined).")
    expiry = EXPIRY.match(form.get("card_expiry"))
    if expiry is None or not 1 <= int(expiry.group(1)) <= 12:
        errors["card_expiry"] = "Enter the expiry date as MM/YY."
    else:
        month, year = int(expiry.group(1)), int(expiry.group(2))
        year = year + 2000 if year < 100 else year
        if (year, month) < (now.year, now.month):
            errors["card_expiry"] = "This card has expired."
    if not re.fullmatch(r"\d{3,4}", form.get("card_cvc").strip()):
        errors["card_cvc"] = "Enter the 3 or 4 digits on the back of the card."
    test_card = BY_NUMBER.get(number)
    card = ({"details": {"brand": test_card.brand, "last4": test_card.last4},
             "test_behavior": test_card.behavior} if test_card else {})
    return details, card, errors
