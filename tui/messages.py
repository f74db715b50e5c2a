"""Messages workers post to the app; handlers (on the UI thread) own all widget state."""

from __future__ import annotations

from enum import Enum

from textual.message import Message

from tui.viewdata import (
    DashboardData,
    DecisionView,
    FeedData,
    LaunchOutcome,
    RegretData,
    RouteDetail,
    RouterView,
    SprintData,
    WhatIfView,
)


class LogChanged(Message):
    """The watched log (or its folder) changed: a watchdog event or the stat-poll fallback saw it."""


class FeedRefreshed(Message):
    def __init__(self, data: FeedData) -> None:
        super().__init__()
        self.data = data


class DashboardRefreshed(Message):
    def __init__(self, data: DashboardData) -> None:
        super().__init__()
        self.data = data


class RegretRefreshed(Message):
    def __init__(self, data: RegretData) -> None:
        super().__init__()
        self.data = data


class BannerChanged(Message):
    """The dashboard's error banner: a problem's text, or empty after a good refresh."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class StatusChanged(Message):
    """The dashboard's status line: the embedding model's state, the followed logs, the DB."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class Operation(Enum):
    """What a worker was doing: screens decide what a failure means by this, never by the label shown."""

    INGEST = "ingest"
    REGRET = "regret"
    ROUTER_MEMORY = "router memory"
    ROUTER = "router"
    WHATIF = "what-if"
    DECIDE = "decide"
    LAUNCH = "launch"
    SPRINT = "sprint"
    EXPORT = "export"
    DETAIL = "detail"

    @property
    def label(self) -> str:
        """The words shown to the user (a notification's title, the banner)."""
        return self.value


class ServiceFailed(Message):
    """A worker hit a problem the user can act on; shown as a notification, never a traceback."""

    def __init__(self, operation: Operation, message: str) -> None:
        super().__init__()
        self.operation = operation
        self.message = message


class EmbedderState(Message):
    def __init__(self, state: str, detail: str = "") -> None:
        super().__init__()
        self.state = state  # "loading" | "ready" | "failed"
        self.detail = detail


class RouterLearned(Message):
    """The router state changed outside the router screen (new outcomes learned, memory built)."""


class RouterViewChanged(Message):
    """A new router view; ``edited``: an unsaved edit (its what-if is due), ``saved``: just saved."""

    def __init__(self, view: RouterView, note: str = "", *, edited: bool = False, saved: bool = False) -> None:
        super().__init__()
        self.view = view
        self.note = note
        self.edited = edited
        self.saved = saved


class WhatIfReady(Message):
    def __init__(self, view: WhatIfView) -> None:
        super().__init__()
        self.view = view


class DecisionReady(Message):
    def __init__(self, decision: DecisionView) -> None:
        super().__init__()
        self.decision = decision


class LaunchProgress(Message):
    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line


class LaunchFinished(Message):
    def __init__(self, outcome: LaunchOutcome) -> None:
        super().__init__()
        self.outcome = outcome


class SprintReady(Message):
    def __init__(self, data: SprintData) -> None:
        super().__init__()
        self.data = data


class ExportDone(Message):
    def __init__(self, paths: list[str]) -> None:
        super().__init__()
        self.paths = paths


class RouteDetailReady(Message):
    def __init__(self, detail: RouteDetail) -> None:
        super().__init__()
        self.detail = detail
