"""Sprint review: a range of days → spend by model, dimension and project, tokens per day, AvgPerf and
cost-efficiency, what the same tasks would have cost on Always-<model> (an estimate), the most expensive tasks,
and an export of those tables (and, apart, the events) to a folder the user confirms.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Select, Static

from tui.format import num, pct, ratio, usd
from tui.messages import ExportDone, Operation, ServiceFailed, SprintReady
from tui.review_range import RANGES
from tui.viewdata import SprintData
from tui.widgets.tables import fill_table

TABLES = (
    ("by_model", "Spend, AvgPerf and cost-efficiency by model"),
    ("by_dimension", "Spend by dimension"),
    ("by_project", "Spend by project (cwd)"),
    ("usage", "Tokens and cost per day and model"),
    ("always", "Always-<model> on the same tasks — ESTIMATED from the router's knowledge"),
    ("expensive", "Most expensive tasks"),
)


def default_export_folder() -> Path:
    """Where an export goes unless the user types another folder: stated on screen before anything is written."""
    from platformdirs import user_documents_dir

    return Path(user_documents_dir()) / "codex-router-exports"


class SprintScreen(Screen):
    LABEL = "Sprint review"
    BINDINGS = [
        Binding("ctrl+g", "show_range", "Show range", id="sprint-show"),
        Binding("ctrl+s", "export('csv')", "Export CSV…", id="sprint-export-csv"),
        Binding("ctrl+t", "export('parquet')", "Export Parquet…", id="sprint-export-parquet"),
    ]
    DEFAULT_CSS = """
    SprintScreen #range-bar { height: auto; }
    SprintScreen #range { width: 26; }
    SprintScreen .day { width: 14; }
    SprintScreen DataTable { height: auto; max-height: 14; margin-bottom: 1; }
    SprintScreen .caption { color: $accent; text-style: bold; }
    SprintScreen #sprint-totals { padding: 0 1; }
    SprintScreen #export-note { color: $text-muted; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.data: SprintData | None = None
        self.requested = ""  # the range key last asked for

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="range-bar"):
            yield Select([(label, key) for key, label in RANGES.items()], value="auto", id="range", allow_blank=False)
            yield Input(placeholder="start", id="start", classes="day", tooltip="YYYY-MM-DD or YYYYMMDD")
            yield Input(placeholder="end", id="end", classes="day", tooltip="YYYY-MM-DD or YYYYMMDD; empty: today")
            yield Button("Show", id="show")
        with VerticalScroll(id="review"):
            yield Static("Loading the review…", id="sprint-totals")
            for table_id, caption in TABLES:
                yield Static(caption, classes="caption")
                yield DataTable(id=table_id.replace("_", "-"), cursor_type="row")
            yield Static(f"Export (ctrl+s CSV, ctrl+t Parquet) asks first; default folder {default_export_folder()}",
                         id="export-note")
        yield Footer()

    def on_mount(self) -> None:
        self.action_show_range()

    def _range(self) -> tuple[str, str | None, str | None]:
        key = self.query_one("#range", Select).value
        start = self.query_one("#start", Input).value or None
        end = self.query_one("#end", Input).value or None
        return (key if isinstance(key, str) else "auto"), start, end

    @on(Select.Changed, "#range")
    def _range_changed(self, event: Select.Changed) -> None:
        if event.value == self.requested:
            return  # the Select announcing the range already shown (it does so once mounted)
        if event.value == "custom":
            self.query_one("#start", Input).focus()
        else:
            self.action_show_range()

    @on(Input.Submitted, ".day")
    @on(Button.Pressed, "#show")
    def action_show_range(self) -> None:
        key, start, end = self._range()
        if (start or end) and key != "custom":
            with self.prevent(Select.Changed):
                self.query_one("#range", Select).value = key = "custom"
        self.requested = key
        self.query_one("#sprint-totals", Static).update(f"Loading {RANGES.get(key, key)}…")
        self.load(key, start, end)

    @work(thread=True, exclusive=True, group="sprint")
    def load(self, key: str, start: str | None, end: str | None) -> None:
        days = self.app.config.sprint_days
        data = self.app.call_service(self, Operation.SPRINT, lambda s: s.sprint(key, start, end, days))
        if data is None:
            return
        self.post_message(SprintReady(data))

    @on(SprintReady)
    def _ready(self, message: SprintReady) -> None:
        d = self.data = message.data
        t = d.totals
        unpriced = f" (+{t.unpriced_runs} unpriced)" if t.unpriced_runs else ""
        failed = f" · {num(t.failed_starts)} failed starts (not runs)" if t.failed_starts else ""
        spend = "$0 (no runs)" if not t.runs and not t.total_spend_usd else usd(t.total_spend_usd) + unpriced
        regret = f"{num(t.regret)} tasks ({t.regret_kind})" if t.regret is not None else "—"
        self.query_one("#sprint-totals", Static).update(
            f"{d.label}: {d.since} → {d.until} (UTC days)\n{num(t.runs)} runs{failed} · spend {spend} · "
            f"AvgPerf {pct(t.avg_perf)} · Perf/$ {ratio(t.perf_per_dollar)} (AvgPerf% ÷ run $) · regret {regret} · "
            f"{num(d.events)} events")
        for table_id, _caption in TABLES:
            empty = "no estimate: no routed tasks in range" if table_id == "always" else "nothing in this range"
            fill_table(self.query_one(f"#{table_id.replace('_', '-')}", DataTable), getattr(d, table_id), empty=empty)

    def action_export(self, fmt: str) -> None:
        if self.data is None:
            self.notify("nothing to export yet: the review is loading", severity="warning")
            return
        self.app.push_screen(ExportDialog(self.data, fmt), self._export_confirmed)

    def _export_confirmed(self, choice: tuple[Path, str] | None) -> None:
        if choice is not None and self.data is not None:
            self.export(self.data, *choice)

    @work(thread=True, exclusive=True, group="export")
    def export(self, data: SprintData, folder: Path, fmt: str) -> None:
        paths = self.app.call_service(self, Operation.EXPORT, lambda s: s.export(data, folder, fmt))
        if paths is None:
            return
        self.post_message(ExportDone([str(p) for p in paths]))

    @on(ExportDone)
    def _exported(self, message: ExportDone) -> None:
        folder = Path(message.paths[0]).parent
        self.query_one("#export-note", Static).update(f"Exported {len(message.paths)} files to {folder}")
        self.notify(f"exported {len(message.paths)} files to {folder}")

    @on(ServiceFailed)
    def _failed(self, message: ServiceFailed) -> None:
        message.stop()
        if message.operation is Operation.SPRINT:
            self.query_one("#sprint-totals", Static).update(f"No review: {message.message}")
        self.notify(message.message, title=message.operation.label, severity="error", timeout=8)


