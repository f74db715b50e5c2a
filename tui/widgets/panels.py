"""The main screen's live panels. Each takes view data in ``update_data`` and redraws; nothing else."""

from __future__ import annotations

import math

import polars as pl
from rich.text import Text
from textual.containers import Vertical
from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from analytics.metrics import MIN_RUNS, WIN_THRESHOLD
from tui.format import num, pct, rate_cell, ratio, usd
from tui.viewdata import PerfBars, RegretData, Totals


class TotalsPanel(Static):
    """Runs, spend, AvgPerf, Perf/$, regret and the time window (regret arrives separately, later).

    Every figure carries its unit or rule: Perf/$ shows what it divides, regret counts tasks.
    """

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
        failed = f" (+{totals.failed_starts} failed starts)" if totals.failed_starts else ""
        if totals.perf_per_dollar is None:
            perf = "— (no priced, scored runs)" if totals.runs else "— (no runs yet)"
        else:
            perf = f"{ratio(totals.perf_per_dollar)} = {pct(totals.avg_perf)} ÷ {usd(totals.cost_usd)}"
        if regret is None:
            regret_text = "computing…"
        elif regret.cumulative is None:
            regret_text = "— (no routed outcomes)"
        else:
            regret_text = f"{num(regret.cumulative)} tasks"
        rows = [
            ("Runs", num(totals.runs) + failed),
            ("Spend", usd(totals.total_spend_usd) + unpriced),
            ("AvgPerf", pct(totals.avg_perf) if totals.avg_perf is not None else "— (no scored runs)"),
            ("Perf/$", perf),
            ("Regret", regret_text + (f", {regret.kind}" if regret and regret.cumulative is not None else "")),
            ("From", totals.since or "—"),
            ("To", totals.until or "—"),
        ]
        text = Text(no_wrap=False)
        for i, (label, value) in enumerate(rows):
            text.append(f"{label:<9}", style="bold")
            text.append(value)
            if i < len(rows) - 1:
                text.append("\n")
        self.update(text)


