"""Display formatting only (numbers → short strings, strength → colour); no arithmetic on domain values."""

from __future__ import annotations

import math

from rich.text import Text


def usd(value: float | None) -> str:
    """Dollars with at least two significant digits: $0.0067 stays $0.0067, never $0.00."""
    if value is None:
        return "unpriced"
    if abs(value) >= 100:
        return f"${value:,.0f}"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    if value == 0:
        return "$0"
    decimals = max(2, 1 - math.floor(math.log10(abs(value))))
    return f"${value:.{decimals}f}"


def ratio(value: float | None) -> str:
    """A ratio of any size with three significant digits (Perf/$ ranges from 0.04 to 4,000)."""
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def num(value: float | int | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}f}"


def seconds(milliseconds: float | None) -> str:
    """A run's duration: 310712 ms reads 5m 11s."""
    if milliseconds is None:
        return "— s"
    total = round(milliseconds / 1000)
    return f"{total // 60}m {total % 60:02d}s" if total >= 60 else f"{milliseconds / 1000:.1f} s"


def pct(value: float | None) -> str:
    """``value`` is already a percentage (AvgPerf%)."""
    return "—" if value is None else f"{value:.1f}%"


def strength_style(value: float | None) -> str:
    """Red → yellow → green for a value in [0, 1]."""
    if value is None:
        return "dim"
    if value >= 0.7:
        return "bold green"
    if value >= 0.5:
        return "green"
    if value >= 0.3:
        return "yellow"
    return "red"


def rate_cell(value: float | None, runs: int | None, leader: bool) -> Text:
    if value is None:
        return Text("·", style="dim")
    label = f"{'★' if leader else ' '}{value * 100:3.0f}%"
    text = Text(label, style=strength_style(value) + (" bold underline" if leader else ""))
    if runs is not None:
        text.append(f" n={runs}", style="dim")
    return text


def metric_value(metric: str, value: float | None) -> str:
    """A what-if metric in its unit: AvgPerf in %, costs in dollars, Perf/$ as a ratio."""
    if value is None:
        return "—"
    if metric == "avg_perf":
        return pct(value)
    if "cost" in metric:
        return usd(value)
    return ratio(value)


def interval(metric: str, value: float | None, low: float | None, high: float | None) -> str:
    if value is None:
        return "— (too little support in the log)"
    if low is None or high is None:
        return metric_value(metric, value)
    return f"{metric_value(metric, value)}  [{metric_value(metric, low)} – {metric_value(metric, high)}]"
