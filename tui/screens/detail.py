"""Full-screen views one key away from a compact panel: one route's detail, the whole win-rate table."""

from __future__ import annotations

import json

import polars as pl
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.format import num, seconds, usd
from tui.messages import Operation, RouteDetailReady, ServiceFailed
from tui.viewdata import RouteDetail
from tui.widgets.panels import WinRateTable

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > VerticalScroll {{ width: 96%; height: 94%; border: round $accent; background: $surface; padding: 0 1; }}
"""


class RouteDetailScreen(ModalScreen[None]):
    LABEL = "Route detail"
    """Decision (candidates, votes, neighbours), override, verifier trace, tokens and cost of one task."""

    BINDINGS = [Binding("escape,q", "dismiss", "Close", id="detail-close")]
    DEFAULT_CSS = MODAL_CSS.format(name="RouteDetailScreen")

    def __init__(self, task_id: str) -> None:
        super().__init__()
        self.task_id = task_id
        self.detail: RouteDetail | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = f"Route {self.task_id} (Esc closes)"
            yield Static(f"Reading {self.task_id} from the log…", id="detail-body")

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="detail")
    def load(self) -> None:
        detail = self.app.call_service(self, Operation.DETAIL, lambda s: s.route_detail(self.task_id))
        if detail is not None:
            self.post_message(RouteDetailReady(detail))

    @on(RouteDetailReady)
    def _ready(self, message: RouteDetailReady) -> None:
        self.detail = message.detail
        self.query_one("#detail-body", Static).update(render_detail(message.detail))

    @on(ServiceFailed)
    def _failed(self, message: ServiceFailed) -> None:
        message.stop()
        self.query_one("#detail-body", Static).update(f"cannot show {self.task_id}: {message.message}")


def render_detail(d: RouteDetail) -> Text:
    text = Text()
    text.append("Task  ", style="bold")
    text.append(f"{d.task or '(no task text logged)'}\n\n")
    decision = d.decision
    if decision is None:
        text.append("No route decision logged for this task.\n", style="dim")
    else:
        text.append("Decision  ", style="bold")
        text.append(f"{decision.chosen} (p={decision.propensity:.2f}) · dimension {decision.dimension or '?'} · "
                    f"language {decision.language or '?'} · difficulty {decision.difficulty or '?'}\n")
        if decision.basis_note:
            text.append(f"{decision.basis_note}\n", style="italic")
        for c in sorted(decision.candidates, key=lambda c: -c.reward):
            mark = "★" if c.model == decision.chosen else " "
            text.append(f"{mark} {c.model:<18} score {num(c.exp_score, 3)}  cost {usd(c.exp_cost_usd)}  "
                        f"reward {num(c.reward, 3)}  p {num(c.prob, 3)}\n",
                        style="bold green" if c.model == decision.chosen else "")
            for source, vote in c.votes.items():
                text.append(f"      {source:<8} score {num(vote.get('score'))}  weight {num(vote.get('weight'))}"
                            f"  n {vote.get('n', 0)}\n", style="dim")
        if decision.neighbours:
            text.append("Nearest past tasks\n", style="bold")
            for n in decision.neighbours:
                text.append(f"  {num(n.get('similarity'))}  {n.get('model', '')}  score {num(n.get('score'))}  "
                            f"{usd(n.get('cost_usd'))}  {n.get('task') or n.get('task_id') or ''}\n")
    if d.override:
        text.append("\nOverride  ", style="bold magenta")
        text.append(f"{d.override.get('model')} chosen by hand (router proposed {d.override.get('proposed_model')})\n")
    o = d.outcome
    text.append("\nOutcome  ", style="bold")
    if o is None:
        text.append("none logged yet\n", style="dim")
    else:
        tokens = o.get("tokens") or {}
        text.append(f"{o.get('status') or '?'} on {o.get('model')} · score {num(o.get('score'))} · "
                    f"cost {usd(o.get('cost_usd'))} · {seconds(o.get('latency_ms'))} · exit {o.get('exit_code')}\n")
        if tokens:
            text.append("Tokens  " + "  ".join(f"{k} {num(v)}" for k, v in tokens.items()) + "\n")
        if o.get("verifier"):
            text.append("Verifier trace\n", style="bold")
            text.append(json.dumps(o["verifier"], indent=2, sort_keys=True) + "\n")
    for note in d.missing:
        text.append(f"\n{note}", style="yellow")
    return text


class WinRatesScreen(ModalScreen[None]):
    LABEL = "Full win-rate table"
    """Every dimension × model cell, scrollable both ways (the dashboard pane shows the models that fit)."""

    BINDINGS = [Binding("escape,q,x", "dismiss", "Close", id="winrates-close")]
    DEFAULT_CSS = MODAL_CSS.format(name="WinRatesScreen") + "WinRatesScreen WinRateTable { height: auto; }"

    def __init__(self, frame: pl.DataFrame, rule: str) -> None:
        super().__init__()
        self.frame = frame
        self.rule = rule

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = "Win rate, every model (Esc closes)"
            yield Static(f"{self.rule}; n = runs; colour: red < 30% ≤ yellow < 50% ≤ green")
            yield WinRateTable(paged=False, id="winrates-all")

    def on_mount(self) -> None:
        table = self.query_one(WinRateTable)
        table.update_data(self.frame)
        table.focus()
