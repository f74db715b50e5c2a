"""Every key, where it works, what it does and its binding id (what `[keymap]` in tui.toml remaps)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    LABEL = "Help"
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help-close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 96%; height: 94%; border: round $accent; background: $surface;
                                  padding: 0 1; }
    """

    def __init__(self, groups: list[tuple[str, list[Binding]]], keys: dict[str, str]) -> None:
        super().__init__()
        self.groups = groups
        self.keys = keys

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = "Keys (Esc closes)"
            yield Static(self.render_keys(), id="help-text")

    def display(self, keys: str) -> str:
        """Keys as the footer shows them ("]" for right_square_bracket), several joined by " or "."""
        return " or ".join(self.app.get_key_display(Binding(key.strip(), "")) for key in keys.split(","))

    def render_keys(self) -> Text:
        """Plain text, never markup: "[keymap]" is shown as written. A key can mean different things on
        different screens (ctrl+s saves on Router, exports on Sprint review): each screen has its section."""
        text = Text("Remap any key by its id in [keymap] of tui.toml (e.g. open-router = \"f9\"); "
                    "ctrl+p opens the command palette.\n")
        shown = {b.id: self.display(self.keys.get(b.id, b.key)) for _g, bindings in self.groups for b in bindings
                 if b.id}
        width = max(map(len, shown.values()))
        for where, bindings in self.groups:
            text.append(f"\n{where}\n", style="bold underline")
            for b in bindings:
                if not b.id:
                    continue
                text.append(f"  {shown[b.id]:<{width}}  ", style="bold")
                text.append(f"{b.description or b.action}")
                text.append(f"  ({b.id})\n", style="dim")
        return text
