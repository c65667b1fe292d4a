"""Where an execution is in its version's step tree, as JSON an execution row stores.

A cursor is a stack of frames, innermost last. A frame is one list of steps being run: its
``path`` (pairs of [step index, branch] from the top-level ``steps``), the ``index`` of the next
step in it, and for a loop body the ``items`` iterated and the current ``item``. Entering a
branch (``then``, ``else``, a loop's ``steps``, a failed action's ``onError``) pushes a frame;
a finished frame pops, or starts its loop body again on the next item. Pure: no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

Frame = dict[str, Any]
Cursor = list[Frame]

# A branch's name in the cursor and in step paths → the attribute of the step holding it.
BRANCHES = {"then": "then", "else": "otherwise", "steps": "steps", "onError": "on_error"}


def start() -> Cursor:
    return [{"path": [], "index": 0}]


def _steps(definition: Any, path: Sequence[Sequence[Any]]) -> Sequence[Any]:
    steps = definition.steps
    for index, branch in path:
        steps = getattr(steps[index], BRANCHES[branch])
    return steps


def current(definition: Any, cursor: Cursor) -> tuple[Any, Cursor] | None:
    """The next step to run and the cursor pointing at it (finished frames popped, a loop body
    started on its next item); None when the execution has no step left."""
    cursor = copy.deepcopy(cursor)
    while cursor:
        frame = cursor[-1]
        steps = _steps(definition, frame["path"])
        if frame["index"] < len(steps):
            return steps[frame["index"]], cursor
        if frame.get("items") is not None and frame["item"] + 1 < len(frame["items"]):
            frame["item"] += 1
            frame["index"] = 0
            continue
        cursor.pop()
    return None


def advance(cursor: Cursor) -> Cursor:
    """Past the current step."""
    cursor = copy.deepcopy(cursor)
    cursor[-1]["index"] += 1
    return cursor


def enter(cursor: Cursor, branch: str, items: list[Any] | None = None) -> Cursor:
    """Past the current step, into its ``branch`` (a loop body over ``items``)."""
    top = cursor[-1]
    frame: Frame = {"path": [*top["path"], [top["index"], branch]], "index": 0}
    if items is not None:
        frame.update(items=items, item=0)
    return [*advance(cursor), frame]


def stop() -> Cursor:
    return []


def path(cursor: Cursor) -> str:
    """The current step's path as definitions name fields: ``steps[2].then[0]``."""
    return _render(cursor, iterations=False)


def key(cursor: Cursor) -> str:
    """``path`` with each loop's item number (``steps[1].steps#2[0]``): unique per run of a
    step in one execution."""
    return _render(cursor, iterations=True)


def _render(cursor: Cursor, *, iterations: bool) -> str:
    frame = cursor[-1]
    text = "steps"
    for depth, (index, branch) in enumerate(frame["path"]):
        text += f"[{index}].{branch}"
        inner = cursor[depth + 1] if depth + 1 < len(cursor) else None
        if iterations and inner is not None and inner.get("items") is not None:
            text += f"#{inner['item']}"
    return f"{text}[{frame['index']}]"


def item(cursor: Cursor) -> Any:
    """The innermost loop's current item (``{{item...}}``), or None outside loops."""
    for frame in reversed(cursor):
        if frame.get("items") is not None:
            return frame["items"][frame["item"]]
    return None
