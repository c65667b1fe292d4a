"""The line of a field path in a YAML or JSON definition (kassa.automations.source_lines), as the
dashboard's editor shows a refused definition's errors; and the definition checks it locates."""

from __future__ import annotations

import pytest

from kassa.automations.parsing import parse
from kassa.automations.source_lines import (
    LineError,
    SourceInvalid,
    dump,
    line_of,
    load,
    located,
    path_parts,
)
from kassa.automations.templates import template_definition
from kassa.domain.errors import InvalidRequest
from tests.documents import QUICK_START

def test_path_parts() -> None:
    assert path_parts("steps[1].then[0].action") == ["steps", 1, "then", 0, "action"]
    assert path_parts("name") == ["name"]
    assert path_parts("") == []


@pytest.mark.parametrize(("path", "line"), [
    ("name", 1), ("trigger", 2), ("trigger.event", 4), ("steps", 6), ("steps[0]", 7),
    ("steps[0].if", 8), ("steps[0].then[0]", 10), ("steps[0].then[0].action", 11),
    ("steps[0].then[0].to", 13), ("steps[1].duration", 16),
    # What the source lacks is shown at its nearest written parent.
    ("steps[1].until", 15), ("steps[5].type", 6), ("errorHandling.retries", None),
])
def test_line_of_a_yaml_path(path: str, line: int | None) -> None:
    assert line_of(QUICK_START, path) == line


def test_line_of_a_json_path() -> None:
    source = '{\n  "name": "X",\n  "trigger": {"type": "event",\n    "event": "nope"},\n' \
             '  "steps": [\n    {"type": "stop"}\n  ]\n}\n'
    assert line_of(source, "trigger.event") == 4
    assert line_of(source, "steps[0].type") == 6
    assert line_of(source, None) is None


def test_a_refused_definition_located_at_its_line() -> None:
    source = QUICK_START.replace("action: send_email", "action: send_emial")
    with pytest.raises(InvalidRequest) as refused:
        parse(load(source))
    assert refused.value.field == "steps[0].then[0].action"
    [error] = located(source, [(refused.value.field, refused.value.detail)])
    assert (error.line, error.field) == (11, "steps[0].then[0].action")
    assert "send_emial" in error.message


def test_syntax_errors_and_non_mappings() -> None:
    with pytest.raises(SourceInvalid) as bad:
        load("name: x\ntrigger:\n  type: event\n  event: [payment.failed\nsteps: []\n")
    [error] = bad.value.errors
    assert error.line == 5 and error.message.startswith("YAML syntax error: ")
    with pytest.raises(SourceInvalid) as listed:
        load("- type: stop\n")
    assert listed.value.errors == [LineError(None, None, "The definition is a mapping with "
                                                         "name, trigger and steps.")]
    assert line_of("a: [", "a") is None


def test_dump_reads_back_as_the_same_definition() -> None:
    definition = template_definition("payment_dunning")
    text = dump({**definition, "description": None})
    assert "description" not in text and text.startswith("name: Payment Dunning\n")
    assert load(text) == {k: v for k, v in definition.items() if k != "description"}
