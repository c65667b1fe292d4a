"""``Subscription`` and ``Version``: stored subscription and version rows, parsed once at the edge.

Both are immutable; a write returns a new object (``with_values`` with the written values). The
JSON documents (contract, billing, items, ...) keep their stored shape, so a view renders them as
stored; what the code reads of them is typed here (``contract_start``, ``first_billing_date``,
``resume_at``, ``pause_spans``, ``payment_terms``, ``commitment_end``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from functools import cached_property
from typing import Any, TypeVar

from kassa.domain.contracts import commitment_end, midnight, renews

Document = Mapping[str, Any]
T = TypeVar("T")


def _built(cls: type[T], values: dict[str, Any]) -> T:
    """An instance of the frozen dataclass ``cls`` holding ``values`` (every field, no more).

    Skips the generated ``__init__``, which sets each field through ``object.__setattr__``:
    a billing run parses thousands of rows of 30-odd fields. The classes here have no
    ``__post_init__`` and no slots, so the result is the same object ``cls(**values)`` makes.
    """
    instance = object.__new__(cls)
    instance.__dict__.update(values)
    return instance


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def _day(text: str | None) -> date | None:
    return None if not text else date.fromisoformat(text)


@dataclass(frozen=True)
class Version:
    """One version of a subscription's item set (draft, or published with its effective time)."""

    environment: str
    id: str
    subscription_id: str
    number: int
    status: str  # draft | published
    effective_at: datetime | None
    effective: str | None  # the timing keyword or date the version was asked for
    description: str | None
    plan_id: str | None
    items: tuple[Document, ...]
    proration: str
    source_version_id: str | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Version:
        """Parse a stored ``subscription_versions`` row."""
        get = dict(row).get  # one copy: a database row's own lookup is slower per key
        values = {name: get(name) for name in _VERSION_FIELDS}
        values["items"] = tuple(row["items"])
        return _built(cls, values)

    def with_values(self, values: Mapping[str, Any]) -> Version:
        """This version with stored ``values`` written (column name -> value)."""
        known = {name: values.get(name, getattr(self, name)) for name in _VERSION_FIELDS}
        known["items"] = tuple(values["items"]) if "items" in values else self.items
        return _built(Version, known)

    @property
    def published(self) -> bool:
        return self.status == "published"

    def order(self) -> tuple[datetime, int]:
        """Taking-over order: by effective time, the later number winning a tie."""
        return (self.effective_at, self.number)  # type: ignore[return-value]


_VERSION_FIELDS = tuple(f.name for f in fields(Version) if f.name != "items")


