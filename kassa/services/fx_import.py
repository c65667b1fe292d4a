"""``kassa fx import FILE``: the ECB's euro foreign exchange reference rates, as CSV.

The daily file (eurofxref.csv) and the historical one (eurofxref-hist.csv) share a shape: a
header ``Date, USD, JPY, ...`` and one row per day (the daily file has one), each rate the
amount of that currency one euro buys. The daily file writes dates as ``04 December 2026``, the
historical one as ``2026-12-04``; both may end rows with a comma, and the historical one writes
``N/A`` where a currency had no rate that day. Every value is read as a decimal string (never a
float). Columns of currencies no longer in use (the historical file's CYP, EEK, ...) are
skipped and named in the summary; a malformed row or rate stops the import naming its line,
before anything is written.

Rates are written a day at a time in batches, each its own transaction: re-running an import
writes nothing new (a day already there with another rate takes the file's).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from kassa.domain.currencies import is_currency
from kassa.domain.errors import InvalidRequest
from kassa.domain.fx import Rate, parse_rate
from kassa.services import fx
from kassa.services.context import Ctx

ECB_BASE = "EUR"
MISSING = {"", "N/A", "-"}


@dataclass
class Summary:
    """What an import did."""

    days: int = 0
    rates: int = 0
    inserted: int = 0
    updated: int = 0
    first: date | None = None
    last: date | None = None
    skipped_columns: list[str] = field(default_factory=list)


def _day(text: str, line: int) -> date:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d %B %Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise InvalidRequest(f"line {line}: {text!r} is not a date (2026-12-04 or 04 December 2026).",
                         field="Date")


def read_ecb(path: Path) -> tuple[list[tuple[date, list[Rate]]], list[str]]:
    """The file's days with their rates (EUR base), and the columns skipped; every problem an
    ``InvalidRequest`` naming its line."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows or not rows[0] or rows[0][0].strip().lower() != "date":
        raise InvalidRequest("line 1: expected the ECB header 'Date, USD, JPY, ...'.",
                             field="Date")
    header = [cell.strip().upper() for cell in rows[0]]
    columns: list[tuple[int, str]] = []
    skipped: list[str] = []
    for index, code in enumerate(header[1:], 1):
        if not code:
            continue
        if is_currency(code) and code != ECB_BASE:
            columns.append((index, code))
        else:
            skipped.append(code)
    days: list[tuple[date, list[Rate]]] = []
    seen: set[date] = set()
    for line, row in enumerate(rows[1:], 2):
        if not row or not any(cell.strip() for cell in row):
            continue
        day = _day(row[0], line)
        if day in seen:
            raise InvalidRequest(f"line {line}: {day.isoformat()} appears twice.", field="Date")
        seen.add(day)
        rates = []
        for index, code in columns:
            text = row[index].strip() if index < len(row) else ""
            if text.upper() in MISSING:
                continue
            try:
                rate = parse_rate(text, field=code)
            except InvalidRequest as exc:
                raise InvalidRequest(f"line {line}: {exc.detail}", field=code) from None
            rates.append(Rate(ECB_BASE, code, rate, day))
        days.append((day, rates))
    if not days:
        raise InvalidRequest("The file has no rates (only a header).", field="Date")
    return days, skipped


def _batches(days: list[tuple[date, list[Rate]]], size: int) -> Iterator[list[tuple[date, list[Rate]]]]:
    for start in range(0, len(days), size):
        yield days[start:start + size]


def import_ecb(ctx_of: Callable[[], Ctx], path: Path, *, days_per_batch: int = 50,
               on_progress: Callable[[int, int], None] | None = None) -> Summary:
    """Import the ECB file at ``path`` into the context's environment; ``on_progress(done,
    total)`` in days after each batch."""
    days, skipped = read_ecb(path)
    summary = Summary(skipped_columns=skipped, first=min(d for d, _ in days),
                      last=max(d for d, _ in days))
    for batch in _batches(sorted(days, key=lambda d: d[0]), days_per_batch):
        with ctx_of().uow() as uow:
            rates = [r for _, day_rates in batch for r in day_rates]
            inserted, updated = fx.upsert(uow, rates, "ecb")
            uow.commit()
        summary.days += len(batch)
        summary.rates += len(rates)
        summary.inserted += inserted
        summary.updated += updated
        if on_progress is not None:
            on_progress(summary.days, len(days))
    return summary
