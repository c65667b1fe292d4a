"""What a source of due work is (the scheduler, the job runner and the outbox share it).

A ``DueWork`` source answers, for one environment, when its earliest pending work is
(``next_due``) and runs everything of its own due at or before the context's now (``run``),
returning what it did. ``kassa.services.scheduler`` keeps the ordered registry of sources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from kassa.services.context import Ctx

RanItem = dict[str, Any]


@dataclass(frozen=True)
class DueWork:
    """One source of scheduled work."""

    name: str
    next_due: Callable[[Connection, str], datetime | None]
    run: Callable[[Ctx], list[RanItem]]