class WinRateTable(DataTable):
    """Dimension × model win rates; ★ marks each dimension's leader (as the query ranks it), colour shows strength.

    Only whole columns are drawn: the models that fit the pane's width (most-used first), a page at a time
    (``page``; the screen's keys turn it), with "+N more" in the border, so no count is ever cut.
    """

    def __init__(self, *args, paged: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.frame: pl.DataFrame | None = None
        self.paged = paged
        self.first_model = 0
        self.pages = (0, 0, 0)  # first shown, last shown, total models

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = False

    def update_data(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        self._draw()

    def on_resize(self) -> None:
        if self.frame is not None and self.paged:
            self._draw()

    def page(self, step: int) -> None:
        """Show the next (+1) or previous (−1) page of models, wrapping around."""
        first, last, total = self.pages
        if not total:
            return
        if step > 0:
            self.first_model = last if last < total else 0
        else:
            size = max(1, last - first)
            self.first_model = max(0, first - size if first else total - size)
        self._draw()

    def _draw(self) -> None:
        frame = self.frame
        row = self.cursor_row
        self.clear(columns=True)
        if frame is None or frame.height == 0:
            self.add_column("no outcomes yet")
            self.pages = (0, 0, 0)
            return
        runs = frame.group_by("model").agg(pl.col("runs").sum()).sort(["runs", "model"], descending=[True, False])
        models = runs["model"].to_list()
        dimensions = sorted(frame["dimension"].unique().to_list())
        cells = {(r["dimension"], r["model"]): r for r in frame.iter_rows(named=True)}
        columns = {m: [rate_cell(cells[(d, m)]["win_rate"], cells[(d, m)].get("runs"), bool(cells[(d, m)].get("leader")))
                       if (d, m) in cells else rate_cell(None, None, False) for d in dimensions] for m in models}
        dim_width = max(len("dimension"), *map(len, dimensions))
        widths = {m: max(*(len(part) for part in _header(m).split("\n")), *(c.cell_len for c in columns[m]))
                  for m in models}
        first = min(self.first_model, len(models) - 1)
        shown = models[first:]
        if self.paged:
            room = self.scrollable_content_region.width - dim_width - 2 * self.cell_padding
            shown, used = [], 0
            for model in models[first:]:
                used += widths[model] + 2 * self.cell_padding
                if shown and used > room:
                    break
                shown.append(model)
        self.pages = (first, first + len(shown), len(models))
        self.header_height = 2
        # Fixed widths: auto-sized columns depend on when the table is first drawn (not deterministic).
        self.add_column("dimension", key="dimension", width=dim_width)
        for model in shown:
            self.add_column(Text(_header(model)), key=model, width=widths[model])
        for i, dimension in enumerate(dimensions):
            self.add_row(dimension, *(columns[m][i] for m in shown), key=dimension)
        if row:
            self.move_cursor(row=min(row, self.row_count - 1))
        hidden = len(models) - len(shown)
        self.border_subtitle = (f"{RULE_SHORT} · +{hidden} more: ] next" if hidden else RULE_SHORT)


RULE_SHORT = f"★ best avg score, n ≥ {MIN_RUNS}"


def _header(model: str) -> str:
    """A model name on two lines, split at a dash near its middle, so narrow columns keep whole names."""
    if len(model) <= 10 or "-" not in model:
        return model
    cuts = [i for i, ch in enumerate(model) if ch == "-"]
    cut = min(cuts, key=lambda i: abs(i - len(model) / 2))
    return f"{model[:cut]}\n{model[cut:]}"


WIN_RULE = (f"win = score ≥ {WIN_THRESHOLD}; ★ = the dimension's best average score among models with "
            f"n ≥ {MIN_RUNS} runs")


class PerfPerDollarBars(Static):
    """Horizontal text bars, one line per model, its figure printed at the bar's end (readable at any width)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.data: PerfBars | None = None

    def update_data(self, data: PerfBars) -> None:
        self.data = data
        self._draw()

    def on_resize(self) -> None:
        if self.data is not None:
            self._draw()

    def _draw(self) -> None:
        data = self.data
        if data is None:
            return
        self.border_subtitle = data.unit
        rows = data.frame.drop_nulls("value").sort("value", descending=True) if data.frame.height else data.frame
        if rows.height == 0:
            self.update(Text("no priced, scored runs yet", style="dim"))
            return
        names = rows["model"].to_list()
        values = [ratio(v) for v in rows["value"].to_list()]
        counts = [f"n={n}" for n in rows["runs"].to_list()]
        value_w, count_w = max(map(len, values)), max(map(len, counts))
        labels = [f"{v:>{value_w}} {c:<{count_w}}" for v, c in zip(values, counts, strict=True)]
        name_w = max(map(len, names))
        label_w = max(map(len, labels))
        bar_w = max(1, self.content_region.width - name_w - label_w - 3)
        top = max(rows["value"].max(), 1e-12)
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, (name, value, label) in enumerate(zip(names, rows["value"].to_list(), labels, strict=True)):
            filled = max(1, round(bar_w * value / top))
            text.append(f"{name:<{name_w}} ")
            text.append("█" * filled, style="green")
            text.append(f"{' ' * (bar_w - filled)} {label}")
            if i < len(names) - 1:
                text.append("\n")
        missing = data.frame.height - rows.height
        if missing:
            text.append(f"\n+{missing} unpriced model(s)", style="dim")
        self.update(text)


class RegretChart(PlotextPlot):
    def update_data(self, frame: pl.DataFrame, kind: str) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(f"Cumulative regret ({kind}), in tasks")
        plt.xlabel("routed tasks")
        if frame.height:
            values = [v or 0.0 for v in frame["cum_regret"].to_list()]
            xs = frame["task"].to_list() if "task" in frame.columns else list(range(1, len(values) + 1))
            plt.plot(xs, values, marker="braille")
            plt.xticks(_integer_ticks(xs[-1]))
            plt.ylim(0, max(1.0, max(values) * 1.05))
        self.refresh()


def _integer_ticks(last: int, count: int = 4) -> list[int]:
    """Whole task numbers for the x axis (a count of tasks has no fractions)."""
    step = max(1, math.ceil(last / count))
    return list(range(step if last > 1 else 1, last + 1, step)) or [1]


SERIES_COLOURS = ("cyan", "magenta", "yellow", "green", "red", "blue", "orange", "white")


class SpendChart(Vertical):
    """Spend per day per model, its legend below the plot (a legend inside it covered the first days)."""

    DEFAULT_CSS = """
    SpendChart > PlotextPlot { height: 1fr; }
    SpendChart > #spend-legend { height: auto; max-height: 3; }
    """

    def compose(self):
        yield PlotextPlot()
        yield Static("", id="spend-legend")

    def update_data(self, frame: pl.DataFrame) -> None:
        chart = self.query_one(PlotextPlot)
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("Spend per day by model (USD)")
        legend = Text()
        if frame.height:
            days = sorted(frame["day"].cast(pl.String).unique().to_list())
            index = {d: i for i, d in enumerate(days)}
            totals = frame.group_by("model").agg(pl.col("cost_usd").sum()).sort("cost_usd", descending=True,
                                                                                  nulls_last=True)
            for i, model in enumerate(totals["model"].to_list()):
                colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
                rows = frame.filter(pl.col("model") == model).sort("day")
                xs = [index[str(d)] for d in rows["day"].cast(pl.String).to_list()]
                plt.plot(xs, rows["cost_usd"].fill_null(0.0).to_list(), marker="braille", color=colour)
                legend.append("■ ", style=colour.replace("orange", "dark_orange"))
                legend.append(f"{model}  ")
            step = max(1, len(days) // 4)
            ticks = list(range(0, len(days), step))
            plt.xticks(ticks, [days[i][5:10] for i in ticks])
        self.query_one("#spend-legend", Static).update(legend)
        chart.refresh()


class RecentFeed(DataTable):
    """The latest routes and outcomes, newest first; Enter opens one route's detail.

    Narrow panes get fewer, whole columns (what happened and what it cost) and the highlighted row's task
    under the table; ``paused`` keeps the rows still while new ones arrive; ``filter_text`` keeps the rows
    whose task, model, status or event contain it.
    """

    WIDE = {"time": 8, "event": 8, "task": 40, "model": 17, "router": 8, "score": 5, "cost": 9, "status": 11}
    NARROW = {"time": 5, "model": 17, "score": 4, "cost": 8, "what": 11}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.frame: pl.DataFrame | None = None
        self.paused = False
        self.filter_text = ""
        self.narrow: bool | None = None
        self.shown_rows: list[dict] = []

    def on_mount(self) -> None:
        self.cursor_type = "row"

    def on_resize(self) -> None:
        if self.frame is not None:
            self._draw()

    def update_data(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        if not self.paused:
            self._draw()
        self._caption()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if not paused:
            self._draw()
        self._caption()

    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip()
        self._draw()
        self._caption()

    def _caption(self) -> None:
        parts = ["paused (p follows)" if self.paused else "following (p pauses)"]
        if self.filter_text:
            parts.append(f"filter {self.filter_text!r} ({len(self.shown_rows)} rows)")
        parts.append("Enter: detail")
        self.border_subtitle = " · ".join(parts)

    def _draw(self) -> None:
        frame = self.frame if self.frame is not None else pl.DataFrame()
        rows = list(frame.iter_rows(named=True))
        needle = self.filter_text.lower()
        if needle:
            rows = [r for r in rows if any(needle in str(r.get(k) or "").lower()
                                           for k in ("task", "task_id", "model", "status", "event", "router"))]
        self.shown_rows = rows
        self.narrow = self.size.width < 100
        row = self.cursor_row
        self.clear(columns=True)
        columns = dict(self.NARROW if self.narrow else self.WIDE)
        if not self.narrow:  # the task takes what the other columns leave
            others = sum(w for name, w in columns.items() if name != "task") + 2 * self.cell_padding * len(columns)
            columns["task"] = max(20, self.scrollable_content_region.width - others - 1)
        for name, width in columns.items():
            self.add_column(name, key=name, width=width)
        for r in rows:
            router = r.get("router") or ""
            event = r.get("event") or ""
            score = num(r.get("score")) if r.get("score") is not None else ""
            cost = usd(r.get("cost_usd")) if event == "outcome" else ""
            status = r.get("status") or ""
            task = Text(r.get("task") or r.get("task_id") or "", no_wrap=True, overflow="ellipsis")
            if self.narrow:
                what = status if event == "outcome" else ("manual" if event == "override" else event)
                self.add_row(str(r.get("ts") or "")[11:16], r.get("model") or "", score, cost,
                             Text(what, style=_status_style(what)))
            else:
                self.add_row(str(r.get("ts") or "")[11:19], event, task, r.get("model") or "",
                             Text(router, style="bold magenta" if router == "manual" else ""), score, cost,
                             Text(status, style=_status_style(status)))
        if row and self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1))

    def current(self) -> dict | None:
        """The highlighted row's record (ts, event, task_id, model, task, ...), if any."""
        if not self.shown_rows or self.cursor_row >= len(self.shown_rows):
            return None
        return self.shown_rows[self.cursor_row]


def _status_style(status: str) -> str:
    if status in ("ok", "route"):
        return ""
    if status == "manual":
        return "bold magenta"
    return "bold red" if status else ""
