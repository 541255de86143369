"""Charts as geometry for hand-laid SVG (templates/_charts.html draws them): stacked bars per day
and horizontal bars. Pure: numbers in, rectangles, ticks and a legend out. No JavaScript."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

PALETTE = (
    "#1f5f8b",
    "#d9822b",
    "#3f9a5b",
    "#b8443b",
    "#7b5ea7",
    "#8c6d46",
    "#c65f9d",
    "#6b7b8c",
    "#b5a33a",
    "#2aa3a3",
)
OTHER_COLOUR = "#b9c0c7"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str  # the tooltip (an SVG <title>)


@dataclass(frozen=True)
class Tick:
    at: float
    text: str


@dataclass
class Chart:
    title: str
    width: int
    height: int
    left: int  # the plot area's box
    top: int
    right: int
    bottom: int
    rects: list[Rect] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (label, colour)
    empty: bool = False
    kind: str = "days"  # days | bars


def nice_max(value: float) -> float:
    """The axis top: 1, 2 or 5 times a power of ten, at or above `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def days_between(start: date, end: date) -> list[date]:
    """Every day from start to end, both included."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def stacked_days(
    title: str,
    days: Sequence[date],
    series: Mapping[str, Mapping[date, int]],
    *,
    labels: Mapping[str, str] | None = None,
    colours: Mapping[str, str] | None = None,
    width: int = 860,
    height: int = 240,
    period: str = "",
) -> Chart:
    """One bar a day (or a period starting that day, named in the tooltip: "week of "), stacked
    by series (in the order given); a legend of the series shown."""
    chart = Chart(title, width, height, left=48, top=12, right=width - 8, bottom=height - 28)
    totals = [sum(s.get(d, 0) for s in series.values()) for d in days]
    top_value = nice_max(max(totals, default=0))
    chart.empty = not any(totals)
    plot_w, plot_h = chart.right - chart.left, chart.bottom - chart.top
    slot = plot_w / max(len(days), 1)
    bar = max(slot * 0.8, 1.0)
    names = list(series)
    palette = {n: (colours or {}).get(n) or PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}
    for i, day in enumerate(days):
        y = float(chart.bottom)
        x = chart.left + i * slot + (slot - bar) / 2
        for name in names:
            value = series[name].get(day, 0)
            if not value:
                continue
            h = value / top_value * plot_h
            y -= h
            label = (labels or {}).get(name, name)
            chart.rects.append(
                Rect(
                    round(x, 2),
                    round(y, 2),
                    round(bar, 2),
                    round(h, 2),
                    palette[name],
                    f"{period}{day}: {label} {value}",
                )
            )
    step = max(1, math.ceil(len(days) / 10))
    chart.x_ticks = [
        Tick(round(chart.left + i * slot + slot / 2, 2), f"{d:%m-%d}")
        for i, d in enumerate(days)
        if i % step == 0
    ]
    # quarters when they are whole numbers (a top of 20: 5, 10, 15), else halves (10: 5) or the top
    steps = next(n for n in (4, 2, 1) if (top_value / n).is_integer())
    chart.y_ticks = [
        Tick(round(chart.bottom - plot_h * i / steps, 2), f"{top_value * i / steps:,.0f}")
        for i in range(steps + 1)
    ]
    shown = [n for n in names if any(series[n].values())]
    chart.legend = [((labels or {}).get(n, n), palette[n]) for n in shown]
    return chart


def horizontal(title: str, items: Sequence[tuple[str, int]], *, width: int = 860, row: int = 22) -> Chart:
    """One bar a row, longest first as given, the label left of the plot."""
    height = max(len(items), 1) * row + 30
    chart = Chart(title, width, height, left=220, top=6, right=width - 60, bottom=height - 24, kind="bars")
    top_value = nice_max(max((v for _, v in items), default=0))
    chart.empty = not items
    plot_w = chart.right - chart.left
    for i, (label, value) in enumerate(items):
        w = value / top_value * plot_w
        chart.rects.append(
            Rect(chart.left, chart.top + i * row + 3, round(w, 2), row - 6, PALETTE[0], f"{label}: {value}")
        )
        chart.y_ticks.append(Tick(chart.top + i * row + row / 2 + 4, label))
    chart.x_ticks = [
        Tick(round(chart.left + plot_w * f, 2), f"{top_value * f:,.0f}") for f in (0.0, 0.5, 1.0)
    ]
    return chart


def group_small(
    counts: Mapping[str, Mapping[date, int]], keep: int, other: str = "other"
) -> dict[str, dict[date, int]]:
    """The `keep` largest series by total; the rest summed as `other`."""
    ranked = sorted(counts, key=lambda k: (-sum(counts[k].values()), k))
    out = {k: dict(counts[k]) for k in ranked[:keep]}
    rest: dict[date, int] = {}
    for k in ranked[keep:]:
        for d, v in counts[k].items():
            rest[d] = rest.get(d, 0) + v
    if rest:
        out[other] = rest
    return out
