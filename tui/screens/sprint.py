"""Sprint review: a date range → spend by model, dimension and project, AvgPerf and Perf/$, what the same
tasks would have cost on Always-<model> (an estimate), the most expensive tasks, and CSV/Parquet export.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Select, Static

from tui.format import num, pct, usd
from tui.messages import ExportDone, ServiceFailed, SprintReady
from tui.services import RANGES
from tui.widgets.tables import fill_table


class SprintScreen(Screen):
    BINDINGS = [
        Binding("ctrl+g", "show_range", "Show range", id="sprint-show"),
        Binding("ctrl+s", "export('csv')", "Export CSV", id="sprint-export-csv"),
        Binding("ctrl+t", "export('parquet')", "Export Parquet", id="sprint-export-parquet"),
    ]
    DEFAULT_CSS = """
    SprintScreen #range-bar, SprintScreen #export-bar { height: 3; }
    SprintScreen #range { width: 24; }
    SprintScreen #start { width: 16; }
    SprintScreen #export-path { width: 1fr; }
    SprintScreen DataTable { height: auto; max-height: 14; margin-bottom: 1; }
    SprintScreen .caption { color: $accent; text-style: bold; }
    SprintScreen #sprint-totals { padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.range_key = "7d"

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="range-bar"):
            yield Select([(label, key) for key, label in RANGES.items()], value="7d", id="range", allow_blank=False)
            yield Input(placeholder="YYYY-MM-DD", id="start")
            yield Button("Show", id="show")
        with VerticalScroll():
            yield Static("Choose a range.", id="sprint-totals")
            for table_id, caption in (
                ("by-model", "Spend, AvgPerf and Perf/$ by model"),
                ("by-dimension", "Spend by dimension"),
                ("by-project", "Spend by project (cwd)"),
                ("always", "Always-<model> on the same tasks — ESTIMATED from the router's knowledge"),
                ("expensive", "Most expensive tasks"),
            ):
                yield Static(caption, classes="caption")
                yield DataTable(id=table_id, cursor_type="row")
        with Horizontal(id="export-bar"):
            yield Input(str(Path.cwd() / "routing-export"), id="export-path")
            yield Button("CSV", id="export-csv")
            yield Button("Parquet", id="export-parquet")
        yield Footer()

    def on_mount(self) -> None:
        self.action_show_range()

    def _range(self) -> tuple[str, str | None]:
        key = self.query_one("#range", Select).value
        start = self.query_one("#start", Input).value or None
        return (key if isinstance(key, str) else "7d"), start

    @on(Select.Changed, "#range")
    def _range_changed(self, event: Select.Changed) -> None:
        if event.value == "custom":
            self.query_one("#start", Input).focus()
        else:
            self.action_show_range()

    @on(Input.Submitted, "#start")
    @on(Button.Pressed, "#show")
    def action_show_range(self) -> None:
        key, start = self._range()
        if start and key != "custom":
            self.query_one("#range", Select).value = key = "custom"
        self.load(key, start)

    @work(thread=True, exclusive=True, group="sprint")
    def load(self, key: str, start: str | None) -> None:
        data = self.app.call_service(self, "sprint", lambda s: s.sprint(key, start))
        if data is None:
            return
        self.post_message(SprintReady(data))

    @on(SprintReady)
    def _ready(self, message: SprintReady) -> None:
        d = message.data
        t = d.totals
        self.query_one("#sprint-totals", Static).update(
            f"{d.label}: {d.since} → {d.until}  ·  {num(t.runs)} runs  ·  spend {usd(t.spend_usd)}"
            f"{f' (+{t.unpriced_runs} unpriced)' if t.unpriced_runs else ''}  ·  AvgPerf {pct(t.avg_perf)}"
            f"  ·  Perf/$ {num(t.perf_per_usd)}  ·  {num(d.events)} events")
        fill_table(self.query_one("#by-model", DataTable), d.by_model)
        fill_table(self.query_one("#by-dimension", DataTable), d.by_dimension)
        fill_table(self.query_one("#by-project", DataTable), d.by_project)
        fill_table(self.query_one("#always", DataTable), d.always, empty="no estimate: no routed tasks in range")
        fill_table(self.query_one("#expensive", DataTable), d.expensive)

    @on(Button.Pressed, "#export-csv")
    def _csv(self) -> None:
        self.action_export("csv")

    @on(Button.Pressed, "#export-parquet")
    def _parquet(self) -> None:
        self.action_export("parquet")

    def action_export(self, fmt: str) -> None:
        key, start = self._range()
        self.export(key, start, Path(self.query_one("#export-path", Input).value), fmt)

    @work(thread=True, exclusive=True, group="export")
    def export(self, key: str, start: str | None, target: Path, fmt: str) -> None:
        path = self.app.call_service(self, "export", lambda s: s.export(key, start, target, fmt))
        if path is None:
            return
        self.post_message(ExportDone(str(path)))

    @on(ExportDone)
    def _exported(self, message: ExportDone) -> None:
        self.notify(f"exported to {message.path}")

    @on(ServiceFailed)
    def _failed(self, message: ServiceFailed) -> None:
        message.stop()
        self.notify(message.message, title=message.where, severity="error", timeout=8)
