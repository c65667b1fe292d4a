"""Retry policy of an automation or a step: ``{"retries": 3, "retryDelay": "5m", "backoffMultiplier": 2}``.

A failing action is tried again ``retries`` times; retry n waits ``retryDelay × multiplier^(n-1)``
after the failure before it (5 min, 10 min, 20 min above), then its ``onError`` steps run, else
the execution fails. ``retryDelay`` defaults to 5m and ``backoffMultiplier`` to 1 (equal waits).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from kassa.domain.automations.durations import format_duration, parse_duration
from kassa.domain.errors import InvalidRequest

MAX_RETRIES = 10
MAX_MULTIPLIER = Decimal(10)
MAX_WAIT = timedelta(days=90)
DEFAULT_RETRY_DELAY = timedelta(minutes=5)


@dataclass(frozen=True)
class ErrorHandling:
    retries: int
    retry_delay: timedelta = DEFAULT_RETRY_DELAY
    backoff_multiplier: Decimal = Decimal(1)

    def delay_before(self, attempt: int) -> timedelta | None:
        """The wait before try number ``attempt`` (1 is the first try: no wait), None past the last."""
        if attempt < 1:
            raise ValueError(f"attempts count from 1, not {attempt}")
        if attempt == 1:
            return timedelta(0)
        if attempt > self.retries + 1:
            return None
        seconds = self.retry_delay // timedelta(seconds=1)
        grown = Decimal(seconds) * self.backoff_multiplier ** (attempt - 2)
        return timedelta(seconds=int(grown.to_integral_value(ROUND_HALF_UP)))


def parse_error_handling(data: object, field: str) -> ErrorHandling:
    """``errorHandling`` as written; InvalidRequest names ``field.retries`` and so on."""
    if not isinstance(data, Mapping):
        raise InvalidRequest("errorHandling is an object {retries, retryDelay, backoffMultiplier}",
                             field=field)
    for key in data:
        if key not in ("retries", "retryDelay", "backoffMultiplier"):
            raise InvalidRequest(f"unknown errorHandling field {key!r}", field=f"{field}.{key}")
    retries = data.get("retries")
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        raise InvalidRequest(f"retries is a whole number from 0 to {MAX_RETRIES}",
                             field=f"{field}.retries")
    delay = DEFAULT_RETRY_DELAY
    if data.get("retryDelay") is not None:
        delay = parse_duration(data["retryDelay"], f"{field}.retryDelay")
    multiplier = _multiplier(data.get("backoffMultiplier", 1), f"{field}.backoffMultiplier")
    handling = ErrorHandling(retries, delay, multiplier)
    longest = handling.delay_before(retries + 1) if retries else timedelta(0)
    if longest is not None and longest > MAX_WAIT:
        where = "backoffMultiplier" if multiplier > 1 else "retryDelay"
        raise InvalidRequest(f"the last retry would wait {longest}; at most 90 days",
                             field=f"{field}.{where}")
    return handling


def _multiplier(value: object, field: str) -> Decimal:
    number: Decimal | None = None
    if isinstance(value, (int, str, Decimal)) and not isinstance(value, bool):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
    elif isinstance(value, float):  # a JSON or YAML number, read as written
        number = Decimal(repr(value))
    if number is None or not number.is_finite() or not 1 <= number <= MAX_MULTIPLIER:
        raise InvalidRequest("backoffMultiplier is a number from 1 to 10", field=field)
    return number


def error_handling_to_data(handling: ErrorHandling) -> dict[str, object]:
    multiplier = handling.backoff_multiplier
    return {
        "retries": handling.retries,
        "retryDelay": format_duration(handling.retry_delay),
        "backoffMultiplier": int(multiplier) if multiplier == multiplier.to_integral_value()
        else multiplier,
    }
