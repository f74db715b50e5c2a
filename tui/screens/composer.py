"""Route composer: type a task, see the router's decision and why, override the model, launch the route.

The decision is computed before anything runs; Launch runs the route launcher in a worker and streams its
progress here. The outcome reaches the dashboard through the log, like any other route.
"""

from __future__ import annotations

import threading

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Log, Select, Static

from tui.format import num, usd
from tui.messages import DecisionReady, LaunchFinished, LaunchProgress, Operation, ServiceFailed
from tui.viewdata import DecisionView


class ComposerScreen(Screen):
    LABEL = "Composer"
    BINDINGS = [
        Binding("ctrl+l", "launch", "Launch", id="composer-launch"),
        Binding("escape", "cancel_launch", "Cancel run", id="composer-cancel"),
        Binding("ctrl+o", "override", "Override model", id="composer-override"),
    ]
    DEFAULT_CSS = """
    ComposerScreen #candidates { height: auto; max-height: 14; }
    ComposerScreen #neighbours { height: auto; max-height: 12; }
    ComposerScreen #launch-bar { height: 3; }
    ComposerScreen #override { width: 32; }
    ComposerScreen #progress { height: 1fr; min-height: 5; border: round $primary; }
    ComposerScreen #decision-summary { padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.decision: DecisionView | None = None
        self.cancel_event: threading.Event | None = None
        self.running = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Describe the task, then Enter to see the router's decision", id="task")
        yield Static("No decision yet.", id="decision-summary")
        yield DataTable(id="candidates", cursor_type="row")
        yield DataTable(id="neighbours", cursor_type="row")
        with Horizontal(id="launch-bar"):
            yield Select([], prompt="model (router's choice)", id="override", allow_blank=True)
            yield Button("Launch", id="launch", variant="primary", disabled=True)
            yield Button("Cancel", id="cancel", disabled=True)
        yield Log(id="progress", auto_scroll=True)
        yield Footer()

    # -- decide --------------------------------------------------------------------------------------
    @on(Input.Submitted, "#task")
    def _task_submitted(self, event: Input.Submitted) -> None:
        waiting = "" if self.app.embedder_state == "ready" else " (the embedding model is loading: once per session)"
        self.query_one("#decision-summary", Static).update(f"Deciding…{waiting}")
        self.decide(event.value)

    @work(thread=True, exclusive=True, group="decide")
    def decide(self, task: str) -> None:
        decision = self.app.call_service(self, Operation.DECIDE, lambda s: s.decide(task))
        if decision is None:
            return
        self.post_message(DecisionReady(decision))

    @on(DecisionReady)
    def _decision(self, message: DecisionReady) -> None:
        d = self.decision = message.decision
        summary = Text.assemble(
            "Router picks ", (d.chosen, "bold green"), f"  (p={d.propensity:.2f})  ·  ",
            f"dimension {d.dimension or '?'} · language {d.language or '?'} · difficulty {d.difficulty or '?'}")
        if d.basis_note:
            style = "" if d.basis == "evidence" else "bold yellow"
            summary.append(f"\n{'Why: ' if d.basis == 'evidence' else 'No clear winner: '}{d.basis_note}", style=style)
        self.query_one("#decision-summary", Static).update(summary)
        table = self.query_one("#candidates", DataTable)
        table.clear(columns=True)
        # A narrow pane keeps whole columns: the votes are in the wide layout and in the route's detail.
        sources = sorted({s for c in d.candidates for s in c.votes}) if self.size.width >= 100 else []
        table.add_columns("model", "exp score", "exp cost", "reward", "prob", *(f"{s} vote" for s in sources))
        for c in sorted(d.candidates, key=lambda c: -c.reward):
            votes = [Text(f"{num(c.votes[s].get('score'))} w{num(c.votes[s].get('weight'))} n{c.votes[s].get('n', 0)}")
                     if s in c.votes else "—" for s in sources]
            style = "bold green" if c.model == d.chosen else ""
            evidence = sum(int(v.get("n") or 0) for v in c.votes.values())
            score = num(c.exp_score, 3) if evidence else Text("no data", style="dim")  # a fallback, not a figure
            cost = usd(c.exp_cost_usd) if c.exp_cost_usd is not None or evidence else Text("no data", style="dim")
            table.add_row(Text(("★ " if c.model == d.chosen else "  ") + c.model, style=style), score, cost,
                          num(c.reward, 3), num(c.prob, 3), *votes, key=c.model)
        neighbours = self.query_one("#neighbours", DataTable)
        neighbours.clear(columns=True)
        neighbours.add_columns("sim", "model", "score", "cost", "nearest past task")
        for n in d.neighbours:
            neighbours.add_row(num(n.get("similarity"), 2), n.get("model", ""), num(n.get("score")),
                               usd(n.get("cost_usd")), Text(str(n.get("task") or n.get("task_id") or "")[:60]))
        neighbours.display = bool(d.neighbours)
        table.focus()  # arrows and Enter pick a candidate at once
        select = self.query_one("#override", Select)
        select.set_options([(c.model, c.model) for c in d.candidates])
        select.value = d.chosen
        self.query_one("#launch", Button).disabled = self.running

    @on(DataTable.RowSelected, "#candidates")
    def _pick(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.query_one("#override", Select).value = event.row_key.value

    def action_override(self) -> None:
        self.query_one("#override", Select).focus()

    def chosen_model(self) -> str | None:
        value = self.query_one("#override", Select).value
        return value if isinstance(value, str) else (self.decision.chosen if self.decision else None)

    # -- launch --------------------------------------------------------------------------------------
    @on(Button.Pressed, "#launch")
    def action_launch(self) -> None:
        if self.decision is None:
            self.notify("type a task and press Enter first", severity="warning")
            return
        if self.running:
            self.notify("a route is already running", severity="warning")
            return
        model = self.chosen_model() or self.decision.chosen
        self.running = True
        self.cancel_event = threading.Event()
        self.query_one("#launch", Button).disabled = True
        self.query_one("#cancel", Button).disabled = False
        kind = "override" if model != self.decision.chosen else "router's choice"
        self.query_one("#progress", Log).write_line(f"launching on {model} ({kind})")
        self.launch(self.decision, model, self.cancel_event)

    @on(Button.Pressed, "#cancel")
    def action_cancel_launch(self) -> None:
        if self.cancel_event is not None:
            self.cancel_event.set()
            self.query_one("#progress", Log).write_line("cancelling…")

    @work(thread=True, exclusive=True, group="launch")
    def launch(self, decision: DecisionView, model: str, cancel: threading.Event) -> None:
        def progress(line: str) -> None:
            self.post_message(LaunchProgress(line))

        outcome = self.app.call_service(self, Operation.LAUNCH, lambda s: s.launch(decision, model, progress, cancel))
        if outcome is None:
            return
        self.post_message(LaunchFinished(outcome))

    @on(LaunchProgress)
    def _progress(self, message: LaunchProgress) -> None:
        self.query_one("#progress", Log).write_line(message.line)

    @on(LaunchFinished)
    def _finished(self, message: LaunchFinished) -> None:
        o = message.outcome
        self._done()
        self.query_one("#progress", Log).write_line(
            f"done: {o.status} on {o.model}, score {num(o.score)}, cost {usd(o.cost_usd)} — {o.message}")
        self.notify(f"route {o.task_id}: {o.status}", severity="information" if o.status == "ok" else "warning")

    @on(ServiceFailed)
    def _failed(self, message: ServiceFailed) -> None:
        message.stop()
        if message.operation is Operation.LAUNCH:
            self._done()
        else:
            self.query_one("#decision-summary", Static).update(f"No decision: {message.message}")
        self.query_one("#progress", Log).write_line(f"{message.operation.label} failed: {message.message}")
        self.notify(message.message, title=message.operation.label, severity="error", timeout=8)

    def _done(self) -> None:
        self.running = False
        self.cancel_event = None
        self.query_one("#launch", Button).disabled = self.decision is None
        self.query_one("#cancel", Button).disabled = True
