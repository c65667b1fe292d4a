"""``render(Model, row, **extra)``: each field converted by its annotation, in the model's order."""

from __future__ import annotations

import ast
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import Field

from kassa.resources import render, renderer
from kassa.resources.fields import (
    DateString,
    DecimalString,
    From,
    ResponseSchema,
    Stored,
    Timestamp,
    TimestampText,
)

RESOURCES = Path(__file__).resolve().parents[2] / "kassa" / "resources"
AT = datetime(2026, 7, 1, 12, 30, tzinfo=UTC)


class Line(ResponseSchema):
    amount: DecimalString
    day: DateString | None


class Thing(ResponseSchema):
    id: str
    amount: DecimalString
    tax_rate: DecimalString | None
    enabled: bool
    tags: list[str]
    metadata: dict[str, Any]
    renewal: dict[str, Any] | None
    lines: list[Line]
    first: Line | None
    stored: Annotated[list[Line], Stored()]
    balance: Annotated[DecimalString, From("raw_balance")]
    from_: Timestamp = Field(alias="from")
    seen_at: TimestampText | None
    note: str | None


def _row(**changes: Any) -> dict[str, Any]:
    row = {
        "id": "thg_1", "amount": Decimal("10.50"), "tax_rate": None, "enabled": 1,
        "tags": ("a", "b"), "metadata": {"k": 1}, "renewal": None,
        "lines": [{"amount": Decimal("1E+1"), "day": date(2026, 7, 1)}],
        "first": {"amount": Decimal("-0.5"), "day": None},
        "stored": [{"amount": "3.00", "day": "2026-07-01"}], "raw_balance": Decimal("7"),
        "from": AT, "seen_at": AT.astimezone(timezone(timedelta(hours=2))) + timedelta(
            microseconds=5), "note": "x",
    }
    return {**row, **changes}


def test_each_field_is_converted_by_its_annotation_in_the_model_order() -> None:
    row = _row()
    out = render(Thing, row)
    assert out == {
        "id": "thg_1", "amount": "10.50", "tax_rate": None, "enabled": True, "tags": ["a", "b"],
        "metadata": {"k": 1}, "renewal": None, "lines": [{"amount": "10", "day": "2026-07-01"}],
        "first": {"amount": "-0.5", "day": None},
        "stored": [{"amount": "3.00", "day": "2026-07-01"}], "balance": "7",
        "from": "2026-07-01T12:30:00Z", "seen_at": "2026-07-01T12:30:00.000005Z", "note": "x",
    }
    assert list(out) == [field.alias or name for name, field in Thing.model_fields.items()]
    assert out["enabled"] is True
    assert out["metadata"] is not row["metadata"]  # copies: the caller may change its row
    assert out["stored"] is not row["stored"]


def test_a_null_optional_container_stays_null_and_a_set_one_is_copied() -> None:
    out = render(Thing, _row(renewal={"term": 12}, first=None, tax_rate=Decimal("20.00")))
    assert (out["renewal"], out["first"], out["tax_rate"]) == ({"term": 12}, None, "20.00")


def test_extra_fields_take_their_place_in_the_model_order() -> None:
    out = render(Thing, _row(), amount="computed", note="given")
    assert (out["amount"], out["note"]) == ("computed", "given")
    assert list(out) == list(render(Thing, _row()))


def test_an_extra_name_the_model_does_not_declare_is_refused() -> None:
    with pytest.raises(TypeError, match="Thing has no field nope"):
        render(Thing, _row(), nope=1)


def test_renderer_is_render_bound_to_a_model() -> None:
    assert renderer(Thing)(_row()) == render(Thing, _row())


def _foreign_imports(path: Path) -> list[str]:
    # kassa.clock: the instant format (rfc3339) lives with the clocks, standard library only.
    allowed = ("kassa.domain", "kassa.resources", "kassa.clock", "pydantic")
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
        found += [f"{path.name} imports {name}" for name in names
                  if not name.startswith(allowed)
                  and name.split(".")[0] not in sys.stdlib_module_names]
    return found


def test_resources_depend_on_pydantic_the_domain_and_the_clock_only() -> None:
    files = sorted(RESOURCES.glob("*.py"))
    assert len(files) > 10
    assert [bad for path in files for bad in _foreign_imports(path)] == []
