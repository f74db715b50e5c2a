"""The main screen's live panels. Each takes view data in ``update_data`` and redraws; nothing else."""

from __future__ import annotations

import polars as pl
from rich.text import Text
from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from tui.format import num, pct, rate_cell, usd
from tui.viewdata import RegretData, Totals


class TotalsPanel(Static):
    """Runs, spend, AvgPerf, Perf/$, regret and the time window (regret arrives separately, later)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.totals: Totals | None = None
        self.regret: RegretData | None = None

    def update_data(self, totals: Totals) -> None:
        self.totals = totals
        self._render_text()

    def update_regret(self, regret: RegretData) -> None:
        self.regret = regret
        self._render_text()

    def _render_text(self) -> None:
        totals = self.totals or Totals()
        regret = self.regret
        unpriced = f" (+{totals.unpriced_runs} unpriced)" if totals.unpriced_runs else ""
        rows = [
            ("Runs", num(totals.runs)),
            ("Spend", usd(totals.spend_usd) + unpriced),
            ("AvgPerf", pct(totals.avg_perf)),
            ("Perf/$", num(totals.perf_per_usd)),
            (f"Regret ({regret.kind})" if regret else "Regret", num(regret.cumulative) if regret else "computing…"),
            ("Window", totals.since or "—"),
            ("", f"→ {totals.until or '—'}"),
        ]
        text = Text()
        for i, (label, value) in enumerate(rows):
            text.append(f"{label:<20}", style="bold")
            text.append(value)
            if i < len(rows) - 1:
                text.append("\n")
        self.update(text)


class WinRateTable(DataTable):
    """Dimension × model win rates; ★ marks each dimension's leader (as the query ranks it), colour shows strength."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = False

    def update_data(self, frame: pl.DataFrame) -> None:
        self.clear(columns=True)
        if frame.height == 0:
            self.add_column("no outcomes yet")
            return
        models = sorted(frame["model"].unique().to_list())
        dimensions = sorted(frame["dimension"].unique().to_list())
        cells = {(r["dimension"], r["model"]): r for r in frame.iter_rows(named=True)}
        rows = {d: [rate_cell(cells[(d, m)]["win_rate"], cells[(d, m)].get("n"), bool(cells[(d, m)].get("leader")))
                    if (d, m) in cells else rate_cell(None, None, False) for m in models] for d in dimensions}
        # Fixed widths: auto-sized columns depend on when the table is first drawn (not deterministic).
        self.add_column("dimension", key="dimension", width=max(len("dimension"), *map(len, dimensions)))
        for i, model in enumerate(models):
            self.add_column(model, key=model, width=max(len(model), *(rows[d][i].cell_len for d in dimensions)))
        for dimension in dimensions:
            self.add_row(dimension, *rows[dimension], key=dimension)


class PerfPerDollarChart(PlotextPlot):
    def update_data(self, frame: pl.DataFrame) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("Perf/$ per model")
        rows = frame.drop_nulls("perf_per_usd").sort("perf_per_usd", descending=True) if frame.height else frame
        if rows.height:
            plt.bar(rows["model"].to_list(), rows["perf_per_usd"].to_list(), orientation="horizontal", width=0.6)
        self.refresh()


class RegretChart(PlotextPlot):
    def update_data(self, frame: pl.DataFrame, kind: str) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(f"Cumulative regret ({kind})")
        plt.xlabel("routed tasks")
        if frame.height:
            values = frame["cum_regret"].to_list()
            plt.plot(list(range(1, len(values) + 1)), [v or 0.0 for v in values], marker="braille")
        self.refresh()


class SpendChart(PlotextPlot):
    def update_data(self, frame: pl.DataFrame) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("Spend per day by model (USD)")
        if frame.height:
            days = sorted(frame["day"].cast(pl.String).unique().to_list())
            index = {d: i for i, d in enumerate(days)}
            for model in sorted(frame["model"].unique().to_list()):
                rows = frame.filter(pl.col("model") == model).sort("day")
                xs = [index[str(d)] for d in rows["day"].cast(pl.String).to_list()]
                plt.plot(xs, rows["spend_usd"].fill_null(0.0).to_list(), label=model, marker="braille")
            step = max(1, len(days) // 4)
            ticks = list(range(0, len(days), step))
            plt.xticks(ticks, [days[i][5:10] for i in ticks])
        self.refresh()


class RecentFeed(DataTable):
    """The latest routes and outcomes, newest first."""

    COLUMNS = {"time": 8, "event": 8, "task": 40, "model": 18, "router": 8, "score": 5, "cost": 9, "status": 13}

    def on_mount(self) -> None:
        self.cursor_type = "row"
        for name, width in self.COLUMNS.items():
            self.add_column(name, key=name, width=width)

    def update_data(self, frame: pl.DataFrame) -> None:
        self.clear()
        for r in frame.iter_rows(named=True):
            router = r.get("router") or ""
            self.add_row(
                str(r.get("ts") or "")[11:19],
                r.get("event") or "",
                Text((r.get("task") or r.get("task_id") or "")[:40]),
                r.get("model") or "",
                Text(router, style="bold magenta" if router == "manual" else ""),
                num(r.get("score")) if r.get("score") is not None else "",
                usd(r.get("cost_usd")) if r.get("event") == "outcome" else "",
                r.get("status") or "",
            )