@dataclass(frozen=True)
class Subscription:
    """A subscription's stored state; ``None`` where the row has nothing yet."""

    environment: str
    id: str
    customer_id: str
    plan_id: str | None  # the plan it was created from, if any
    name: str | None
    currency: str  # what it bills in: its customer's currency
    # What its items' prices are in (its plan's currency); None: ``currency`` itself. Prices
    # without a currency option in ``currency`` are converted (``kassa.domain.fx``).
    price_currency: str | None
    status: str  # draft → (pending_approval) → active ⇄ paused → canceled
    contract: Document
    renewal: Document
    billing: Document
    discount: Document | None
    minimum_spend: Document | None
    maximum_spend: Document | None
    price_escalation: Document | None
    metadata: Document
    current_version_id: str | None
    term_start: date | None  # the current contract term [term_start, term_end)
    term_end: date | None
    billing_anchor: date | None
    cycle_start: date | None  # the latest billing cycle announced with subscription.started
    cancellation: Document | None
    cancel_at: datetime | None
    pause: Document | None
    pauses: tuple[Document, ...]
    activated_at: datetime | None
    canceled_at: datetime | None
    next_action_at: datetime | None  # the earliest scheduled transition due
    billed_through: datetime | None  # the last boundary billed
    next_billing_at: datetime | None  # the next boundary due
    ending_soon_for: datetime | None  # the end still to announce (subscription.ending_soon)
    ending_soon_sent: tuple[str, ...]  # the ends announced (RFC 3339)
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Subscription:
        """Parse a stored ``subscriptions`` row (or the mapping about to be inserted)."""
        get = dict(row).get  # one copy: a database row's own lookup is slower per key
        values = {name: get(name) for name in _SUBSCRIPTION_FIELDS}
        values.update(pauses=tuple(get("pauses") or ()),
                      ending_soon_sent=tuple(get("ending_soon_sent") or ()))
        return _built(cls, values)

    def with_values(self, values: Mapping[str, Any]) -> Subscription:
        """This subscription with stored ``values`` written (column name -> value)."""
        known = {name: values.get(name, getattr(self, name)) for name in _SUBSCRIPTION_FIELDS}
        for name in ("pauses", "ending_soon_sent"):
            known[name] = tuple(values[name] or ()) if name in values else getattr(self, name)
        return _built(Subscription, known)

    def as_row(self) -> dict[str, Any]:
        """The stored row (column name -> value)."""
        row = {name: getattr(self, name) for name in _SUBSCRIPTION_FIELDS}
        row.update(pauses=list(self.pauses), ending_soon_sent=list(self.ending_soon_sent))
        return row

    @property
    def prices_in(self) -> str:
        """The currency of its items' prices (``currency`` unless its plan's differs)."""
        return self.price_currency or self.currency

    @property
    def converts(self) -> bool:
        """Whether its prices are in another currency than the one it bills in."""
        return self.prices_in != self.currency

    @cached_property
    def contract_start(self) -> date | None:
        return _day(self.contract.get("start_date"))

    @property
    def period_type(self) -> str | None:
        """``fixed`` or ``monthly_rolling`` (the contract's current term)."""
        return self.contract.get("period_type")

    @property
    def renews(self) -> bool:
        """Whether the contract goes on at ``term_end`` (a rolling one always does)."""
        return renews(self.contract, self.renewal)

    @cached_property
    def first_billing_date(self) -> date | None:
        """The billing anchor asked for at creation (None: the contract start)."""
        return _day(self.billing.get("first_billing_date"))

    @cached_property
    def resume_at(self) -> datetime | None:
        """When the current pause ends by itself (None: not paused, or until resumed)."""
        resume_on = _day((self.pause or {}).get("resume_at"))
        return None if resume_on is None else midnight(resume_on)

    @property
    def commitment_end(self) -> datetime | None:
        """When the current term stops (see ``contracts.commitment_end``)."""
        return commitment_end(self.status, self.contract, self.term_end, self.cancel_at)

    @property
    def end_to_announce(self) -> datetime | None:
        """The commitment end that ``subscription.ending_soon`` is still to announce (None: no
        end, or it was announced already)."""
        end = self.commitment_end
        if end is None or end in {_instant(sent) for sent in self.ending_soon_sent}:
            return None
        return end

    @cached_property
    def pause_spans(self) -> tuple[tuple[datetime, datetime | None], ...]:
        """The recorded pauses as [start, end) instants (end None: still paused)."""
        return tuple((_instant(p["start"]), _instant(p.get("end"))) for p in self.pauses)  # type: ignore[misc]

    @property
    def payment_terms(self) -> str:
        return self.billing.get("payment_terms", "due_on_receipt")

    @property
    def auto_pay(self) -> bool:
        return bool(self.billing.get("auto_pay_invoices"))

    @property
    def auto_issue(self) -> bool:
        return bool(self.billing.get("auto_issue_invoices", True))

    @property
    def credits_unused_time(self) -> bool:
        return bool((self.cancellation or {}).get("credit_unused_time"))


_SUBSCRIPTION_FIELDS = tuple(f.name for f in fields(Subscription)
                             if f.name not in ("pauses", "ending_soon_sent"))


def published(versions: Sequence[Version]) -> list[Version]:
    return [v for v in versions if v.published]


def by_id(versions: Sequence[Version], version_id: str | None) -> Version | None:
    """The version ``version_id`` among ``versions`` (None: not there, or no id)."""
    return next((v for v in versions if v.id == version_id), None)


def replaced(versions: list[Version], version: Version) -> None:
    """Put ``version`` in ``versions`` in place of the one with its id (appended if new)."""
    for index, known in enumerate(versions):
        if known.id == version.id:
            versions[index] = version
            return
    versions.append(version)


def current_version(versions: Sequence[Version], now: datetime) -> Version | None:
    """The published version with the latest effective_at at or before ``now``.

    Before the contract starts (a future start date) nothing is in force yet; the earliest
    published version is then the current one, since it is the one that will apply.
    """
    upcoming = published(versions)
    live = [v for v in upcoming if v.effective_at <= now]  # type: ignore[operator]
    if live:
        return max(live, key=Version.order)
    return min(upcoming, key=Version.order) if upcoming else None


def pending_versions(versions: Sequence[Version], current: Version | None,
                     now: datetime) -> list[Version]:
    """Published versions that take over later, in the order they will."""
    return sorted(
        (v for v in published(versions)
         if v.effective_at > now and (current is None or v.id != current.id)),  # type: ignore[operator]
        key=Version.order,
    )
