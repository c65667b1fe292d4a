"""Exchange rates: manual ones (``POST /fx-rates``), imported ones (``kassa fx import``,
``kassa.services.fx_import``), the list, and finding the conversion of a pair on a day for
billing (``Rates``; the arithmetic is ``kassa.domain.fx``).

Prices a subscription bills in another currency than they are in are converted at the rate of
the invoice date, and the rate is stored on the invoice (``fx``): a rate added later never
changes an invoice already billed; the next invoice uses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from kassa.domain.errors import Conflict, InvalidRequest
from kassa.domain.fx import Conversion, FxRateMissing, Rate, find, localized, needs_conversion
from kassa.domain.subscription import Subscription
from kassa.ids import new_id
from kassa.resources import renderer
from kassa.resources.fx import FxRate
from kassa.services import environment_settings
from kassa.services.common import list_objects
from kassa.services.context import Ctx
from kassa.store.queries import ListQuery, Page, in_filter
from kassa.store.tables import fx_rates
from kassa.store.uow import UnitOfWork

SORTABLE = {"created_at": fx_rates.c.created_at, "updated_at": fx_rates.c.updated_at,
            "valid_from": fx_rates.c.valid_from}
FILTERS = {"base": in_filter(fx_rates.c.base, str.upper),
           "quote": in_filter(fx_rates.c.quote, str.upper),
           "source": in_filter(fx_rates.c.source)}
view = renderer(FxRate)


def create_rate(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    """A manual rate; one for the same pair and day exists already: 409."""
    with ctx.uow() as uow:
        if _existing(uow.conn, uow.environment, data["base"], data["quote"], data["valid_from"]):
            raise Conflict(
                f"A {data['base']}/{data['quote']} rate valid from "
                f"{data['valid_from'].isoformat()} exists already; rates are never changed "
                f"(invoices keep the rate they were billed at): add one for another day.")
        row = {"environment": uow.environment, "id": new_id("fxr"), "base": data["base"],
               "quote": data["quote"], "rate": data["rate"], "valid_from": data["valid_from"],
               "source": "manual", "created_at": uow.now, "updated_at": uow.now}
        uow.conn.execute(insert(fx_rates), row)
        uow.commit()
    return view(row)


def list_rates(ctx: Ctx, query: ListQuery) -> Page:
    return list_objects(ctx, fx_rates, query, view=view, sortable=SORTABLE, filters=FILTERS)


def _existing(conn: Connection, environment: str, base: str, quote: str,
              valid_from: date) -> Mapping[str, Any] | None:
    return conn.execute(select(fx_rates).where(
        fx_rates.c.environment == environment, fx_rates.c.base == base,
        fx_rates.c.quote == quote, fx_rates.c.valid_from == valid_from)).mappings().first()


def upsert(uow: UnitOfWork, rates: Sequence[Rate], source: str) -> tuple[int, int]:
    """Write ``rates`` (an import's batch): new pairs and days inserted, a day already there
    given the imported rate; one query for what is stored, one statement per kind of write.
    ``(inserted, updated)``; unchanged rows count in neither."""
    if not rates:
        return 0, 0
    days = sorted({r.valid_from for r in rates})
    stored = {(row.base, row.quote, row.valid_from): row for row in uow.conn.execute(
        select(fx_rates.c.id, fx_rates.c.base, fx_rates.c.quote, fx_rates.c.valid_from,
               fx_rates.c.rate, fx_rates.c.source)
        .where(fx_rates.c.environment == uow.environment, fx_rates.c.valid_from >= days[0],
               fx_rates.c.valid_from <= days[-1]))}
    new, changed = [], []
    for r in rates:
        found = stored.get((r.base, r.quote, r.valid_from))
        if found is None:
            new.append({"environment": uow.environment, "id": new_id("fxr"), "base": r.base,
                        "quote": r.quote, "rate": r.rate, "valid_from": r.valid_from,
                        "source": source, "created_at": uow.now, "updated_at": uow.now})
        elif Decimal(found.rate) != r.rate or found.source != source:
            changed.append({"rid": found.id, "new_rate": r.rate})
    if new:
        uow.conn.execute(insert(fx_rates), new)
    if changed:
        uow.conn.execute(update(fx_rates).where(
            fx_rates.c.environment == uow.environment, fx_rates.c.id == bindparam("rid")
        ).values(rate=bindparam("new_rate"), source=source, updated_at=uow.now), changed)
    return len(new), len(changed)


# ------------------------------------------------------------------ finding a conversion


class Rates:
    """The conversions of one environment, read as they are asked for (one small query per
    pair and day; answers kept for the life of the object: one unit of work)."""

    def __init__(self, conn: Connection, environment: str, base_currency: str) -> None:
        self.conn = conn
        self.environment = environment
        self.base_currency = base_currency
        self._found: dict[tuple[str, str, date], Conversion] = {}
        self._newest: dict[tuple[str, str, date], Rate | None] = {}
        self._bases: list[str] | None = None

    @classmethod
    def of(cls, uow: UnitOfWork) -> Rates:
        return cls(uow.conn, uow.environment, environment_settings.base_currency(uow))

    def conversion(self, source: str, target: str, on: date) -> Conversion:
        """``source`` → ``target`` on ``on`` (``kassa.domain.fx.find``): ``FxRateMissing``
        when no rate, direct, inverted or crossed, is known."""
        key = (source, target, on)
        found = self._found.get(key)
        if found is None:
            pivots = [p for p in [self.base_currency, *self._pivots()] if p not in (source, target)]
            currencies = [source, target, *pivots]
            wanted = {(a, b) for a in currencies for b in currencies
                      if a != b and (source in (a, b) or target in (a, b))}
            rates = [r for pair in sorted(wanted) if (r := self._newest_of(*pair, on))]
            found = self._found[key] = find(rates, source, target, on, pivots)
        return found

    def _pivots(self) -> list[str]:
        if self._bases is None:
            self._bases = sorted(self.conn.execute(
                select(fx_rates.c.base).where(fx_rates.c.environment == self.environment)
                .distinct()).scalars())
        return self._bases

    def _newest_of(self, base: str, quote: str, on: date) -> Rate | None:
        key = (base, quote, on)
        if key not in self._newest:
            row = self.conn.execute(
                select(fx_rates.c.rate, fx_rates.c.valid_from).where(
                    fx_rates.c.environment == self.environment, fx_rates.c.quote == quote,
                    fx_rates.c.base == base, fx_rates.c.valid_from <= on)
                .order_by(fx_rates.c.valid_from.desc()).limit(1)).first()
            self._newest[key] = None if row is None else Rate(base, quote, Decimal(row.rate),
                                                              row.valid_from)
        return self._newest[key]


def priced_for(rates: Rates, items: Sequence[Mapping[str, Any]], source: str, target: str,
               on: date) -> tuple[list[dict[str, Any]], Conversion | None]:
    """``items`` (priced in ``source``) as they bill in ``target`` on ``on``, and the
    conversion used (None: every price had an option in ``target``, or nothing to convert)."""
    if source == target:
        return list(items), None
    conversion = rates.conversion(source, target, on) if needs_conversion(items, target) else None
    return localized(items, target, conversion), conversion


def billed_items(rates: Rates, sub: Subscription, items: Sequence[Mapping[str, Any]],
                 on: date) -> tuple[list[dict[str, Any]], Conversion | None]:
    """``sub``'s ``items`` as they bill in its currency on ``on`` (``priced_for``)."""
    return priced_for(rates, items, sub.prices_in, sub.currency, on)


def mrr_items(conn: Connection, sub: Subscription, items: Sequence[Mapping[str, Any]],
              on: date | None) -> list[dict[str, Any]]:
    """``items`` as a version's MRR counts them in ``sub``'s currency: at the newest rate as
    of ``on`` (None, or none by then: the newest rate known)."""
    rates = Rates(conn, sub.environment, sub.prices_in)
    try:
        return priced_for(rates, items, sub.prices_in, sub.currency, on or date.max)[0]
    except FxRateMissing:
        if on is None:
            raise
        return priced_for(rates, items, sub.prices_in, sub.currency, date.max)[0]


def check_convertible(uow: UnitOfWork, items: Sequence[Mapping[str, Any]], source: str,
                      target: str) -> None:
    """A subscription billing ``target`` from prices in ``source`` can convert those without a
    ``currency_options.<target>`` today: else a 422 naming ``currency``."""
    if source == target:
        return
    missing = needs_conversion(items, target)
    if not missing:
        return
    try:
        Rates.of(uow).conversion(source, target, uow.now.date())
    except InvalidRequest as exc:
        raise InvalidRequest(
            f"The customer is billed in {target} and the prices are in {source}: "
            f"{missing[0]} has no currency_options.{target} and {exc.detail[0].lower()}"
            f"{exc.detail[1:]}", field="currency") from None
