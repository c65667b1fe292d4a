"""Where a definition written as YAML (or JSON, which YAML reads) says what: the 1-based line of
a field path such as ``steps[1].then[0].action``, read from the nodes of PyYAML's ``compose``
(``start_mark.line``), so a refused definition's errors can be shown at their lines."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


@dataclass(frozen=True)
class LineError:
    """A problem of the source: its line (None: the whole document), field path and message."""

    line: int | None
    field: str | None
    message: str


class SourceInvalid(Exception):
    """The source is not a definition mapping (a syntax error, a list, a bare value...)."""

    def __init__(self, errors: Sequence[LineError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)


def path_parts(path: str) -> list[str | int]:
    """``steps[1].then[0].action`` as ``["steps", 1, "then", 0, "action"]``."""
    return [int(index) if index else name for index, name in _PART.findall(path)]


def _child(node: Node, part: str | int) -> tuple[Node, int] | None:
    """The node under ``part`` and the line that writes it (a key's line for a mapping)."""
    if isinstance(node, MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == part:
                return value, key.start_mark.line
    if isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
        item = node.value[part]
        return item, item.start_mark.line
    return None


def line_of(source: str, path: str | None) -> int | None:
    """The line where ``path`` is written; for a field the source lacks, the line of its
    nearest written parent (``steps[0].if`` missing: the step's line); None when the source
    does not read as YAML or the path is the document's."""
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if node is None or not path:
        return None
    line = None
    for part in path_parts(path):
        found = _child(node, part)
        if found is None:
            break
        node, line = found
    return None if line is None else line + 1


def load(source: str) -> dict[str, Any]:
    """``source`` read as a mapping (YAML, so JSON too); ``SourceInvalid`` with the line of a
    syntax error, or when it is not a mapping."""
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        message = f"{context}: {problem}" if context else problem
        raise SourceInvalid([LineError(mark.line + 1 if mark is not None else None, None,
                                       f"YAML syntax error: {message}.")]) from None
    if not isinstance(data, dict):
        raise SourceInvalid([LineError(None, None, "The definition is a mapping with name, "
                                                   "trigger and steps.")])
    return data


def located(source: str, errors: Sequence[tuple[str | None, str]]) -> list[LineError]:
    """Each ``(field path, message)`` with the line of the source it is about."""
    return [LineError(line_of(source, field), field, message) for field, message in errors]


def dump(definition: dict[str, Any]) -> str:
    """A definition as YAML to edit: its fields in their order, empty ones left out."""
    shown = {k: v for k, v in definition.items() if v is not None}
    return yaml.safe_dump(shown, sort_keys=False, allow_unicode=True, width=100)
