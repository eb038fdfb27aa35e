"""The overview's chart: finished invocations per minute over the last hour, as stacked bars
in SVG coordinates (the template draws them; no script, no inline style)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

WIDTH = 600.0
HEIGHT = 120.0
SERIES = ("succeeded", "failed", "expired")


@dataclass(slots=True, frozen=True)
class Bar:
    series: str
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(slots=True, frozen=True)
class Chart:
    bars: list[Bar]
    peak: int
    total: dict[str, int]


def per_minute_chart(minutes: list[tuple[int, Counter[str]]], labels: list[str]) -> Chart:
    peak = max([sum(c[s] for s in SERIES) for _, c in minutes] + [1])
    step = WIDTH / max(1, len(minutes))
    bars: list[Bar] = []
    for n, ((_, counts), label) in enumerate(zip(minutes, labels, strict=True)):
        base = HEIGHT
        for series in SERIES:
            if counts[series]:
                height = counts[series] / peak * HEIGHT
                base -= height
                title = f"{label}: {counts[series]} {series}"
                bars.append(Bar(series, n * step + 0.5, base, max(1.0, step - 1), height, title))
    total = {s: sum(c[s] for _, c in minutes) for s in SERIES}
    return Chart(bars, peak, total)
