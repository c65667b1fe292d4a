"""kassa fx import: the ECB's daily and historical CSV files, as a user runs the command."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.cli.test_cli import run
from tests.scenarios.seed_catalog import ok

DAILY = "Date, USD, JPY, BGN, KWD, \n04 December 2026, 1.0812, 162.35, 1.9558, 0.3321, \n"
HISTORICAL = (
    "Date,USD,JPY,CYP,KWD,\n"
    "2026-12-04,1.0812,162.35,N/A,0.3321,\n"
    "2026-12-03,1.0790,161.90,N/A,N/A,\n"
    "2026-12-02,1.0801,161.20,N/A,0.3318,\n"
)


def rates(api: TestClient, **filters: str) -> list[tuple[str, str, str, str, str]]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    page = ok(api.get(f"/fx-rates?limit=100&sort=valid_from:asc&{query}"))
    return [(r["base"], r["quote"], r["rate"], r["valid_from"], r["source"]) for r in page["data"]]


def test_the_daily_file_then_the_historical_one(kassa, api: TestClient, database_url: str,
                                                tmp_path: Path) -> None:
    daily = tmp_path / "eurofxref.csv"
    daily.write_text(DAILY)
    done = run(["fx", "import", str(daily), "--environment", "sandbox"], database_url)
    assert done.returncode == 0, done.stderr
    assert "1 days (2026-12-04), 4 EUR rates: 4 new, 0 updated" in done.stdout
    assert set(rates(api, quote="USD,JPY")) == {
        ("EUR", "USD", "1.0812", "2026-12-04", "ecb"), ("EUR", "JPY", "162.35", "2026-12-04", "ecb")}
    assert ok(api.get("/fx-rates"))["pagination"]["total"] == 4
    history = tmp_path / "eurofxref-hist.csv"
    history.write_text(HISTORICAL)
    done = run(["fx", "import", str(history), "--environment", "sandbox"], database_url)
    assert done.returncode == 0, done.stderr
    # 3 days: USD and JPY each day, KWD on two (N/A skipped), 12-04's three stored already;
    # CYP is not a currency in use.
    assert "3 days (2026-12-02 to 2026-12-04), 8 EUR rates: 5 new, 0 updated" in done.stdout
    assert "Skipped (not a currency in use): CYP" in done.stdout
    assert [r[2:4] for r in rates(api, quote="KWD")] == [("0.3318", "2026-12-02"),
                                                         ("0.3321", "2026-12-04")]
    again = run(["fx", "import", str(history), "--environment", "sandbox"], database_url)
    assert "8 EUR rates: 0 new, 0 updated" in again.stdout
    assert ok(api.get("/fx-rates"))["pagination"]["total"] == 9


def test_a_bad_file_names_its_line_and_writes_nothing(kassa, api: TestClient, database_url: str,
                                                      tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("Date, USD, JPY\n2026-12-04, 1.0812, 162.35\n2026-12-05, 1.08, -3\n")
    done = run(["fx", "import", str(bad), "--environment", "sandbox"], database_url)
    assert done.returncode == 2
    assert "line 3: JPY must be greater than 0." in done.stderr
    assert ok(api.get("/fx-rates"))["pagination"]["total"] == 0
    for text, message in (("Day, USD\n", "line 1: expected the ECB header"),
                          ("Date, USD\nyesterday, 1.1\n", "line 2: 'yesterday' is not a date"),
                          ("Date, USD\n2026-12-04, 1,1\n2026-12-04, 1.2\n", "appears twice"),
                          ("Date, USD\n", "The file has no rates")):
        bad.write_text(text)
        done = run(["fx", "import", str(bad), "--environment", "sandbox"], database_url)
        assert done.returncode == 2 and message in done.stderr, (text, done.stderr)
