"""Forms whose inputs are named by the API's own field paths (``items[0].price.type``,
``metric_ids[2]``): ``nested`` turns their flat fields into the request body, and ``Paths`` names
the input again for an error the schema or the service reports on the body.

An empty input is left out of the body (the schema's default applies); a row of a list whose
inputs are all empty is left out too, so the body's ``items[1]`` may be the form's ``items[3]``:
``Paths.form_path`` translates back."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kassa.api.errors import FieldErrors
from kassa.domain.errors import KassaError
from kassa.web.forms import field_errors

_TOKEN = re.compile(r"\[(\d+)\]|\.?([A-Za-z_][A-Za-z0-9_]*)")


def tokens(path: str) -> list[str | int]:
    """``items[0].price.type`` as ``["items", 0, "price", "type"]`` ([] when it is no path)."""
    found: list[str | int] = []
    position = 0
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None or match.end() == position:
            return []
        index, name = match.groups()
        found.append(int(index) if index is not None else name)
        position = match.end()
    return found


def path_of(parts: Iterable[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass
class Paths:
    """Where each kept list row came from: ``rows[i]`` is the form index of the body's row ``i``,
    ``children`` the same for what the row holds."""

    rows: list[int] = field(default_factory=list)
    children: dict[str | int, Paths] = field(default_factory=dict)

    def form_path(self, body_path: str) -> str:
        """The input name of a body field (``items[1].price`` -> ``items[3].price``)."""
        parts = tokens(body_path)
        if not parts:
            return body_path
        node: Paths | None = self
        named: list[str | int] = []
        for part in parts:
            if node is not None and isinstance(part, int) and part < len(node.rows):
                named.append(node.rows[part])
            else:
                named.append(part)
            node = node.children.get(part) if node is not None else None
        return path_of(named)


def _insert(tree: dict, parts: list[str | int], value: str) -> None:
    for part in parts[:-1]:
        tree = tree.setdefault(part, {})
        if not isinstance(tree, dict):
            return  # ``a`` and ``a.b`` both posted: the value wins, the child is dropped
    tree.setdefault(parts[-1], value)


def _build(node: Any) -> tuple[Any, Paths]:
    """A tree of dicts (int keys: a list's rows) as the body, without empty values or rows."""
    if not isinstance(node, dict):
        return node, Paths()
    if node and all(isinstance(k, int) for k in node):
        rows, paths = [], Paths()
        for index in sorted(node):
            value, child = _build(node[index])
            if value in (None, "", {}, []):
                continue
            paths.children[len(rows)] = child
            paths.rows.append(index)
            rows.append(value)
        return rows, paths
    body, paths = {}, Paths()
    for key, child_node in node.items():
        if isinstance(key, int):
            continue  # ``a[0]`` and ``a.b`` mixed: not a shape any form here sends
        value, child = _build(child_node)
        if value in (None, "", {}, []):
            continue
        body[key] = value
        paths.children[key] = child
    return body, paths


def nested(fields: Mapping[str, str], roots: Iterable[str]) -> tuple[dict[str, Any], Paths]:
    """The body the fields under ``roots`` (top-level names) make, and its ``Paths``; every
    value is the text as typed, stripped (the schema converts and checks it)."""
    wanted = set(roots)
    tree: dict = {}
    for name, value in fields.items():
        parts = tokens(name)
        if parts and parts[0] in wanted:
            _insert(tree, parts, value.strip())
    return _build(tree)


def form_values(value: Any, prefix: str = "") -> dict[str, str]:
    """The inputs a stored object fills, by path: the reverse of ``nested`` (an edit form
    starts from the object as the API shows it). None is an empty input, a list's rows are
    indexed, numbers and money their text."""
    if isinstance(value, Mapping):
        found: dict[str, str] = {}
        for key, child in value.items():
            found |= form_values(child, f"{prefix}.{key}" if prefix else str(key))
        return found
    if isinstance(value, (list, tuple)):
        found = {}
        for index, child in enumerate(value):
            found |= form_values(child, f"{prefix}[{index}]")
        return found
    if value is None:
        return {prefix: ""}
    if isinstance(value, bool):
        return {prefix: "true" if value else "false"}
    return {prefix: str(value)}


def errors_by_input(exc: KassaError, paths: Paths, inputs: Iterable[str]) -> dict[str, str]:
    """``exc``'s messages by the form's input (or group) they belong to: the body's field named
    as the form names it, then the input it is or lies within (``field_errors``)."""
    found = ([(e["field"], e["message"]) for e in exc.errors] if isinstance(exc, FieldErrors)
             else [(exc.field, exc.detail)])
    renamed = FieldErrors(exc.detail, [{"field": paths.form_path(f) if f else f, "message": m}
                                       for f, m in found])
    return field_errors(renamed, {name: name for name in inputs})
