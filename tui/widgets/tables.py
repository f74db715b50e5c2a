"""Render any query frame into a DataTable, formatting columns by their name (display only)."""

from __future__ import annotations

from typing import Any

import polars as pl
from rich.text import Text
from textual.widgets import DataTable

from tui.format import num, pct, ratio, usd


def _dollars(column: str) -> bool:
    """A column of dollar amounts (cost, spend, cost_usd); a ratio per dollar (points_per_usd) is not one."""
    return column in ("cost", "spend") or (column.endswith("usd") and "_per_" not in column)


def format_value(column: str, value: Any) -> str | Text:
    if value is None:
        return Text("unpriced", style="bold red") if _dollars(column) else "—"
    if _dollars(column):
        return usd(value)
    if column.startswith("avg_perf"):
        return pct(value)
    if "_per_" in column:
        return ratio(value)
    if isinstance(value, float):
        return num(value, 3 if abs(value) < 1 else 2)
    if isinstance(value, int):
        return num(value)
    return Text(str(value)[:48])


LABELS = {"avg_perf": "AvgPerf", "cost_usd": "cost", "perf_per_dollar": "Perf/$", "points_per_usd": "pts/$",
          "unpriced_runs": "unpriced", "avg_score": "score", "codex_sessions": "sessions",
          "cached_input": "cached", "cache_write": "cache write", "total_tokens": "total", "period": "day"}


def fill_table(table: DataTable, frame: pl.DataFrame, empty: str = "nothing in this range") -> None:
    table.clear(columns=True)
    if frame.height == 0:
        table.add_column(empty)
        return
    for column in frame.columns:
        table.add_column(LABELS.get(column, column.replace("_", " ")), key=column)
    for row in frame.iter_rows(named=True):
        table.add_row(*(format_value(c, row[c]) for c in frame.columns))