class ExportDialog(ModalScreen[tuple[Path, str] | None]):
    """Says what will be written where, and writes nothing until Export is pressed (a stray Enter cannot)."""

    LABEL = "Export"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export-cancel")]
    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    ExportDialog > Vertical { width: 96%; max-width: 100; height: auto; border: round $accent;
                              background: $surface; padding: 0 1; }
    ExportDialog #export-buttons { height: 3; }
    """

    def __init__(self, data: SprintData, fmt: str) -> None:
        super().__init__()
        self.data = data
        self.fmt = fmt

    def compose(self) -> ComposeResult:
        names = ", ".join(name for name, _caption in TABLES)
        with Vertical() as box:
            box.border_title = f"Export {self.data.since} → {self.data.until} as {self.fmt}"
            yield Label(f"One file per review table ({names}) and, apart, the range's events; "
                        "times in UTC with the zone stated. Folder:")
            yield Input(str(default_export_folder()), id="export-folder")
            with Horizontal(id="export-buttons"):
                yield Button("Export", id="export-go", variant="primary")
                yield Button("Cancel", id="export-no")

    def on_mount(self) -> None:
        self.query_one("#export-no", Button).focus()

    @on(Button.Pressed, "#export-go")
    def _go(self) -> None:
        folder = self.query_one("#export-folder", Input).value.strip()
        if not folder:
            self.notify("type a folder", severity="warning")
            return
        self.dismiss((Path(folder).expanduser(), self.fmt))

    @on(Button.Pressed, "#export-no")
    def action_cancel(self) -> None:
        self.dismiss(None)
