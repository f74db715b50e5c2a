"""What screens and workers may ask of the layers below: the ``Services`` protocol.

Screens and workers get plain view data back (``tui.viewdata``), so the UI holds no SQL, cost arithmetic or
routing math. ``tui.live_services.LiveServices`` implements it over analytics, router and hooks; the tests'
fake implements it over a few Polars calls. Every method may block (DuckDB, embeddings, subprocesses): call
them from worker threads only. Failures the user can act on are raised as ``ServiceError``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from tui.config import DEFAULT_SPRINT_DAYS
from tui.session import SessionPaths
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


class Services(Protocol):
    session: SessionPaths

    def close(self) -> None:
        """Release the store and the embedding process; remove a demo's temporary folder."""

    # -- dashboard
    def ingest(self) -> FeedData:
        """Read what was appended to the logs since the last call; the feed's latest rows."""

    def aggregates(self) -> DashboardData:
        """Totals, win rates, Perf/$ and spend over everything ingested so far."""

    def regret(self) -> RegretData:
        """Cumulative regret, thinned to what a chart can show."""

    def route_detail(self, task_id: str) -> RouteDetail:
        """Everything the logs hold about one task."""

    # -- embedding model and router
    def load_embedder(self) -> None:
        """Load the embedding model (once); ServiceError if it cannot be."""

    def ensure_memory(self) -> None:
        """Embed the log's tasks into the router's memory, once the model is loaded."""

    def router_view(self) -> RouterView:
        """The priors table, the settings and where the priors come from."""

    def set_setting(self, name: str, text: str) -> RouterView:
        """Validate and apply one edited setting (not saved)."""

    def set_cell(self, dimension: str, model: str, score_text: str, cost_text: str) -> RouterView:
        """Pin one prior cell (not saved)."""

    def save_router(self) -> Path:
        """Persist the edited settings and priors; where they went."""

    def reset_priors(self) -> RouterView:
        """Drop the pinned cells: back to the learned priors."""

    def whatif(self) -> WhatIfView | None:
        """Off-policy estimates of the edited setting beside the saved one."""

    # -- composer
    def decide(self, task: str) -> DecisionView:
        """The router's decision and why, before anything runs."""

    def launch(self, decision: DecisionView, model: str, on_progress: Callable[[str], None],
               cancel: threading.Event) -> LaunchOutcome:
        """Run the route on ``model`` (an override when it is not the decision's)."""

    # -- sprint review
    def sprint(self, key: str, start: str | None = None, end: str | None = None,
               sprint_days: int = DEFAULT_SPRINT_DAYS) -> SprintData:
        """Every table of the review for one range of days."""

    def export(self, data: SprintData, folder: Path, fmt: str) -> list[Path]:
        """Write the review's tables and the range's events to ``folder``; the files written."""
