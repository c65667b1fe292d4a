from __future__ import annotations

import datetime as dt
import importlib.util
import re
from pathlib import Path

import pytest

from kassa.domain import currencies
from kassa.domain.currencies import MINOR_UNITS, is_currency, minor_units
from kassa.domain.errors import InvalidRequest

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_currencies", ROOT / "scripts/gen_currencies.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The table is checked against its own record, never against the Babel that happens to be
# installed: `make check-currencies` does that, on purpose, when Babel is moved.


def test_table_matches_its_recorded_fingerprint():
    assert _generator().table_digest(MINOR_UNITS) == currencies.TABLE_SHA256


def test_a_hand_edited_row_breaks_the_fingerprint():
    edited = dict(MINOR_UNITS, USD=3)
    assert _generator().table_digest(edited) != currencies.TABLE_SHA256


def test_file_is_what_the_script_writes_for_its_recorded_source():
    match = re.fullmatch(r"Babel (\S+) \(CLDR (\S+)\)", currencies.SOURCE)
    assert match, currencies.SOURCE
    as_of = dt.date.fromisoformat(currencies.AS_OF)
    text = (ROOT / "kassa/domain/currencies.py").read_text(encoding="utf-8")
    assert _generator().render_table(MINOR_UNITS, match.groups(), as_of) == text


def test_recorded_babel_is_the_one_the_lock_installs():
    """A `make lock` that moved Babel fails here until the table is regenerated from it."""
    babel = currencies.SOURCE.split()[1]
    lock = (ROOT / "requirements/test.txt").read_text(encoding="utf-8")
    assert re.search(rf"^babel=={re.escape(babel)} ", lock, re.MULTILINE), babel


def test_differences_name_every_change():
    lines = _generator().differences({"USD": 2, "HUF": 2, "BGN": 2}, {"USD": 2, "HUF": 0, "EUR": 2})
    assert lines == ["  + EUR: 2", "  - BGN: 2", "  ~ HUF: 2 -> 0"]


@pytest.mark.parametrize(
    ("code", "digits"),
    [
        ("USD", 2),
        ("EUR", 2),
        ("GBP", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("OMR", 3),
    ],
)
def test_known_minor_units(code, digits):
    assert minor_units(code) == digits
    assert is_currency(code)


@pytest.mark.parametrize("code", ["usd", "XXX", "XTS", "HRK", "", "US", "DEM"])
def test_codes_not_in_use_are_not_currencies(code):
    assert not is_currency(code)
    with pytest.raises(InvalidRequest, match=repr(code)):
        minor_units(code)


def test_non_strings_are_not_currencies():
    assert not is_currency(None)  # type: ignore[arg-type]
    assert not is_currency(["USD"])  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest):
        minor_units(["USD"])  # type: ignore[arg-type]


def test_table_keys_are_iso_shaped():
    assert len(MINOR_UNITS) > 140
    assert all(len(c) == 3 and c.isascii() and c.isupper() for c in MINOR_UNITS)
    assert set(MINOR_UNITS.values()) <= {0, 2, 3, 4}
