"""Opening a portal link, and the portal's pages: Plan overview (Cancel with a retention step,
Change plan with its proration preview), Usage, Invoices (each with its PDF) and Billing
information (billing email, address, tax id; payment methods: add, make default, remove).

Every page is for the visit's customer (``Visiting``/``Posting``): no customer id is read from
a URL or a form, and the subscription, invoice or payment method a URL names is looked up among
that customer's own (``kassa.services.portal.views``). A section the link does not show, or an
ability it does not give, is a 404 page, as if it did not exist."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from kassa.api.schemas.customers import CustomerUpdate
from kassa.api.schemas.prices import canonical_price
from kassa.domain.errors import Gone, InvalidRequest, KassaError, Unavailable
from kassa.domain.items import priced_items
from kassa.payments.test_cards import BY_KEY, TEST_CARDS
from kassa.services.billing import payment_setup
from kassa.services.links import absolute
from kassa.services.portal import sessions, views
from kassa.web.charts import daily_bars
from kassa.web.forms import field_errors, parsed
from kassa.web.portal.auth import COOKIE, CSRF_FIELD, Customer, Posting, Visiting, clear_cookie, set_cookie
from kassa.web.public import Refused, render
from kassa.web.rendering import url

router = APIRouter()
log = logging.getLogger("kassa.portal")

# The portal's sections: (setting, label, route name), in the order of its navigation.
SECTIONS = [
    ("plan_overview", "Plan overview", "portal_plan"),
    ("usage", "Usage", "portal_usage"),
    ("invoice_list", "Invoices", "portal_invoices"),
    ("billing_details", "Billing information", "portal_billing"),
]
DONE = {
    "canceled": "Your subscription is set to end at the end of the current period.",
    "changed": "Your plan has changed.",
    "scheduled": "Your plan will change at the start of your next billing period.",
    "details": "Saved your billing information.",
    "added": "Added the payment method.",
    "setup": "Thank you: your payment method is being saved and shows here in a moment.",
    "default": "That payment method is now your default.",
    "removed": "Removed the payment method.",
    "paid": "Thank you: the invoice is paid.",
    "processing": "Your payment is processing; the invoice shows as paid once it succeeds.",
}
ADDRESS = ("line1", "line2", "city", "state", "postal_code", "country")
DETAIL_INPUTS = {"billing_email": "billing_email", "tax_id": "tax_id",
                 **{f"billing_address.{part}": part for part in ADDRESS}}
PageNumber = Annotated[int, Query(alias="page", ge=1, le=100_000)]


def _page(request: Request, customer: Customer, template: str, section: str | None, title: str,
          status: int = 200, **context: Any) -> Response:
    nav = [(label, name, name == section) for key, label, name in SECTIONS
           if customer.visit.shows(key)]
    return render(request, template, environment=customer.environment, status=status,
                  title=title, nav=nav, customer=customer, csrf_token=customer.visit.csrf_token,
                  csrf_field=CSRF_FIELD, return_url=customer.visit.return_url,
                  done=DONE.get(request.query_params.get("done", "")), **context)


def _plan_label(plan: dict[str, Any]) -> str:
    """A plan as the Change plan choices show it: its name and its recurring price."""
    prices = [views.price_text(child["price"], plan["currency"])
              for _, child in priced_items(plan["items"])]
    return plan["name"] + (f" ({'; '.join(prices)})" if prices else "")


def _require(customer: Customer, section: str, ability: str | None = None) -> None:
    if not customer.visit.shows(section) or (ability and not customer.visit.allows(ability)):
        raise Refused(404, "This part of the billing portal is not available.")


def _back(request: Request, name: str, done: str) -> Response:
    return RedirectResponse(f"{url(request, name)}?done={done}", status_code=303)


@router.get("/open/{token}", name="open_portal")
async def open_portal(request: Request, token: str) -> Response:
    """Spend the link's token for a visit cookie, then show the portal (the redirect drops the
    token from the address bar and the history)."""
    kassa = request.app.state.kassa
    try:
        visit, cookie = await run_in_threadpool(
            sessions.open_link, kassa.engine, token, kassa.wall_clock.now())
    except Gone as exc:
        raise Refused(410, exc.detail) from None
    request.state.environment = visit.environment
    response = RedirectResponse(url(request, "portal_home"), status_code=303)
    set_cookie(response, request, cookie)
    return response


@router.get("/", name="portal_home")
def portal_home(request: Request, customer: Visiting) -> Response:
    """The first section the link shows."""
    for key, _, name in SECTIONS:
        if customer.visit.shows(key):
            return RedirectResponse(url(request, name), status_code=303)
    return _page(request, customer, "portal/empty.html", None, "Billing")


# ------------------------------------------------------------------ plan overview


@router.get("/plan", name="portal_plan")
def plan_page(request: Request, customer: Visiting) -> Response:
    _require(customer, "plan_overview")
    shown = views.plan_overview(customer.ctx, customer.customer_id)
    return _page(request, customer, "portal/plan.html", "portal_plan", "Plan overview",
                 subscriptions=shown,
                 can_cancel=customer.visit.allows("allow_subscription_cancel"),
                 can_change=customer.visit.allows("allow_plan_change")
                 and bool(views.portal_settings(customer.ctx).available_plan_ids))


def _cancel_page(request: Request, customer: Customer, sub_id: str, template: str,
                 status: int = 200, **context: Any) -> Response:
    sub = views.owned_subscription(customer.ctx, customer.customer_id, sub_id)
    return _page(request, customer, template, "portal_plan", "Cancel subscription",
                 status=status, sub=sub, reasons=views.CANCEL_REASONS,
                 offer=views.portal_settings(customer.ctx).retention_offer_text, **context)


@router.get("/plan/{sub_id}/cancel", name="portal_cancel")
def cancel_form(request: Request, customer: Visiting, sub_id: str) -> Response:
    _require(customer, "plan_overview", "allow_subscription_cancel")
    return _cancel_page(request, customer, sub_id, "portal/cancel.html")


@router.post("/plan/{sub_id}/cancel")
def cancel(request: Request, customer: Posting, sub_id: str) -> Response:
    """Two steps: the reason, then the retention step (the offer, Keep or Cancel); only the
    second, with ``confirm``, cancels (at the end of the period)."""
    _require(customer, "plan_overview", "allow_subscription_cancel")
    form = customer.form
    reason, note = form.text("reason"), form.text("note")
    if reason not in dict(views.CANCEL_REASONS):
        return _cancel_page(request, customer, sub_id, "portal/cancel.html", status=422,
                            values=form.values(), errors={"reason": "Choose a reason."})
    if len(note) > 2000:
        return _cancel_page(request, customer, sub_id, "portal/cancel.html", status=422,
                            values=form.values(),
                            errors={"note": "Keep the note under 2,000 characters."})
    if form.get("confirm") != "yes":
        return _cancel_page(request, customer, sub_id, "portal/retention.html",
                            values=form.values())
    try:
        views.cancel_at_period_end(customer.ctx, customer.customer_id, sub_id, reason, note)
    except InvalidRequest as exc:
        return _cancel_page(request, customer, sub_id, "portal/cancel.html", status=422,
                            values=form.values(), errors=field_errors(exc, {"reason": "reason"}))
    return _back(request, "portal_plan", "canceled")


def _change_page(request: Request, customer: Customer, sub_id: str, status: int = 200,
                 **context: Any) -> Response:
    sub = views.owned_subscription(customer.ctx, customer.customer_id, sub_id)
    choices = views.plan_choices(customer.ctx, sub)
    context.setdefault("preview", None)
    return _page(request, customer, "portal/change_plan.html", "portal_plan", "Change plan",
                 status=status, sub=sub, choices=choices,
                 plan_options=[(p["id"], _plan_label(p)) for p in choices], **context)


@router.get("/plan/{sub_id}/change", name="portal_change")
def change_form(request: Request, customer: Visiting, sub_id: str) -> Response:
    _require(customer, "plan_overview", "allow_plan_change")
    return _change_page(request, customer, sub_id)


@router.post("/plan/{sub_id}/change/preview", name="portal_change_preview")
def change_preview(request: Request, customer: Posting, sub_id: str) -> Response:
    _require(customer, "plan_overview", "allow_plan_change")
    try:
        preview = views.preview_plan_change(customer.ctx, customer.customer_id, sub_id,
                                            customer.form.text("plan_id"), canonical_price)
    except KassaError as exc:
        return _change_page(request, customer, sub_id, status=422,
                            values=customer.form.values(),
                            errors=field_errors(exc, {"plan_id": "plan_id"}))
    return _change_page(request, customer, sub_id, values=customer.form.values(),
                        preview=preview, new_plan=_plan_label(preview["plan"]))


@router.post("/plan/{sub_id}/change")
def change(request: Request, customer: Posting, sub_id: str) -> Response:
    _require(customer, "plan_overview", "allow_plan_change")
    try:
        done = views.change_plan(customer.ctx, customer.customer_id, sub_id,
                                 customer.form.text("plan_id"), canonical_price)
    except KassaError as exc:
        return _change_page(request, customer, sub_id, status=422,
                            values=customer.form.values(),
                            errors=field_errors(exc, {"plan_id": "plan_id"}))
    return _back(request, "portal_plan", "changed" if done["kind"] == "upgrade" else "scheduled")


# ------------------------------------------------------------------ usage


@router.get("/usage", name="portal_usage")
def usage_page(request: Request, customer: Visiting) -> Response:
    _require(customer, "usage")
    entries = views.usage(customer.ctx, customer.customer_id)
    charts = [daily_bars(entry["series"], f"Daily {entry['metric_name']}") for entry in entries]
    return _page(request, customer, "portal/usage.html", "portal_usage", "Usage",
                 usage=list(zip(entries, charts, strict=True)))


# ------------------------------------------------------------------ invoices


@router.get("/invoices", name="portal_invoices")
def invoices_page(request: Request, customer: Visiting, page_number: PageNumber = 1) -> Response:
    _require(customer, "invoice_list")
    return _invoices(request, customer, page_number)


def _invoices(request: Request, customer: Customer, page_number: int, status: int = 200,
              failed: str | None = None) -> Response:
    found = views.invoice_page(customer.ctx, customer.customer_id, page_number)
    pages = max(1, -(-found.total // views.INVOICES_PER_PAGE))
    return _page(request, customer, "portal/invoices.html", "portal_invoices", "Invoices",
                 status=status, found=found, page_number=page_number, pages=pages,
                 failed=failed, payable=views.payable(customer.ctx, found.rows))


@router.post("/invoices/{invoice_id}/pay", name="portal_pay_invoice")
def pay_invoice(request: Request, customer: Posting, invoice_id: str) -> Response:
    """Pay now, with the default payment method; a decline is shown on the invoices page."""
    _require(customer, "invoice_list")
    try:
        done = views.pay_invoice(customer.ctx, customer.customer_id, invoice_id)
    except InvalidRequest as exc:  # no payment method (the message says what to do)
        return _invoices(request, customer, 1, status=422, failed=_customer_words(exc.detail))
    payment = done["payment"]
    if payment is not None and payment["status"] == "failed" and (
            payment.get("failure_reason") or "").startswith("requires_action"):
        return _invoices(request, customer, 1, status=422, failed=(
            "Your bank asks you to confirm this payment. Add your card again under Billing "
            "information (your bank will ask you to confirm it there), then pay."))
    if payment is not None and payment["status"] == "failed":
        return _invoices(request, customer, 1, status=422, failed=(
            f"The payment of {payment['amount']} {payment['currency']} was declined"
            + (f": {payment['failure_reason']}" if payment.get("failure_reason") else ".")))
    if payment is not None and payment["status"] != "succeeded":
        return _back(request, "portal_invoices", "processing")
    return _back(request, "portal_invoices", "paid")


def _customer_words(detail: str) -> str:
    if "no payment method" in detail:
        return "You have no payment method on file: add one under Billing information first."
    return detail


@router.get("/invoices/{invoice_id}/pdf", name="portal_invoice_pdf")
def invoice_pdf(customer: Visiting, invoice_id: str) -> Response:
    _require(customer, "invoice_list")
    pdf, name = views.invoice_pdf(customer.ctx, customer.customer_id, invoice_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


# ------------------------------------------------------------------ billing information


def _billing_page(request: Request, customer: Customer, status: int = 200,
                  **context: Any) -> Response:
    details = views.billing_details(customer.ctx, customer.customer_id)
    address = details["billing_address"] or {}
    context.setdefault("values", {
        "billing_email": details["billing_email"] or "", "tax_id": details["tax_id"] or "",
        **{part: address.get(part) or "" for part in ADDRESS}})
    return _page(request, customer, "portal/billing.html", "portal_billing",
                 "Billing information", status=status, details=details,
                 methods=views.payment_methods(customer.ctx, customer.customer_id),
                 card_options=[(c.key, f"{c.label}: {c.says}") for c in TEST_CARDS],
                 hosted_setup=payment_setup.hosted_setup(customer.ctx) is not None, **context)


@router.get("/billing", name="portal_billing")
def billing_page(request: Request, customer: Visiting) -> Response:
    _require(customer, "billing_details")
    return _billing_page(request, customer)


@router.post("/billing")
def save_billing(request: Request, customer: Posting) -> Response:
    _require(customer, "billing_details")
    form = customer.form
    address = {part: form.text(part) or None for part in ADDRESS}
    if address["country"]:
        address["country"] = address["country"].upper()
    try:
        body = parsed(CustomerUpdate, {
            "billing_email": form.text("billing_email") or None,
            "tax_id": form.text("tax_id") or None,
            "billing_address": address if any(address.values()) else None,
        })
        views.update_billing_details(customer.ctx, customer.customer_id,
                                     body.model_dump(exclude_unset=True))
    except KassaError as exc:
        return _billing_page(request, customer, status=422, values=form.values(),
                             errors=field_errors(exc, DETAIL_INPUTS))
    return _back(request, "portal_billing", "details")


@router.post("/billing/payment-methods/hosted", name="portal_hosted_setup")
def hosted_setup(request: Request, customer: Posting) -> Response:
    """Off to the processor's own page (Stripe Checkout in setup mode) to add a card, a bank
    account or a wallet; it sends the customer back here, and its webhook attaches the method."""
    _require(customer, "billing_details")
    back = absolute(customer.ctx.settings, url(request, "portal_billing"), str(request.base_url))
    try:
        target = payment_setup.setup_url(customer.ctx, customer.customer_id,
                                         success_url=f"{back}?done=setup", cancel_url=back)
    except Unavailable:
        raise Refused(404, "Adding a payment method here is not available.") from None
    except Exception:  # the processor could not be reached: say so, keep the page
        log.exception("starting a hosted payment method setup failed")
        return _billing_page(request, customer, status=503, errors={
            "hosted": "The payment provider could not be reached. Try again in a moment."})
    return RedirectResponse(target, status_code=303)


@router.post("/billing/payment-methods", name="portal_add_method")
def add_method(request: Request, customer: Posting) -> Response:
    _require(customer, "billing_details")
    if payment_setup.hosted_setup(customer.ctx) is not None:
        raise Refused(404, "Add a payment method with the payment provider's page.")
    if not customer.ctx.is_sandbox:
        raise Refused(404, "Adding a payment method here is not available yet: contact the "
                      "company that sent you this link.")
    card = BY_KEY.get(customer.form.text("card"))
    if card is None:
        return _billing_page(request, customer, status=422,
                             errors={"card": "Choose a test card."})
    views.add_payment_method(customer.ctx, customer.customer_id,
                             card.method(default=customer.form.get("default") == "true"))
    return _back(request, "portal_billing", "added")


@router.post("/billing/payment-methods/{method_id}/default", name="portal_default_method")
def default_method(request: Request, customer: Posting, method_id: str) -> Response:
    _require(customer, "billing_details")
    views.make_default(customer.ctx, customer.customer_id, method_id)
    return _back(request, "portal_billing", "default")


@router.post("/billing/payment-methods/{method_id}/remove", name="portal_remove_method")
def remove_method(request: Request, customer: Posting, method_id: str) -> Response:
    _require(customer, "billing_details")
    views.remove_payment_method(customer.ctx, customer.customer_id, method_id)
    return _back(request, "portal_billing", "removed")


# ------------------------------------------------------------------ leaving


@router.post("/sign-out", name="portal_sign_out")
def sign_out(request: Request, customer: Posting) -> Response:
    sessions.end_visit(customer.kassa.engine, request.cookies.get(COOKIE, ""))
    target = customer.visit.return_url or url(request, "portal_signed_out")
    response = RedirectResponse(target, status_code=303)
    clear_cookie(response, request)
    return response


@router.get("/signed-out", name="portal_signed_out")
def signed_out(request: Request) -> Response:
    return render(request, "customer/error.html", environment=None, title="Signed out",
                  detail="You have left the billing portal. Open your billing link again to "
                  "come back.", status_code=200)
