from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from babel.core import get_global
from babel.numbers import get_currency_precision, get_territory_currencies

from kassa.domain.currencies import AS_OF, MINOR_UNITS, is_currency, minor_units
from kassa.domain.errors import InvalidRequest

ROOT = Path(__file__).resolve().parents[2]


def _babel_table(as_of: dt.date) -> dict[str, int]:
    codes = set()
    for territory in get_global("territory_currencies"):
        codes.update(get_territory_currencies(territory, as_of, tender=True))
    return {code: get_currency_precision(code) for code in codes}


def test_table_matches_babel_on_its_generation_date():
    assert _babel_table(dt.date.fromisoformat(AS_OF)) == MINOR_UNITS


def test_generated_file_is_what_the_script_writes():
    spec = importlib.util.spec_from_file_location(
        "gen_currencies", ROOT / "scripts/gen_currencies.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ROOT / "kassa/domain/currencies.py").read_text(encoding="utf-8")
    assert module.render(dt.date.fromisoformat(AS_OF)) == text


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
