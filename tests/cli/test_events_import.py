"""kassa events import: streaming CSV import, failed-rows file, safe re-runs."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from kassa.domain.errors import InvalidRequest
from kassa.services.usage.event_import import import_csv
from tests.usage_helpers import customer, freeze, metric, value

JULY = ("2026-07-01T00:00:00Z", "2026-08-01T00:00:00Z")
HEADER = "account,event_name,unique_id,timestamp,properties\n"
GOOD_AND_BAD = HEADER + (
    'acme,api,r1,2026-07-01T00:00:00Z,"{""n"": 0.1}"\n'
    "acme,api,r2,2026-07-02T00:00:00Z,\n"
    "acme,api,,2026-07-02T00:00:00Z,\n"
    "acme,api,r3,tomorrow-ish,\n"
    "acme,api,r4,2026-07-03T00:00:00Z,{broken\n"
    "acme,api,r5\n"
    '\nacme,api,r1,2026-07-09T00:00:00Z,"{""n"": 5}"\n'
)


def _import(kassa, path: Path, **kw):
    return import_csv(lambda: kassa.ctx("sandbox"), path, **kw)


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture
def acme(kassa, api) -> str:
    freeze(kassa)
    return customer(api, "Acme", ["acme"])


def test_import_reports_every_row_and_reruns_safely(kassa, api, acme, tmp_path) -> None:
    source = tmp_path / "usage.csv"
    source.write_text(GOOD_AND_BAD)
    total = metric(api, "sum", "n")
    summary = _import(kassa, source, batch_size=2)
    assert (summary.rows, summary.ingested, summary.duplicates, summary.failed) == (7, 2, 1, 4)
    assert summary.failed_path == tmp_path / "usage.failed.csv"
    assert _rows(summary.failed_path) == [
        ["account", "event_name", "unique_id", "timestamp", "properties", "line", "reason"],
        ["acme", "api", "", "2026-07-02T00:00:00Z", "", "4", "unique_id: must be 1-255 characters"],
        ["acme", "api", "r3", "tomorrow-ish", "", "5",
         "timestamp: must be an RFC 3339 date-time such as 2026-07-01T12:00:00Z"],
        ["acme", "api", "r4", "2026-07-03T00:00:00Z", "{broken", "6",
         "properties: not valid JSON (Expecting property name enclosed in double quotes at line "
         "1 column 2)"],
        ["acme", "api", "r5", "", "", "7", "expected 5 columns, got 3"],
    ]
    assert value(kassa, total, acme, *JULY) == Decimal("0.1")  # r1's first copy, exactly

    again = _import(kassa, source)
    assert (again.ingested, again.duplicates, again.failed) == (0, 3, 4)
    assert again.failed_path == tmp_path / "usage.failed.2.csv"  # the first one is kept
    assert value(kassa, total, acme, *JULY) == Decimal("0.1")

    # Fix the failed rows in place and import that file as it is: line/reason are ignored.
    fixed = summary.failed_path.read_text().replace("tomorrow-ish", "2026-07-04T00:00:00Z")
    fixed = fixed.replace(",,2026-07-02", ",r6,2026-07-02").replace("{broken", '"{""n"": 2}"')
    fixed = fixed.replace("r5,,,7,expected", "r5,2026-07-05T00:00:00Z,,7,expected")
    summary.failed_path.write_text(fixed)
    retry = _import(kassa, summary.failed_path)
    assert (retry.ingested, retry.failed, retry.failed_path) == (4, 0, None)
    assert value(kassa, total, acme, *JULY) == Decimal("2.1")
    # The first file's failed-rows file was consumed; a clean run leaves no stale one behind.
    assert not (tmp_path / "usage.failed.failed.csv").exists()


def test_the_failed_rows_file_ends_lines_with_newline_only(kassa, acme, tmp_path) -> None:
    source = tmp_path / "usage.csv"
    source.write_text(GOOD_AND_BAD)
    written = _import(kassa, source).failed_path.read_bytes()
    assert b"\r" not in written and written.count(b"\n") == 5  # the header and 4 rows
    assert written.startswith(b"account,event_name,unique_id,timestamp,properties,line,reason\n")


def test_a_rerun_never_replaces_a_failed_file_without_overwrite(kassa, acme, tmp_path) -> None:
    source = tmp_path / "u.csv"
    source.write_text(HEADER + "acme,api,z1,2026-07-01T00:00:00Z,\nacme,api,z2,bad,\n")
    first = _import(kassa, source).failed_path
    assert first == tmp_path / "u.failed.csv"
    first.write_bytes(first.read_bytes().replace(b"bad", b"being fixed"))
    kept = first.read_bytes()
    assert _import(kassa, source).failed_path == tmp_path / "u.failed.2.csv"
    assert _import(kassa, source).failed_path == tmp_path / "u.failed.3.csv"
    assert first.read_bytes() == kept
    assert _rows(tmp_path / "u.failed.3.csv")[1][:4] == ["acme", "api", "z2", "bad"]
    # A name given with --failed-file is numbered the same way.
    named = tmp_path / "fix-me.csv"
    assert _import(kassa, source, failed_path=named).failed_path == named
    assert _import(kassa, source, failed_path=named).failed_path == tmp_path / "fix-me.2.csv"
    # A run without failures leaves every earlier file alone.
    source.write_text(HEADER + "acme,api,z1,2026-07-01T00:00:00Z,\n")
    assert _import(kassa, source).failed_path is None and first.read_bytes() == kept


def test_overwrite_replaces_the_failed_file(kassa, acme, tmp_path) -> None:
    source = tmp_path / "u.csv"
    source.write_text(HEADER + "acme,api,z1,2026-07-01T00:00:00Z,\nacme,api,z2,bad,\n")
    first = _import(kassa, source).failed_path
    first.write_text("stale\n")
    assert _import(kassa, source, overwrite=True).failed_path == first
    assert _rows(first)[1][:4] == ["acme", "api", "z2", "bad"]
    assert not (tmp_path / "u.failed.2.csv").exists()
    # With --overwrite the run owns the file: a clean run removes the stale one.
    source.write_text(HEADER + "acme,api,z1,2026-07-01T00:00:00Z,\n")
    assert _import(kassa, source, overwrite=True).failed == 0 and not first.exists()


def test_streams_many_batches(kassa, api, acme, tmp_path) -> None:
    source = tmp_path / "big.csv"
    with source.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["unique_id", "account", "event_name", "properties"])  # any column order
        for i in range(5500):
            writer.writerow([f"b{i % 5000}", "acme", "api", f'{{"n": {i % 5000}}}'])
    progress: list[int] = []
    summary = _import(kassa, source, on_progress=lambda done, s: progress.append(done))
    assert (summary.rows, summary.ingested, summary.duplicates, summary.failed) == (5500, 5000,
                                                                                    500, 0)
    assert progress == sorted(progress) and progress[-1] == source.stat().st_size
    assert len(progress) == 6  # one per batch of 1000, and the end
    now = ("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z")  # no timestamp column: "now"
    assert value(kassa, metric(api, "sum", "n"), acme, *now) == Decimal(sum(range(5000)))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "The file is empty; it needs a header row."),
        ("account,event_name\n", "Missing column 'unique_id'."),
        ("account,event_name,unique_id,colour\n", "Unknown column 'colour'; columns are account, "
                                                  "event_name, unique_id, timestamp, properties."),
        ("account,event_name,unique_id,account\n", "A column appears twice in the header."),
    ],
)
def test_bad_files(kassa, tmp_path, content, message) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(content)
    with pytest.raises(InvalidRequest) as info:
        _import(kassa, source)
    assert info.value.detail == message


def test_the_command(kassa, api, acme, database_url, tmp_path) -> None:
    source = tmp_path / "usage.csv"
    source.write_text(GOOD_AND_BAD)
    env = {**os.environ, "KASSA_DATABASE_URL": database_url}
    cmd = [sys.executable, "-m", "kassa.cli", "events", "import", str(source),
           "--environment", "sandbox"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stdout == (
        "7 rows: 2 ingested, 1 duplicate, 0 updated, 4 failed\n"
        f"Failed rows and their reasons: {tmp_path / 'usage.failed.csv'}\n"
    )
    assert "usage.csv" in done.stderr  # the progress bar
    kept = (tmp_path / "usage.failed.csv").read_bytes()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stdout.splitlines()[1:] == [
        f"Failed rows and their reasons: {tmp_path / 'usage.failed.2.csv'}",
        "(usage.failed.csv is kept: --overwrite replaces it)",
    ]
    assert (tmp_path / "usage.failed.csv").read_bytes() == kept
    (tmp_path / "usage.failed.csv").write_text("stale\n")
    done = subprocess.run([*cmd, "--overwrite"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1 and done.stdout.splitlines()[1:] == [
        f"Failed rows and their reasons: {tmp_path / 'usage.failed.csv'}"]
    assert (tmp_path / "usage.failed.csv").read_bytes() != b"stale\n"
    source.write_text(HEADER + "acme,api,ok1,2026-07-05T00:00:00Z,\n")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == (
        "1 rows: 1 ingested, 0 duplicate, 0 updated, 0 failed\n")
    source.write_text("colour\n")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Unknown column 'colour'" in done.stderr
