"""The emails log: every email rendered for sending, then its outcome.

``compose`` renders a template into an ``emails`` row (``queued``) that the caller stores in its
unit of work (``insert_many``), so the email exists exactly when the step that asked for it
committed. ``send`` hands it to
the mailer with no transaction open and records ``sent`` or ``failed`` at once, in a transaction
of its own. An email already ``sent`` is never sent again, so a job run twice (a lease that ran
out, a worker that was killed) does not mail twice. A ``failed`` email may be sent again (a retry).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import formataddr, getaddresses
from typing import Any

from sqlalchemy import update

from kassa.channels import ChannelError
from kassa.channels.email import Attachment, EmailMessage
from kassa.domain.errors import InvalidRequest, KassaError
from kassa.ids import new_id
from kassa.services import email_templates
from kassa.services.context import Ctx
from kassa.services.notify import channels_of
from kassa.resources import renderer
from kassa.resources.emails import Email as EmailResponse, EmailDetail
from kassa.store.queries import ListQuery, Page, fetch_page, get_row, in_filter
from kassa.store.tables import emails
from kassa.store.uow import UnitOfWork

STATUSES = ("queued", "sent", "failed")
MAX_RECIPIENTS = 50

SORTABLE = {"created_at": emails.c.created_at, "sent_at": emails.c.sent_at}
FILTERS = {
    "id": in_filter(emails.c.id),
    "status": in_filter(emails.c.status),
    "template": in_filter(emails.c.template),
}


@dataclass(frozen=True)
class EmailOutcome:
    status: str  # sent | failed
    error: str | None


email_view = renderer(EmailResponse)
email_detail = renderer(EmailDetail)


def addresses(value: str | Sequence[str], field: str, *, required: bool) -> list[str]:
    """``"a@x.io, B <b@y.io>"`` or a list of them, as a list of ``Name <address>`` strings;
    InvalidRequest naming ``field`` for one that is not an address."""
    values = [value] if isinstance(value, str) else list(value)
    found = []
    for name, address in getaddresses([v for v in values if v and v.strip()]):
        if "@" not in address or address.startswith("@") or address.endswith("@"):
            raise InvalidRequest(f"{field} has {address or name!r}, not an email address.",
                                 field=field)
        found.append(formataddr((name, address)) if name else address)
    if required and not found:
        raise InvalidRequest(f"{field} names no email address.", field=field)
    if len(found) > MAX_RECIPIENTS:
        raise InvalidRequest(f"{field} has more than {MAX_RECIPIENTS} addresses.", field=field)
    return found


def compose(
    uow: UnitOfWork,
    *,
    template_key: str,
    context: Mapping[str, Any],
    to: str | Sequence[str],
    cc: str | Sequence[str] = (),
    source: Mapping[str, Any] | None = None,
    sources: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Render ``template_key`` with ``context`` into a ``queued`` email's row, not stored yet
    (the caller inserts it in its transaction, with others: ``insert_many``); ``sources`` as
    ``email_templates.render`` takes it. An unknown template or a bad address is an
    InvalidRequest naming ``template``, ``to`` or ``cc``."""
    recipients = addresses(to, "to", required=True)
    copies = addresses(cc, "cc", required=False)
    rendered = email_templates.render(uow.conn, uow.environment, template_key, context, sources)
    return {
        "environment": uow.environment,
        "id": new_id("em"),
        "status": "queued",
        "to_addresses": recipients,
        "cc_addresses": copies,
        "subject": rendered.subject,
        "template": template_key,
        "html": rendered.html,
        "text": rendered.text,
        "error": None,
        "message_id": None,
        "source": dict(source) if source is not None else None,
        "attempts": 0,
        "sent_at": None,
        "created_at": uow.now,
        "updated_at": uow.now,
    }


def compose_failed(
    uow: UnitOfWork,
    *,
    template_key: str,
    context: Mapping[str, Any],
    to: str | None,
    reason: str,
    source: Mapping[str, Any] | None = None,
    sources: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An email that cannot be sent (no address, one that is no address, a template that does
    not render), as a ``failed`` row saying why (``reason``), so the log shows it: rendered
    when the template renders, to ``to`` as given (nobody when there is none)."""
    try:
        rendered = email_templates.render(uow.conn, uow.environment, template_key, context,
                                          sources)
        subject, html, text = rendered.subject, rendered.html, rendered.text
    except KassaError:
        subject, html, text = f"({template_key})", "", ""
    return {
        "environment": uow.environment, "id": new_id("em"), "status": "failed",
        "to_addresses": [to] if to else [], "cc_addresses": [], "subject": subject,
        "template": template_key, "html": html, "text": text, "error": reason,
        "message_id": None, "source": dict(source) if source is not None else None,
        "attempts": 0, "sent_at": None, "created_at": uow.now, "updated_at": uow.now,
    }


def insert_many(uow: UnitOfWork, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store emails ``compose`` made, in one statement."""
    if rows:
        uow.conn.execute(emails.insert(), list(rows))


def _message_id(email_id: str, sender: str) -> str:
    domain = getaddresses([sender])[0][1].rpartition("@")[2] or "kassa.invalid"
    return f"<{email_id}@{domain}>"


def send(ctx: Ctx, email_id: str, row: Mapping[str, Any] | None = None, *,
         attachments: Sequence[Attachment] = ()) -> EmailOutcome:
    """Send email ``email_id`` (outside any transaction; ``row`` is the email when the caller
    holds it, so it is not read again) with ``attachments`` (an invoice's PDF), and record the
    outcome; an email already sent is not sent again."""
    if row is None:
        with ctx.uow(read_only=True) as uow:
            row = get_row(uow.conn, emails, uow.environment, email_id, what="Email")
    if row["status"] == "sent":
        return EmailOutcome("sent", None)
    channels = channels_of(ctx)
    message_id = row["message_id"] or _message_id(row["id"], channels.email_from)
    message = EmailMessage(
        to=tuple(row["to_addresses"]), cc=tuple(row["cc_addresses"]), subject=row["subject"],
        text=row["text"], html=row["html"], message_id=message_id, date=ctx.clock.now(),
        attachments=tuple(attachments),
    )
    try:
        channels.mailer.send(message)
        outcome = EmailOutcome("sent", None)
    except ChannelError as exc:
        outcome = EmailOutcome("failed", exc.reason)
    with ctx.uow() as uow:
        values: dict[str, Any] = {
            "status": outcome.status, "error": outcome.error, "message_id": message_id,
            "attempts": emails.c.attempts + 1, "updated_at": uow.now,
        }
        if outcome.status == "sent":
            values["sent_at"] = uow.now
        uow.conn.execute(
            update(emails)
            .where(emails.c.environment == uow.environment, emails.c.id == email_id,
                   emails.c.status != "sent")
            .values(**values)
        )
        uow.commit()
    return outcome


def get_email(ctx: Ctx, email_id: str) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        return email_detail(get_row(uow.conn, emails, uow.environment, email_id, what="Email"))


def list_emails(ctx: Ctx, query: ListQuery) -> Page:
    """Newest first. Filters: id, status, template."""
    with ctx.uow(read_only=True) as uow:
        page = fetch_page(uow.conn, emails, uow.environment, query,
                          sortable=SORTABLE, filters=FILTERS)
    return page.map(email_view)
