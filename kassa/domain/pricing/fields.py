"""Reading JSON-like price payloads field by field, collecting every problem with its path.

A problem is ``(path, message)``, e.g. ``("tiers[2].max_units", "must be at least 100001")``;
the API turns the list into its 422 ``errors``. Readers never raise: a field that cannot be read
is recorded and comes back as None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

Problem = tuple[str, str]

_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_MISSING: Any = object()


def join(path: str, key: str | int) -> str:
    """``tiers`` + 2 -> ``tiers[2]``; ``model`` + ``tiers`` -> ``model.tiers``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def first_per_path(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in order, keeping only the first one reported for each path."""
    seen: set[str] = set()
    kept = []
    for path, message in problems:
        if path not in seen:
            seen.add(path)
            kept.append((path, message))
    return kept


class Reader:
    """Reads the fields of one mapping found at ``path``, appending problems to a shared list."""

    def __init__(self, data: Mapping[str, Any], path: str, problems: list[Problem]) -> None:
        self.data = data
        self.path = path
        self.problems = problems

    def at(self, key: str | int) -> str:
        return join(self.path, key)

    def problem(self, key: str | int, message: str) -> None:
        self.problems.append((self.at(key), message))

    def _value(self, key: str, required: bool) -> Any:
        value = self.data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.problem(key, "is required")
            return _MISSING
        return value

    def decimal(
        self, key: str, *, required: bool = True, non_negative: bool = True
    ) -> Decimal | None:
        """A decimal string (``"0.05"``) or Decimal; never a JSON number."""
        value = self._value(key, required)
        if value is _MISSING:
            return None
        if isinstance(value, Decimal) and value.is_finite():
            number = value
        elif isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
            number = Decimal(value)
        else:
            self.problem(key, 'must be a decimal string such as "12.50"')
            return None
        if non_negative and number < 0:
            self.problem(key, "must not be negative")
            return None
        return number

    def percentage(self, key: str, *, required: bool = True) -> Decimal | None:
        """A decimal between 0 and 100."""
        number = self.decimal(key, required=required, non_negative=False)
        if number is not None and not 0 <= number <= 100:
            self.problem(key, "must be between 0 and 100")
            return None
        return number

    def integer(
        self,
        key: str,
        *,
        required: bool = True,
        default: int | None = None,
        minimum: int | None = None,
    ) -> int | None:
        """A JSON integer (unit counts)."""
        value = self._value(key, required and default is None)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, "must be an integer")
            return None
        if minimum is not None and value < minimum:
            self.problem(key, f"must be at least {minimum}")
            return None
        return value

    def choice(self, key: str, options: Sequence[str], *, default: str | None = None) -> str | None:
        """One of ``options``; missing gives ``default`` (required when there is none)."""
        value = self._value(key, default is None)
        if value is _MISSING:
            return default
        if value not in options:
            self.problem(key, f"must be one of {', '.join(options)}")
            return None
        return value

    def text(self, key: str, *, default: str | None = None) -> str | None:
        value = self._value(key, default is None)
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            self.problem(key, "must be a string")
            return None
        return value

    def strings(self, key: str) -> tuple[str, ...] | None:
        """A list of non-empty strings; missing or null is empty."""
        value = self._value(key, False)
        if value is _MISSING:
            return ()
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            self.problem(key, "must be a list of strings")
            return None
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item:
                self.problem(key, f"item {index} must be a non-empty string")
                return None
        return tuple(value)

    def child(self, key: str) -> Reader | None:
        """The required object at ``key``."""
        value = self._value(key, True)
        if value is _MISSING:
            return None
        if not isinstance(value, Mapping):
            self.problem(key, "must be an object")
            return None
        return Reader(value, self.at(key), self.problems)

    def children(self, key: str) -> list[Reader | None] | None:
        """The required list of objects at ``key`` (it may be empty); None marks a non-object."""
        value = self._value(key, True)
        if value is _MISSING:
            return None
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            self.problem(key, "must be a list")
            return None
        readers: list[Reader | None] = []
        for index, item in enumerate(value):
            path = join(self.at(key), index)
            if isinstance(item, Mapping):
                readers.append(Reader(item, path, self.problems))
            else:
                self.problems.append((path, "must be an object"))
                readers.append(None)
        return readers
