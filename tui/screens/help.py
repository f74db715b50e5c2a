"""Every key, its binding id (what `[keymap]` in tui.toml remaps) and what it does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help-close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 90%; height: 90%; border: round $accent; background: $surface; }
    HelpScreen DataTable { height: 1fr; }
    """

    def __init__(self, bindings: list[Binding], keys: dict[str, str]) -> None:
        super().__init__()
        self.bindings = bindings
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Keys — remap any of them by id in [keymap] of tui.toml (see README); "
                         "ctrl+p opens the command palette. Esc closes.")
            yield DataTable(id="help-table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "id", "action")
        for binding in self.bindings:
            if binding.id:
                table.add_row(self.keys.get(binding.id, binding.key), binding.id, binding.description or binding.action)
