"""``kassa events import FILE.csv``: stream a CSV of usage events through the ingestion service.

Columns (header row required, any order): ``account``, ``event_name``, ``unique_id``, and
optionally ``timestamp`` (RFC 3339; empty = now) and ``properties`` (a JSON object; empty = none).
The file is read as a stream and sent in batches through ``events.ingest_events``, the path
``POST /events`` takes, so memory stays flat for a million rows and the rules are the same.

Re-running is safe: rows already imported come back as duplicates. Rows that fail are written,
with their line number and the reason, to a failed-rows CSV with the input's columns plus
``line`` and ``reason``; the importer ignores those two columns, so the fixed file can be
imported as it is. That file never replaces an existing one (which may be half fixed): when its
name is taken, ``FILE.failed.2.csv``, ``.3`` and so on are used, unless ``overwrite``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from kassa.domain.errors import InvalidRequest
from kassa.domain.usage_events import MAX_EVENTS_PER_REQUEST
from kassa.services.context import Ctx
from kassa.services.usage.ingest import DUPLICATE, FAILED, INGESTED, UPDATED, ingest_events
from kassa.services.exact_json import loads_exact

REQUIRED = ("account", "event_name", "unique_id")
OPTIONAL = ("timestamp", "properties")
IGNORED = ("line", "reason")  # the extra columns of a failed-rows file


@dataclass
class ImportSummary:
    rows: int = 0
    ingested: int = 0
    duplicates: int = 0
    updated: int = 0
    failed: int = 0
    failed_path: Path | None = None


Progress = Callable[[int, ImportSummary], None]
# (line, raw row, the row as an event or None, why it cannot be one or None)
_Row = tuple[int, list[str], dict[str, Any] | None, str | None]


def default_failed_path(path: Path) -> Path:
    return path.with_name(path.stem + ".failed.csv")


def _create_numbered(path: Path) -> TextIO:
    """Create PATH, or the first of PATH.2, PATH.3... (before the suffix) that does not exist."""
    candidate, n = path, 1
    while True:
        try:
            return candidate.open("x", encoding="utf-8", newline="")
        except FileExistsError:
            n += 1
            candidate = path.with_name(f"{path.stem}.{n}{path.suffix}")


class _Columns:
    """Where each known column sits in a row."""

    def __init__(self, header: list[str]) -> None:
        names = [h.strip() for h in header]
        unknown = [n for n in names if n not in REQUIRED + OPTIONAL + IGNORED]
        if unknown:
            raise InvalidRequest(
                f"Unknown column {unknown[0]!r}; columns are account, event_name, unique_id, "
                "timestamp, properties.",
                field="header",
            )
        missing = [n for n in REQUIRED if n not in names]
        if missing:
            raise InvalidRequest(f"Missing column {missing[0]!r}.", field="header")
        if len(set(names)) != len(names):
            raise InvalidRequest("A column appears twice in the header.", field="header")
        self.width = len(names)
        self.index = {n: i for i, n in enumerate(names)}
        self.data = [n for n in names if n not in IGNORED]

    def event(self, row: list[str]) -> dict[str, Any]:
        """The row as an API event; raises ValueError for a row that cannot be one."""
        if len(row) != self.width:
            raise ValueError(f"expected {self.width} columns, got {len(row)}")
        ix = self.index
        event: dict[str, Any] = {n: row[ix[n]] for n in REQUIRED}
        if "timestamp" in ix and row[ix["timestamp"]].strip():
            event["timestamp"] = row[ix["timestamp"]].strip()
        if "properties" in ix and row[ix["properties"]].strip():
            try:
                event["properties"] = loads_exact(row[ix["properties"]])
            except ValueError as exc:
                raise ValueError(f"properties: not valid JSON ({exc})") from None
        return event

    def data_values(self, row: list[str]) -> list[str]:
        padded = (row + [""] * self.width)[: self.width]
        return [padded[self.index[n]] for n in self.data]


class _FailedRows:
    """The failed-rows CSV, created at the first failure; ``path`` is where it went."""

    def __init__(self, path: Path, columns: _Columns, overwrite: bool) -> None:
        self.path = path
        self.columns = columns
        self.overwrite = overwrite
        self._file: TextIO | None = None
        self._writer: Any = None

    def write(self, line: int, row: list[str], reason: str) -> None:
        if self._writer is None:
            if self.overwrite:
                self._file = self.path.open("w", encoding="utf-8", newline="")
            else:
                self._file = _create_numbered(self.path)
                self.path = Path(self._file.name)
            self._writer = csv.writer(self._file, lineterminator="\n")
            self._writer.writerow([*self.columns.data, "line", "reason"])
        self._writer.writerow([*self.columns.data_values(row), line, reason])

    def close(self) -> bool:
        """Close the file; True when rows were written."""
        if self._file is not None:
            self._file.close()
            return True
        return False


def import_csv(
    new_ctx: Callable[[], Ctx],
    path: Path,
    *,
    failed_path: Path | None = None,
    batch_size: int = MAX_EVENTS_PER_REQUEST,
    upsert: bool = False,
    overwrite: bool = False,
    on_progress: Progress | None = None,
) -> ImportSummary:
    """Import ``path``; ``new_ctx`` gives a fresh context per batch (the clock may move).

    With ``overwrite`` the run owns ``failed_path``: replaced when rows fail, removed when none do.
    """
    if not 1 <= batch_size <= MAX_EVENTS_PER_REQUEST:
        raise InvalidRequest(f"The batch size must be 1-{MAX_EVENTS_PER_REQUEST}.", field="batch")
    failed_path = failed_path or default_failed_path(path)
    summary = ImportSummary()
    with path.open("rb") as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        try:
            header = next(reader, None)
            if header is None:
                raise InvalidRequest("The file is empty; it needs a header row.", field="header")
            columns = _Columns(header)
            failed = _FailedRows(failed_path, columns, overwrite)
            batch: list[_Row] = []
            try:
                for row in reader:
                    if not row:
                        continue
                    summary.rows += 1
                    try:
                        batch.append((reader.line_num, row, columns.event(row), None))
                    except ValueError as exc:
                        batch.append((reader.line_num, row, None, str(exc)))
                    if len(batch) >= batch_size:
                        _flush(new_ctx(), batch, failed, summary, upsert)
                        if on_progress:
                            on_progress(binary.tell(), summary)
                _flush(new_ctx(), batch, failed, summary, upsert)
            finally:
                wrote = failed.close()
        except UnicodeDecodeError as exc:
            raise InvalidRequest(
                f"The file is not UTF-8 text near line {reader.line_num + 1} ({exc.reason}).",
                field="file",
            ) from None
    if wrote:
        summary.failed_path = failed.path
    elif overwrite and failed_path.exists():  # a failed-rows file from an earlier run is stale
        failed_path.unlink()
    if on_progress:
        on_progress(path.stat().st_size, summary)
    return summary


def _flush(
    ctx: Ctx, batch: list[_Row], failed: _FailedRows, summary: ImportSummary, upsert: bool
) -> None:
    """Ingest the batch's events; record every row's outcome, failures in line order."""
    events = [event for _, _, event, _ in batch if event is not None]
    if events:
        result = ingest_events(ctx, events, upsert=upsert)
        outcomes = iter(zip(result.outcomes, result.reasons, strict=True))
    for line, row, event, problem in batch:
        if event is not None:
            outcome, problem = next(outcomes)
            if outcome == INGESTED:
                summary.ingested += 1
            elif outcome == DUPLICATE:
                summary.duplicates += 1
            elif outcome == UPDATED:
                summary.updated += 1
            if outcome != FAILED:
                continue
        summary.failed += 1
        failed.write(line, row, problem or "failed")
    batch.clear()
