"""Charts drawn on the server: the geometry of a bar chart, which ``templates/_charts.html``
writes out as SVG (readable without JavaScript, nothing loaded from elsewhere). Values stay
Decimal; coordinates are Decimal too, to a tenth of a pixel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

WIDTH, HEIGHT = Decimal(720), Decimal(200)
LEFT, RIGHT, TOP, BOTTOM = Decimal(56), Decimal(8), Decimal(12), Decimal(28)
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Bar:
    label: str  # the day, YYYY-MM-DD
    value: str  # as the API writes it
    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal


@dataclass(frozen=True)
class Tick:
    text: str
    at: Decimal  # x for a day label, y for a value line


@dataclass(frozen=True)
class BarChart:
    title: str
    width: Decimal
    height: Decimal
    left: Decimal
    right: Decimal  # where the plot ends (x)
    base: Decimal  # the y of value 0
    bars: list[Bar]
    days: list[Tick]
    values: list[Tick]


def _px(value: Decimal) -> Decimal:
    return value.quantize(TENTH)


def _plain(value: Decimal) -> str:
    """A value for an axis: no exponent, no trailing zeros."""
    return format(value.normalize(), "f")


def daily_bars(series: Sequence[Mapping[str, Any]], title: str) -> BarChart:
    """One bar per ``{"date", "value"}`` of ``series`` (in order), scaled to the largest value;
    the value axis marks 0, half and the top, the day axis about six days."""
    values = [Decimal(point["value"]) for point in series]
    top = max([v for v in values if v > 0], default=Decimal(1))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    base = HEIGHT - BOTTOM
    step = plot_w / max(len(values), 1)
    bars = []
    for index, (point, value) in enumerate(zip(series, values, strict=True)):
        height = plot_h * max(value, Decimal(0)) / top
        bars.append(Bar(
            label=str(point["date"]), value=str(point["value"]),
            x=_px(LEFT + step * index + step * Decimal("0.15")), y=_px(base - height),
            width=_px(step * Decimal("0.7")), height=_px(height),
        ))
    every = max(1, -(-len(series) // 6))  # about six day labels, whatever the period
    days = [Tick(str(point["date"])[5:], _px(LEFT + step * index + step / 2))
            for index, point in enumerate(series) if index % every == 0]
    marks = [(Decimal(0), base), (top / 2, base - plot_h / 2), (top, base - plot_h)]
    ticks = [Tick(_plain(value), _px(y)) for value, y in marks]
    return BarChart(title, WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, base, bars, days, ticks)
