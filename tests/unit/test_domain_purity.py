"""No binary floating point in kassa.domain: money is Decimal end to end.

(The import rule, standard library and kassa.domain only, is checked in test_layering.py.)
"""

from __future__ import annotations

from pathlib import Path

import kassa.domain

DOMAIN = Path(kassa.domain.__file__).parent


def float_calls(path: Path) -> list[str]:
    """``file:line`` of every ``float(`` in ``path``."""
    return [
        f"{path.name}:{number}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "float(" in line
    ]


def test_no_float_calls_in_the_domain():
    sources = sorted(DOMAIN.rglob("*.py"))
    assert len(sources) >= 10
    assert [hit for path in sources for hit in float_calls(path)] == []


def test_the_check_would_catch_a_float(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from decimal import Decimal\nx = float('1.5')\n")
    assert float_calls(bad) == ["bad.py:2"]
