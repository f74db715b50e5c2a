"""Router control: the priors table and the ε/k/threshold/exploration knobs, validated edits, Save and Reset.

Edits change the live router at once (the composer decides with them); Save persists them atomically.
Before Save, the what-if estimate of the edited setting is shown beside the current one.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Static
from textual_plotext import PlotextPlot

from tui.format import interval, metric_value, num, usd
from tui.messages import Operation, RouterLearned, RouterViewChanged, ServiceFailed, WhatIfReady
from tui.viewdata import RouterView, WhatIfView

PRIORS_CAPTION = "Priors: expected score, cost per task, n outcomes; pinned = your edit"


class RouterScreen(Screen):
    LABEL = "Router"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (130, "-wide")]  # the settings form needs ~50 columns beside the table
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="router-save"),
        Binding("ctrl+r", "reset", "Reset priors", id="router-reset"),
        Binding("ctrl+n", "edit_cell", "Edit cell", id="router-edit-cell"),
        Binding("ctrl+o", "whatif", "What-if", id="router-whatif"),
        Binding("right_square_bracket", "dimension(1)", "Next dimension (narrow)", id="router-next-dimension"),
        Binding("left_square_bracket", "dimension(-1)", "Previous dimension (narrow)",
                id="router-previous-dimension"),
    ]
    DEFAULT_CSS = """
    RouterScreen #router-body { height: 1fr; }
    RouterScreen #router-note { height: auto; max-height: 4; padding: 0 1; background: $boost; }
    RouterScreen #priors-caption { height: auto; }
    RouterScreen #priors-pane { width: 3fr; }
    RouterScreen #settings-pane { width: 2fr; min-width: 40; }
    RouterScreen.-narrow #router-body { layout: vertical; overflow-y: auto; }
    RouterScreen.-narrow #priors-pane, RouterScreen.-narrow #settings-pane { width: 100%; height: auto; }
    RouterScreen.-narrow #priors { height: 12; }
    RouterScreen #priors { height: 1fr; min-height: 8; }
    RouterScreen .setting { height: auto; min-height: 3; }
    RouterScreen .setting Label { width: 20; padding: 1 1 0 0; }
    RouterScreen .setting Input { width: 12; }
    RouterScreen .unit { padding: 1 0 0 1; color: $text-muted; width: 1fr; height: auto; }
    RouterScreen #cell-editor { height: 3; }
    RouterScreen #cell-editor Input { width: 14; }
    RouterScreen #frontier { height: 12; }
    RouterScreen #router-buttons { height: 3; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.view: RouterView | None = None
        self.selected: tuple[str, str] | None = None
        self.dimension_index = 0  # the one dimension a narrow pane shows

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the router state (priors from the log; no embedding model needed)…", id="router-note")
        with Horizontal(id="router-body"):
            with Vertical(id="priors-pane"):
                yield Static(PRIORS_CAPTION, id="priors-caption")
                yield DataTable(id="priors", cursor_type="row")
                yield Label("Select a row to edit its cell", id="cell-label")
                with Horizontal(id="cell-editor"):
                    yield Input(placeholder="score 0..1", id="cell-score")
                    yield Input(placeholder="cost USD", id="cell-cost")
                    yield Button("Pin cell", id="pin-cell")
            with VerticalScroll(id="settings-pane"):
                yield Static("Settings (Enter applies; nothing is saved until Save)")
                yield Vertical(id="settings")
                with Horizontal(id="router-buttons"):
                    yield Button("Save", id="save", variant="primary")
                    yield Button("Reset priors", id="reset", variant="warning")
                    yield Button("What-if", id="whatif")
                yield Static("What-if: edit a setting (or press What-if) to estimate it on the logged routes.",
                     id="whatif-text")
                yield PlotextPlot(id="frontier")
        yield Footer()

    def on_mount(self) -> None:
        self.load_view()

    @on(RouterLearned)
    def _learned(self) -> None:
        """Outcomes were learned, or the memory built, outside this screen: show the new counts."""
        self.load_view()

    # -- workers -------------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="router")
    def load_view(self) -> None:
        self._run(lambda s: s.router_view())

    @work(thread=True, exclusive=True, group="memory")
    def build_memory(self) -> None:
        """The model loaded before this state was built: embed the log's tasks now, then show the new count."""
        self._run(lambda s: (s.ensure_memory(), s.router_view())[1])

    @work(thread=True, exclusive=True, group="router")
    def apply_setting(self, name: str, text: str) -> None:
        self._run(lambda s: s.set_setting(name, text), f"{name} = {text.strip()} (unsaved)", edited=True)

    @work(thread=True, exclusive=True, group="router")
    def pin_cell(self, dimension: str, model: str, score: str, cost: str) -> None:
        self._run(lambda s: s.set_cell(dimension, model, score, cost), f"pinned {dimension} × {model} (unsaved)",
                  edited=True)

    @work(thread=True, exclusive=True, group="router")
    def reset_priors(self) -> None:
        self._run(lambda s: s.reset_priors(), "priors reset to learned values")

    @work(thread=True, exclusive=True, group="router")
    def save(self) -> None:
        saved = self.app.call_service(self, Operation.ROUTER, lambda s: (s.save_router(), s.router_view()))
        if saved is not None:
            self.post_message(RouterViewChanged(saved[1], f"saved to {saved[0]}", saved=True))

    @work(thread=True, exclusive=True, group="whatif")
    def run_whatif(self) -> None:
        view = self.app.call_service(self, Operation.WHATIF, lambda s: s.whatif())
        if view is not None:
            self.post_message(WhatIfReady(view))

    def _run(self, call, note: str = "", edited: bool = False) -> None:
        view = self.app.call_service(self, Operation.ROUTER, call)
        if view is not None:
            self.post_message(RouterViewChanged(view, note, edited=edited))

    # -- handlers ------------------------------------------------------------------------------------
    @on(RouterViewChanged)
    def _view_changed(self, message: RouterViewChanged) -> None:
        self.view = message.view
        self._render_priors(message.view)
        self._render_settings(message.view)
        note = message.view.source + (f"\n{message.note}" if message.note else "")
        self.query_one("#router-note", Static).update(note)
        if message.view.memory_pending and self.app.embedder_state == "ready":
            self.build_memory()
        if message.saved:
            self.notify(message.note)
        if message.edited:
            self.run_whatif()

    def on_resize(self) -> None:
        if self.view is not None:
            self._render_priors(self.view)

    def action_dimension(self, step: int) -> None:
        if self.view is not None:
            self.dimension_index += step
            self._render_priors(self.view)

    @on(ServiceFailed)
    def _failed(self, message: ServiceFailed) -> None:
        message.stop()
        self.notify(f"{message.operation.label}: {message.message}", severity="error", timeout=8)
        self.query_one("#router-note", Static).update(f"refused: {message.message}")
        if self.view is not None:
            self._render_settings(self.view)

    @on(WhatIfReady)
    def _whatif(self, message: WhatIfReady) -> None:
        view: WhatIfView = message.view
        self.query_one("#whatif-text", Static).update(render_whatif(view))
        plt = self.query_one("#frontier", PlotextPlot).plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("ε2 frontier (estimated)")
        if view.frontier.height:
            plt.plot(view.frontier["cost_usd"].to_list(), view.frontier["avg_perf"].to_list(), marker="braille")
            plt.xlabel("cost USD")
            plt.ylabel("AvgPerf%")
        self.query_one("#frontier", PlotextPlot).refresh()

    def _render_priors(self, view: RouterView) -> None:
        """All dimensions when wide; one at a time when narrow (] [ turn them), so n and source always show."""
        table = self.query_one("#priors", DataTable)
        narrow = self.size.width < 100
        dimensions = sorted({c.dimension for c in view.cells})
        cells = view.cells
        caption = PRIORS_CAPTION
        if narrow and dimensions:
            shown = dimensions[self.dimension_index % len(dimensions)]
            cells = [c for c in cells if c.dimension == shown]
            caption += (f"\nDimension {shown} ({self.dimension_index % len(dimensions) + 1} of {len(dimensions)}; "
                        "] [ for the others)")
        self.query_one("#priors-caption", Static).update(caption)
        table.clear(columns=True)
        columns = ("model", "score", "cost", "n", "source") if narrow else (
            "dimension", "model", "exp score", "exp cost", "n", "source")
        table.add_columns(*columns)
        for cell in cells:
            row = (cell.model, num(cell.exp_score, 3), usd(cell.exp_cost_usd), num(cell.count),
                   "pinned" if cell.pinned else "learned")
            table.add_row(*(row if narrow else (cell.dimension, *row)), key=f"{cell.dimension}\t{cell.model}")
        if self.selected is not None:  # the cursor stays on the cell being edited
            key = "\t".join(self.selected)
            for index, row_key in enumerate(table.rows):
                if row_key.value == key:
                    table.move_cursor(row=index)
                    break

    def _render_settings(self, view: RouterView) -> None:
        box = self.query_one("#settings", Vertical)
        existing = {w.id for w in box.query(Input)}
        for setting in view.settings:
            input_id = f"set-{setting.name}"
            if input_id in existing:
                self.query_one(f"#{input_id}", Input).value = str(setting.value)
                continue
            box.mount(Horizontal(Label(setting.label), Input(str(setting.value), id=input_id),
                                 Static(setting.unit, classes="unit"), classes="setting"))

    @on(DataTable.RowHighlighted, "#priors")
    def _row(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is None or self.view is None:
            return
        dimension, model = event.row_key.value.split("\t")
        self.selected = (dimension, model)
        cell = next(c for c in self.view.cells if (c.dimension, c.model) == self.selected)
        self.query_one("#cell-label", Label).update(f"{dimension} × {model}")
        self.query_one("#cell-score", Input).value = f"{cell.exp_score:.3f}"
        self.query_one("#cell-cost", Input).value = "" if cell.exp_cost_usd is None else f"{cell.exp_cost_usd:.4f}"

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id and event.input.id.startswith("set-"):
            self.apply_setting(event.input.id.removeprefix("set-"), event.value)
        elif event.input.id in ("cell-score", "cell-cost"):
            self.action_pin_cell()

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {"save": self.action_save, "reset": self.action_reset, "pin-cell": self.action_pin_cell,
                   "whatif": self.action_whatif}
        actions[event.button.id]()

    def action_save(self) -> None:
        self.save()

    def action_reset(self) -> None:
        self.reset_priors()

    def action_whatif(self) -> None:
        self.run_whatif()

    def action_edit_cell(self) -> None:
        self.query_one("#cell-score", Input).focus()

    def action_pin_cell(self) -> None:
        if self.selected is None:
            self.notify("select a prior cell first", severity="warning")
            return
        self.pin_cell(*self.selected, self.query_one("#cell-score", Input).value,
                      self.query_one("#cell-cost", Input).value)


METRIC_NAMES = {"avg_perf": "AvgPerf", "cost_per_task": "cost/task", "total_cost": "total cost",
                "perf_per_dollar": "Perf/$"}


def render_whatif(view: WhatIfView) -> Text:
    """Each metric: what the logged routes did, the saved setting and the edited one by IPS, SNIPS and DR."""
    text = Text()
    text.append(f"What-if: ESTIMATES on {view.routes} logged routes (of {view.route_events}), "
                f"{round(100 * view.level)}% bootstrap intervals ({view.n_boot} resamples).\n", style="bold")
    text.append("logged = what those routes did; saved = the setting in force, re-run on them; edited = yours. "
                "Totals differ: they count every run, these only routes with a logged choice.\n", style="dim")
    for row in view.rows:
        text.append(f"\n{METRIC_NAMES.get(row.metric, row.metric)}", style="bold")
        text.append(f"   logged {metric_value(row.metric, row.logged)}\n")
        lines = [("saved DR", row.saved), *((f"edited {name.upper()}", row.edited[name]) for name in row.edited)]
        for label, estimate in lines:
            text.append(f"  {label:<13}{interval(row.metric, estimate.value, estimate.low, estimate.high)}\n")
    for note in view.notes:
        text.append(f"• {note}\n", style="yellow")
    return text
