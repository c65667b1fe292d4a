"""The emails customers expect: invoice issued (its PDF attached), payment receipt, payment
failed (with a customer portal link to update the payment method), cancellation scheduled (with
its effective date) and the renewal notice (``subscription.ending_soon`` before an auto-renewing
term renews). Each is turned on in Settings → Invoicing (``send_invoice_emails``,
``customer_emails.*``; all off by default), renders an editable email template (a built-in
under the same key, kassa.services.email_builtins) and is recorded in ``GET /emails``.

``consume`` is the ``customer_emails`` outbox consumer: it reads every event once, on its own
(kassa.queue.outbox), decides which email the event calls for, and composes it into the emails
log with one ``send_customer_email`` job, both in the consumer's transaction. The job sends it
after that commit, outside any transaction (``emails.send``). Idempotency: an email's id is
derived from (event, kind), so an event delivered again (a replay, a batch run twice) finds its
email and adds nothing, and two writers of one email collide on the primary key; the job is
deduplicated by the email id while it waits, and ``emails.send`` never sends a ``sent`` email
again (a job run twice). A customer without an email address gets a ``failed`` email saying so,
and no job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import RowMapping

from kassa.automations.context import step_contexts, trigger_snapshots
from kassa.channels import ChannelError
from kassa.channels.email import Attachment
from kassa.clock import utcnow
from kassa.domain.contracts import renewal_at
from kassa.domain.errors import KassaError
from kassa.ids import ALPHABET, PREFIXED_LENGTH
from kassa.queue.retry import RetryPolicy
from kassa.queue.runner import JobResult
from kassa.resources.settings import InvoicingSettings
from kassa.services import emails, environment_settings
from kassa.services.billing import documents
from kassa.services.context import Ctx
from kassa.services.portal import sessions
from kassa.services.serialize import iso_date
from kassa.store.job_sql import Job
from kassa.store.queries import get_row
from kassa.store.tables import emails as emails_table
from kassa.store.tables import customers, invoices, subscription_versions, subscriptions
from kassa.store.uow import UnitOfWork

CONSUMER = "customer_emails"
SEND_JOB = "send_customer_email"
# 1 min, 5 min, 25 min... capped at 6 h: about two days of attempts at a mail server that is down.
SEND_RETRY = RetryPolicy(max_attempts=12, initial=timedelta(minutes=1),
                         multiplier=5, cap=timedelta(hours=6))
PORTAL_LINK_SECONDS = 24 * 3600
NO_ADDRESS = "The customer has no email address: nothing was sent."


@dataclass(frozen=True)
class Kind:
    template: str  # the email template's key (a built-in)
    setting: str  # send_invoice_emails, or a field of customer_emails


KINDS: dict[str, Kind] = {
    "invoice.issued": Kind("invoice_issued", "send_invoice_emails"),
    "payment.succeeded": Kind("payment_receipt", "payment_receipt"),
    "payment.failed": Kind("payment_failed", "payment_failed"),
    "subscription.cancelation_scheduled": Kind("cancellation_scheduled",
                                               "cancellation_scheduled"),
    "subscription.ending_soon": Kind("renewal_notice", "renewal_notice"),
}


def _enabled(settings: InvoicingSettings, kind: Kind) -> bool:
    if kind.setting == "send_invoice_emails":
        return settings.send_invoice_emails
    return bool(getattr(settings.customer_emails, kind.setting))


def email_id(environment: str, event_id: str, template: str) -> str:
    """The id of the email ``event_id`` calls for: the same on every delivery of the event."""
    digest = hashlib.sha256(f"{environment}\0{event_id}\0{template}".encode()).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(PREFIXED_LENGTH):
        number, rest = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[rest])
    return "em_" + "".join(chars)


def consume(uow: UnitOfWork, events: Sequence[RowMapping]) -> list[dict[str, Any]]:
    """Outbox consumer: the customer emails a batch of events calls for, composed and queued
    (what it did, one ``customer_email.queued`` item each, for ``ran``)."""
    relevant = [e for e in events if e["type"] in KINDS]
    if not relevant:
        return []
    settings = environment_settings.invoicing(uow)
    wanted = [(e, KINDS[e["type"]]) for e in relevant if _enabled(settings, KINDS[e["type"]])]
    if not wanted:
        return []
    ids = [email_id(uow.environment, e["id"], kind.template) for e, kind in wanted]
    done = set(uow.conn.execute(select(emails_table.c.id).where(
        emails_table.c.environment == uow.environment, emails_table.c.id.in_(ids))).scalars())
    todo = [(e, kind, i) for (e, kind), i in zip(wanted, ids, strict=True) if i not in done]
    if not todo:
        return []
    snapshots = trigger_snapshots(uow.conn, uow.environment,
                                  [(e["type"], e["data"]) for e, _, _ in todo])
    contexts = step_contexts(uow.conn, uow.environment, snapshots)
    rows, jobs, ran = [], [], []
    templates: dict[str, Any] = {}
    billing = _billing_emails(uow, [(c.get("customer") or {}).get("id") for c in contexts])
    for (event, kind, the_id), context in zip(todo, contexts, strict=True):
        extra = _extra(uow, event, kind, context, billing)
        if extra is None:  # nothing to say (an ending that is no renewal)
            continue
        context = {**context, **extra}
        row = _compose(uow, event, kind, the_id, context, templates, billing)
        rows.append(row)
        if row["status"] == "queued":
            attach = event["data"]["id"] if kind.template == "invoice_issued" else None
            jobs.append(({"email_id": the_id, "attach_invoice": attach}, uow.now))
        ran.append({"type": "customer_email.queued", "consumer": CONSUMER,
                    "event_id": event["id"], "event_type": event["type"],
                    "email_id": the_id, "template": kind.template, "status": row["status"]})
    emails.insert_many(uow, rows)
    uow.enqueue_many(SEND_JOB, jobs, dedupe_keys=[j[0]["email_id"] for j in jobs])
    return ran


def _extra(uow: UnitOfWork, event: Mapping[str, Any], kind: Kind,
           context: Mapping[str, Any], billing: Mapping[str, str]) -> dict[str, Any] | None:
    """What a kind's template reads besides the automations' variables; None: no email."""
    data = event["data"]
    customer = context.get("customer") or {}
    if kind.template == "payment_failed":
        portal = {"url": ""}
        if customer.get("id") and (customer.get("email") or customer["id"] in billing):
            # a link only for an email that can be sent
            link = sessions.add_link(uow, customer_ref=customer["id"], by_alias=False,
                                     sections={},
                                     return_url=None, expires_in=PORTAL_LINK_SECONDS,
                                     now=utcnow())
            portal = {"url": link["url"], "expiresAt": link["expires_at"]}
        return {"portal": portal, "portalUrl": portal["url"]}
    if kind.template == "cancellation_scheduled":
        effective = str((data.get("cancellation") or {}).get("effective_at") or "")
        return {"cancellation": {"effectiveAt": effective, "effectiveDate": effective[:10],
                                 "reason": (data.get("cancellation") or {}).get("reason")}}
    if kind.template == "renewal_notice":
        return _renewal(uow, data, context)
    return {}


def _renewal(uow: UnitOfWork, data: Mapping[str, Any],
             context: Mapping[str, Any]) -> dict[str, Any] | None:
    """``renewal.*`` of an announced term end that a new term follows: when (``date``), until
    when (``termEnd``) and at what (``amount`` a month, the current items' recurring fixed
    charges, and ``currency``); None when the term does not renew (a scheduled cancellation, a
    fixed term without auto-renew: the cancellation email covers that)."""
    if not (context.get("subscription") or {}).get("renews") or not data.get("term_end"):
        return None
    row = uow.conn.execute(select(
        subscriptions.c.contract, subscriptions.c.renewal, subscriptions.c.currency,
        subscriptions.c.current_version_id,
    ).where(subscriptions.c.environment == uow.environment,
            subscriptions.c.id == data.get("id"))).first()
    if row is None:
        return None
    term_end = date.fromisoformat(str(data["term_end"]))
    following = renewal_at(row.contract, row.renewal or {}, term_end)
    mrr = uow.conn.execute(select(subscription_versions.c.mrr).where(
        subscription_versions.c.environment == uow.environment,
        subscription_versions.c.id == row.current_version_id)).scalar()
    return {"renewal": {
        "date": iso_date(term_end),
        "termEnd": iso_date(following.term_end) if following is not None else None,
        "amount": mrr if mrr else None, "currency": row.currency,
    }}


def _billing_emails(uow: UnitOfWork, customer_ids: Sequence[str | None]) -> dict[str, str]:
    """``{customer id: billing email}`` of those among ``customer_ids`` that have one."""
    wanted = sorted({c for c in customer_ids if c})
    if not wanted:
        return {}
    return {r.id: r.billing_email for r in uow.conn.execute(
        select(customers.c.id, customers.c.billing_email).where(
            customers.c.environment == uow.environment, customers.c.id.in_(wanted),
            customers.c.billing_email.is_not(None)))}


def _compose(uow: UnitOfWork, event: Mapping[str, Any], kind: Kind, the_id: str,
             context: Mapping[str, Any], templates: dict[str, Any],
             billing: Mapping[str, str]) -> dict[str, Any]:
    """The email's row: queued to the customer's billing email (else their email), or failed
    with the reason (no address, an address that is none, a template that does not render)."""
    source = {"event_id": event["id"], "event_type": event["type"]}
    customer = context.get("customer") or {}
    address = billing.get(customer.get("id") or "") or customer.get("email")
    try:
        if not address:
            raise _Skipped(NO_ADDRESS)
        row = emails.compose(uow, template_key=kind.template, context=context, to=address,
                             source=source, sources=templates)
    except (KassaError, _Skipped) as exc:
        row = emails.compose_failed(uow, template_key=kind.template, context=context,
                                    to=address, source=source, reason=str(exc),
                                    sources=templates)
    row["id"] = the_id
    return row


class _Skipped(Exception):
    pass


def send_job(ctx: Ctx, job: Job) -> JobResult:
    """The ``send_customer_email`` job: send the email (the invoice's PDF attached, the same as
    ``GET /invoices/{id}/pdf``), outside any transaction; its outcome is recorded at once, and a
    failure raises, so the job is retried (``SEND_RETRY``)."""
    the_id = job.payload["email_id"]
    with ctx.uow(read_only=True) as uow:
        row = get_row(uow.conn, emails_table, uow.environment, the_id, what="Email")
        invoice_id = job.payload.get("attach_invoice")
        number = None
        if invoice_id and row["status"] != "sent":
            number = uow.conn.execute(select(invoices.c.number).where(
                invoices.c.environment == uow.environment,
                invoices.c.id == invoice_id)).scalar()
    info = {"email_id": the_id, "template": row["template"]}
    if row["status"] == "sent":
        return JobResult(info={**info, "status": "sent"})
    attachments: tuple[Attachment, ...] = ()
    if invoice_id:
        attachments = (Attachment(f"{number or invoice_id}.pdf", "application/pdf",
                                  documents.invoice_pdf(ctx, invoice_id)),)
    outcome = emails.send(ctx, the_id, row, attachments=attachments)
    if outcome.status != "sent":
        raise ChannelError(outcome.error or "The email was not sent.")
    return JobResult(info={**info, "status": "sent"})
