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
    label: str  # what the bar stands for: the day (YYYY-MM-DD), the month (YYYY-MM)
    value: str  # as the API writes it
    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal


@dataclass(frozen=True)
class Tick:
    text: str
    at: Decimal  # x for a bar's label, y for a value line


@dataclass(frozen=True)
class BarChart:
    title: str
    width: Decimal
    height: Decimal
    left: Decimal
    right: Decimal  # where the plot ends (x)
    base: Decimal  # the y of value 0
    bars: list[Bar]
    labels: list[Tick]  # under the bars
    values: list[Tick]


def _px(value: Decimal) -> Decimal:
    return value.quantize(TENTH)


def _plain(value: Decimal) -> str:
    """A value for an axis: no exponent, no trailing zeros."""
    return format(value.normalize(), "f")


def daily_bars(series: Sequence[Mapping[str, Any]], title: str) -> BarChart:
    """One bar per ``{"date", "value"}`` of ``series`` (in order), labelled with about six of
    the days (MM-DD)."""
    every = max(1, -(-len(series) // 6))  # about six day labels, whatever the period
    return bars([(str(p["date"]), str(p["date"])[5:], str(p["value"])) for p in series], title,
                every)


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def monthly_bars(series: Sequence[tuple[str, str]], title: str) -> BarChart:
    """One bar per ``(YYYY-MM, value)`` of ``series``, each labelled with its month's name."""
    return bars([(month, MONTHS[int(month[5:7]) - 1], value) for month, value in series], title)


def bars(points: Sequence[tuple[str, str, str]], title: str, every: int = 1) -> BarChart:
    """One bar per ``(label, axis text, value)`` of ``points``, scaled to the largest value; the
    value axis marks 0, half and the top, the other axis every ``every``-th bar's text."""
    values = [Decimal(value) for _, _, value in points]
    top = max([v for v in values if v > 0], default=Decimal(1))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    base = HEIGHT - BOTTOM
    step = plot_w / max(len(values), 1)
    drawn = []
    for index, ((label, _, text), value) in enumerate(zip(points, values, strict=True)):
        height = plot_h * max(value, Decimal(0)) / top
        drawn.append(Bar(
            label=label, value=text,
            x=_px(LEFT + step * index + step * Decimal("0.15")), y=_px(base - height),
            width=_px(step * Decimal("0.7")), height=_px(height),
        ))
    labels = [Tick(axis, _px(LEFT + step * index + step / 2))
              for index, (_, axis, _) in enumerate(points) if index % every == 0]
    marks = [(Decimal(0), base), (top / 2, base - plot_h / 2), (top, base - plot_h)]
    ticks = [Tick(_plain(value), _px(y)) for value, y in marks]
    return BarChart(title, WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, base, drawn, labels, ticks)
