"""What each action does, through the same services as the API.

An action runs in two parts around the call: ``prepare`` inside the transaction that records
the step as started (an email is rendered there, and stored ``queued`` with the step), then ``perform`` with no
transaction open (the SMTP, Slack, SMS or webhook call, or a billing use case owning its own
transaction); its output is recorded afterwards, by the step runner (``runner.py``). ``dry_run`` says what an
action would do, changing nothing. A failure raises ``ActionFailed`` (or a Kassa error).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kassa.automations import tasks
from kassa.channels import ChannelError
from kassa.channels.email import Attachment
from kassa.clock import utcnow
from kassa.domain.errors import InvalidRequest, KassaError
from kassa.services import customers, email_templates, emails, notify
from kassa.services.billing import credit_notes, documents, invoice_actions
from kassa.services.billing import payments as billing_payments
from kassa.services.context import Ctx
from kassa.services.portal import sessions
from kassa.store.uow import UnitOfWork

# A payment link in a dunning email opens the portal for a day (the longest a link lasts).
PAYMENT_LINK_SECONDS = 24 * 3600
PAYABLE = ("issued", "payment_failed", "overdue")

Params = Mapping[str, Any]
Context = Mapping[str, Any]


class ActionFailed(KassaError):
    """The action failed."""


def _record_id(params: Params, context: Context, name: str) -> str:
    """``invoice_id`` (or the customer's) from the step, else the one the trigger names."""
    value = params.get(f"{name}_id") or (context.get(name) or {}).get("id") or (
        (context.get("trigger") or {}).get(name) or {}).get("id")
    if not value:
        raise ActionFailed(f"No {name} to act on: the trigger names none and the step gives no "
                           f"{name}_id.")
    return str(value)


@dataclass(frozen=True)
class Prepared:
    """What ``prepare`` did: ``output`` for the step log (recorded with the started step), and
    the email it stored, to send without reading it back."""

    output: dict[str, Any]
    email: Mapping[str, Any] | None = None


def prepare(uow: UnitOfWork, action: str, params: Params, context: Context,
            source: Mapping[str, str], templates: dict[str, Any] | None = None) -> Prepared:
    """The part done in the transaction that records the step as started; it writes nothing
    itself: an email is rendered into the row the caller stores with the started step
    (``templates``: the email templates the transaction found so far)."""
    if action == "send_webhook":
        return Prepared({"messageId": webhook_message_id(source["execution_id"], source["step"])})
    if action != "send_email":
        return Prepared({})
    context = _with_payment_link(uow, context, _template(params), templates)
    email = emails.compose(uow, template_key=_template(params), context=context,
                           to=params["to"], cc=tuple(params.get("cc") or ()), source=source,
                           sources=templates)
    output = {"emailId": email["id"]}
    if params.get("attach_invoice"):  # the PDF of the invoice the trigger names, attached
        output["attachInvoice"] = _record_id(params, context, "invoice")
    return Prepared(output, email)


def _with_payment_link(uow: UnitOfWork, context: Context, key: str,
                       templates: dict[str, Any] | None) -> Context:
    """The context with ``invoice.paymentUrl``: a link to the customer's billing portal, opening
    on their invoices (with Pay now) beside their billing information (to change the card),
    made with the email and only for a template that shows it, while the invoice is open."""
    invoice = context.get("invoice") or {}
    customer_id = (invoice.get("customer") or {}).get("id")
    if (not customer_id or invoice.get("paymentUrl")
            or invoice.get("lifecycleStatus") not in PAYABLE
            or not email_templates.mentions(uow.conn, uow.environment, key, "paymentUrl",
                                            templates)):
        return context
    link = sessions.add_link(
        uow, customer_ref=customer_id, by_alias=False,
        sections={"plan_overview_settings": {"show_section": False},  # it opens on invoices
                  "invoice_list_settings": {"show_section": True},
                  "billing_details_settings": {"show_section": True}},
        return_url=None, expires_in=PAYMENT_LINK_SECONDS, now=utcnow())
    return {**context, "invoice": {**invoice, "paymentUrl": link["url"]}}


def _template(params: Params) -> str:
    """The email template a send_email step names (the document's fallback example names none:
    the step fails, and its onError steps run)."""
    if not params.get("template"):
        raise ActionFailed("send_email needs a template: name one of the email templates.")
    return str(params["template"])


def webhook_message_id(execution_id: str, step_key: str) -> str:
    """The ``webhook-id`` of a send_webhook step: the same on every attempt of the step (a
    retry, a job run again after a crash), so the receiver can tell a repeat."""
    digest = hashlib.sha256(step_key.encode()).hexdigest()[:16]
    return f"msg_{execution_id.removeprefix('exec_')}_{digest}"


def _send_email(ctx: Ctx, prepared: dict, email: Mapping[str, Any] | None) -> dict[str, Any]:
    """Send the email the step stored (read back when an earlier run of its job started the
    step); its outcome is recorded at once, in a transaction of its own, so a worker killed
    after it leaves it ``sent``: the step, run again, does not mail twice."""
    attachments = ()
    if prepared.get("attachInvoice"):
        invoice_id = prepared["attachInvoice"]
        attachments = (Attachment(f"{invoice_id}.pdf", "application/pdf",
                                  documents.invoice_pdf(ctx, invoice_id)),)
    outcome = emails.send(ctx, prepared["emailId"], email, attachments=attachments)
    if outcome.status != "sent":
        raise ActionFailed(outcome.error or "The email was not sent.")
    return {"emailId": prepared["emailId"], "status": outcome.status,
            **({"attachInvoice": prepared["attachInvoice"]} if attachments else {})}


def _channel(call: Callable[[], Any]) -> dict[str, Any]:
    try:
        outcome = call()
    except ChannelError as exc:
        raise ActionFailed(str(getattr(exc, "reason", exc))) from None
    return {"status": getattr(outcome, "status", "sent")}


def _retry_payment(ctx: Ctx, params: Params, context: Context, _: dict) -> dict[str, Any]:
    result = billing_payments.retry_payment(ctx, _record_id(params, context, "invoice"), None)
    payment = result["payment"]
    return {"invoiceId": result["invoice"]["id"], "invoiceStatus": result["invoice"]["status"],
            "paymentId": payment and payment["id"], "paymentStatus": payment and payment["status"]}


def _retry_payments(ctx: Ctx, steps: list[tuple[Params, Context]]) -> list[dict | Exception]:
    """``_retry_payment`` of several steps, their payments retried together."""
    wanted: list[tuple[int, str]] = []
    found: list[dict | Exception] = []
    for params, context in steps:
        try:
            wanted.append((len(found), _record_id(params, context, "invoice")))
            found.append({})
        except ActionFailed as exc:
            found.append(exc)
    answers = billing_payments.retry_payments(ctx, [(invoice, None) for _, invoice in wanted])
    for (k, _), answer in zip(wanted, answers, strict=True):
        if isinstance(answer, Exception):
            found[k] = answer
            continue
        payment = answer["payment"]
        found[k] = {"invoiceId": answer["invoice"]["id"],
                    "invoiceStatus": answer["invoice"]["status"],
                    "paymentId": payment and payment["id"],
                    "paymentStatus": payment and payment["status"]}
    return found


def _void_invoice(ctx: Ctx, params: Params, context: Context, _: dict) -> dict[str, Any]:
    invoice = invoice_actions.void_invoice(ctx, _record_id(params, context, "invoice"))
    return {"invoiceId": invoice["id"], "invoiceStatus": invoice["status"]}


def _credit_note(ctx: Ctx, params: Params, context: Context, _: dict) -> dict[str, Any]:
    invoice_id = _record_id(params, context, "invoice")
    amount = params.get("amount")
    if amount is None:
        amount = (context.get("invoice") or {}).get("amountDue")
    note = credit_notes.create_credit_note(ctx, {
        "invoice_id": invoice_id, "amount": Decimal(str(amount)),
        "reason": params.get("reason") or "other", "memo": params.get("memo")})
    return {"creditNoteId": note["id"], "amount": note["amount"]}


def _apply_credits(ctx: Ctx, params: Params, context: Context, _: dict) -> dict[str, Any]:
    invoice = invoice_actions.apply_credits(ctx, _record_id(params, context, "invoice"), None)
    return {"invoiceId": invoice["id"], "amountDue": invoice["amount_due"]}


def _update_customer(ctx: Ctx, params: Params, context: Context, _: dict) -> dict[str, Any]:
    fields = dict(params.get("fields") or {})
    customer = customers.update_customer(ctx, _record_id(params, context, "customer"), fields)
    return {"customerId": customer["id"], "updated": sorted(fields)}


def _add_tag(ctx: Ctx, params: Params, context: Context, _: dict) -> dict[str, Any]:
    customer_id = _record_id(params, context, "customer")
    current = customers.get_customer(ctx, customer_id)["tags"]
    tag = str(params["tag"])
    if tag not in current:
        customers.update_customer(ctx, customer_id, {"tags": [*current, tag]})
    return {"customerId": customer_id, "tag": tag}


def _sync_to_crm(ctx: Ctx, params: Params, context: Context, _: dict) -> dict[str, Any]:
    raise ActionFailed("No CRM connected: connect one before syncing.")


PERFORM: dict[str, Callable[[Ctx, Params, Context, dict], dict[str, Any]]] = {
    "send_sms": lambda ctx, p, c, _: _channel(lambda: notify.sms(ctx, p["to"], p["message"])),
    "send_slack": lambda ctx, p, c, _: _channel(
        lambda: notify.slack(ctx, p.get("webhook_url"), p["message"])),
    "send_webhook": lambda ctx, p, c, prepared: _channel(
        lambda: notify.webhook(ctx, p["url"], p.get("payload") or {}, p.get("secret"),
                               message_id=prepared.get("messageId"))),
    "retry_payment": _retry_payment,
    "void_invoice": _void_invoice,
    "create_credit_note": _credit_note,
    "apply_credits": _apply_credits,
    "update_customer": _update_customer,
    "add_tag": _add_tag,
    "sync_to_crm": _sync_to_crm,
}


# Actions several steps of a batch perform together (one transaction, their charges run in
# one batch of collect jobs): each step's output, or the error it failed with.
PERFORM_MANY: dict[str, Callable[[Ctx, list[tuple[Params, Context]]], list[dict | Exception]]] = {
    "retry_payment": _retry_payments,
}


def perform(ctx: Ctx, action: str, params: Params, context: Context, prepared: dict[str, Any],
            *, execution_id: str, step_key: str,
            email: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Do the action (no transaction open); its output for the step log. ``email`` is the
    email a send_email step stored, when its caller holds it."""
    if action == "send_email":
        return _send_email(ctx, prepared, email)
    if action == "create_task":
        with ctx.uow() as uow:
            task_id = tasks.add_task(
                uow, message=str(params["message"]), assignee=params.get("assignee"),
                customer_id=((context.get("trigger") or {}).get("customer") or {}).get("id"),
                invoice_id=((context.get("trigger") or {}).get("invoice") or {}).get("id"),
                execution_id=execution_id, source=step_key)
            uow.commit()
        return {"taskId": task_id}
    return PERFORM[action](ctx, params, context, prepared)


def dry_run(ctx: Ctx, action: str, params: Params, context: Context) -> dict[str, Any]:
    """What the action would do: an email is rendered (not sent), nothing else is touched."""
    output: dict[str, Any] = {"dryRun": True, "params": dict(params)}
    if action == "send_email":
        with ctx.uow(read_only=True) as uow:
            rendered = email_templates.render(uow.conn, ctx.environment, _template(params),
                                              context)
        output["email"] = {"to": params["to"], "subject": rendered.subject, "text": rendered.text}
    elif action == "sync_to_crm":
        raise ActionFailed("No CRM connected: connect one before syncing.")
    elif action not in PERFORM and action not in ("create_task", "send_email"):
        raise InvalidRequest(f"Unknown action {action!r}.")
    return output
