"""Durations as automations write them: a whole number and one unit, ``30m``, ``3d``, ``2w``.

Units: ``s`` seconds, ``m`` minutes, ``h`` hours, ``d`` days, ``w`` weeks. A duration is
positive (``0d`` is refused: a wait of nothing is no step) and at most ten years. A day is
24 hours here: a delay of ``1d`` started at 09:00 local before a DST change ends at 10:00 or
08:00 local after it, as a job's ``run_at`` does.
"""

from __future__ import annotations

import re
from datetime import timedelta

from kassa.domain.errors import InvalidRequest

UNITS: dict[str, timedelta] = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
    "s": timedelta(seconds=1),
}
MAX_DURATION = timedelta(days=3660)
_PATTERN = re.compile(r"(\d{1,9})([smhdw])")


def parse_duration(text: object, field: str = "duration") -> timedelta:
    """``"3d"`` -> ``timedelta(days=3)``; anything else is InvalidRequest naming ``field``."""
    match = _PATTERN.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidRequest(
            f"{text!r} is not a duration: write a whole number and a unit, s, m, h, d or w "
            "(for example 30m, 3d, 2w)",
            field=field,
        )
    duration = int(match.group(1)) * UNITS[match.group(2)]
    if duration <= timedelta(0):
        raise InvalidRequest("a duration must be longer than zero", field=field)
    if duration > MAX_DURATION:
        raise InvalidRequest("a duration can be at most ten years (3660d)", field=field)
    return duration


def format_duration(duration: timedelta) -> str:
    """The canonical text of a whole-second duration, in the largest unit that divides it."""
    if duration <= timedelta(0) or duration % timedelta(seconds=1):
        raise ValueError(f"not a positive whole number of seconds: {duration!r}")
    for unit, size in UNITS.items():
        if not duration % size:
            return f"{duration // size}{unit}"
    raise AssertionError("seconds divide every whole-second duration")  # pragma: no cover
