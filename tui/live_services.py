"""The dashboard's services over the real layers: analytics' Store, LogIngester and queries for the panels,
the sprint review and its export; ``RouterControl`` for the router, the composer and learning.

DuckDB (analytics.store / ingest / queries) is imported on first use, off the UI thread, so the first frame
never waits for it. Failures the user can act on are raised as ``ServiceError`` with a one-line message.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from analytics.prices import PriceBook, PriceFileError
from router import whatif
from router.embedding import Embedder
from tui.config import DEFAULT_SPRINT_DAYS
from tui.embedder_process import ProcessEmbedder
from tui.errors import ServiceError
from tui.export import EXPORT_TABLES, utc_aware, write_export
from tui.review_range import review_range
from tui.router_control import RouterControl
from tui.session import SessionPaths
from tui.view_builders import decision_view, perf_bars, totals_view
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

RECENT_LIMIT = 50
FEED_EVENTS = ("route", "outcome", "override")
CHART_POINTS = 2000
EXPENSIVE_LIMIT = 20


class LiveServices:
    """Implements ``tui.services.Services``; ``embedder`` defaults to one in a child process (torch stays out
    of the dashboard's process)."""

    def __init__(self, session: SessionPaths, clock: Callable[[], datetime] | None = None,
                 embedder: Embedder | ProcessEmbedder | None = None) -> None:
        self.session = session
        self.clock = clock or (lambda: datetime.now(UTC))
        self.embedder = embedder if embedder is not None else ProcessEmbedder()
        self.router = RouterControl(session, self.embedder, self.policy_events)
        self._store: Any = None
        self._ingester: Any = None
        self._lock = threading.RLock()
        self.cwd = Path.cwd()

    # -- lifecycle ---------------------------------------------------------------------------------
    def open(self) -> None:
        from analytics.ingest import LogIngester
        from analytics.store import Store, StoreError

        with self._lock:
            if self._store is not None:
                return
            try:
                self._store, _rebuilt = Store.open_or_rebuild(self.session.db, self.session.data_dir)
            except StoreError as exc:
                raise ServiceError(str(exc)) from None
            try:
                prices = PriceBook.load()
            except PriceFileError as exc:
                self._store.close()
                self._store = None
                raise ServiceError(str(exc)) from None
            self._ingester = LogIngester(self._store, list(self.session.logs), prices=prices)

    def close(self) -> None:
        import duckdb

        with self._lock:
            if self._store is not None:
                try:
                    self._store.close()
                except duckdb.Error:
                    pass  # a slow read query is still running at exit; the process ends it, nothing was written
                self._store = None
        close_embedder = getattr(self.embedder, "close", None)  # the in-process Embedder of tests has none
        if close_embedder is not None:
            close_embedder()
        if self.session.scratch is not None:
            shutil.rmtree(self.session.scratch, ignore_errors=True)

    # -- dashboard ---------------------------------------------------------------------------------
    def ingest(self) -> FeedData:
        """Ingest what was appended since the last call (never re-reading the file) and read the feed."""
        from analytics import event_queries

        with self._lock:
            result = self._poll()
            recent = event_queries.recent_events(self._store, limit=RECENT_LIMIT * 4)
        learned = self.router.learn_new_outcomes() if result.new_events else 0
        return FeedData(recent=recent.filter(pl.col("event").is_in(FEED_EVENTS)).head(RECENT_LIMIT),
                        new_events=result.new_events, new_malformed=result.new_malformed, learned=learned)

    def aggregates(self) -> DashboardData:
        """Totals, win rates, Perf/$ and spend over everything ingested so far."""
        from analytics import run_queries, spend_queries

        self.open()
        with self._lock:
            store = self._store
            spend = spend_queries.spend_by_day(store)
            return DashboardData(
                totals=totals_view(run_queries.totals(store)),
                win_rates=run_queries.dimension_model_stats(store),
                perf=perf_bars(run_queries.model_stats(store)),
                spend=spend,
            )

    def route_detail(self, task_id: str) -> RouteDetail:
        """Everything the log holds about one task, read back from the log lines themselves."""
        from analytics import event_queries

        self.open()
        with self._lock:
            detail = event_queries.route_detail(self._store, task_id)
        if detail is None:
            raise ServiceError(f"{task_id}: no such task in the followed logs")
        task = detail["task"] or ""
        decision = decision_view(task, detail["decision"]) if isinstance(detail["decision"], dict) else None
        override = ({"model": detail["model"], "proposed_model": detail["proposed_model"]}
                    if detail["proposed_model"] else None)
        outcome = dict(detail["outcome"], model=detail["model"]) if detail["outcome"] else None
        return RouteDetail(task_id=task_id, task=task, decision=decision, override=override, outcome=outcome,
                           missing=list(detail["raw_errors"]))

    def _poll(self) -> Any:
        """Bring the DB up to date with the logs (incremental: only what was appended is read)."""
        self.open()
        with self._lock:
            try:
                return self._ingester.poll()
            except OSError as exc:
                raise ServiceError(f"cannot read log: {exc}") from None

    def regret(self) -> RegretData:
        """Cumulative regret, oracle or estimated; the series is thinned to what a chart can show."""
        from analytics import regret_queries

        self.open()
        frame = regret_queries.regret_over_time(self._store)
        summary = regret_queries.regret_summary(frame)
        step = max(1, frame.height // CHART_POINTS)
        series = (frame.select(pl.int_range(1, frame.height + 1).alias("task"), pl.col("cumulative").alias("cum_regret"))
                  .gather_every(step))
        kind = summary["kind"] if summary["kind"] != "none" else "no data"
        return RegretData(series, summary["cumulative"] if kind != "no data" else None, kind)


    def policy_events(self, since: date | datetime | None = None, until: date | None = None) -> pl.DataFrame:
        """The raw route/override/outcome records the what-if estimators read."""
        from analytics import event_queries

        self._poll()
        with self._lock:
            frame = event_queries.range_events(self._store, since=since, until=until)
        return frame.filter(pl.col("event").is_in(["route", "override", "outcome"])).select(
            "event", "task_id", "ts", "raw", "raw_error")


    # -- router and composer: RouterControl ---------------------------------------------------------------
    def load_embedder(self) -> None:
        self.router.load_embedder()

    def ensure_memory(self) -> None:
        self.router.ensure_memory()

    def router_view(self) -> RouterView:
        return self.router.router_view()

    def set_setting(self, name: str, text: str) -> RouterView:
        return self.router.set_setting(name, text)

    def set_cell(self, dimension: str, model: str, score_text: str, cost_text: str) -> RouterView:
        return self.router.set_cell(dimension, model, score_text, cost_text)

    def save_router(self) -> Path:
        return self.router.save_router()

    def reset_priors(self) -> RouterView:
        return self.router.reset_priors()

    def whatif(self) -> WhatIfView | None:
        return self.router.whatif()

    def decide(self, task: str) -> DecisionView:
        return self.router.decide(task, self.cwd)

    def launch(self, decision: DecisionView, model: str, on_progress: Callable[[str], None],
               cancel: threading.Event) -> LaunchOutcome:
        return self.router.launch(decision, model, on_progress, cancel, self.cwd)

    # -- sprint review -------------------------------------------------------------------------------
    def sprint(self, key: str, start: str | None = None, end: str | None = None,
               sprint_days: int = DEFAULT_SPRINT_DAYS) -> SprintData:
        """Every table of the review for one range of whole UTC days."""
        from analytics import event_queries, regret_queries, run_queries, spend_queries

        self._poll()
        with self._lock:
            store = self._store
            latest = run_queries.totals(store).row(0, named=True).get("last_run")
            first, last, label = review_range(key, start, end, self.clock(), latest, sprint_days)
            since, until = first, last  # a date `until` includes that whole day
            regret = regret_queries.regret_summary(regret_queries.regret_over_time(store, since=since, until=until))
            totals = totals_view(run_queries.totals(store, since=since, until=until), regret)
            by_model = run_queries.model_stats(store, since=since, until=until)
            by_dimension = spend_queries.spend_by_dimension(store, since=since, until=until)
            by_project = spend_queries.spend_by_project(store, since=since, until=until)
            usage = usage_by_day(store, since, until)
            expensive = event_queries.most_expensive_tasks(store, since=since, until=until, limit=EXPENSIVE_LIMIT)
            events = run_queries.totals(store, since=since, until=until)["events"][0]
        always = pl.DataFrame(whatif.always_model_estimates(self.policy_events(since, until)))
        return SprintData(
            label=label, since=first.isoformat(), until=last.isoformat(), totals=totals,
            by_model=by_model.select("model", "runs", "avg_perf", "cost_usd", "points_per_usd",
                                     *(["unpriced_runs"] if by_model["unpriced_runs"].sum() else [])),
            by_dimension=by_dimension.select("dimension", "runs", "avg_score", "cost_usd"),
            by_project=by_project.select("project", "cost_usd", "runs", "codex_sessions"),
            usage=usage, always=always,
            expensive=expensive.select("cost_usd", "model", "score", "ts", "task"), events=int(events or 0))

    def export(self, data: SprintData, folder: Path, fmt: str) -> list[Path]:
        """The review's tables as shown (one file each) and, apart, the range's events; time-zone-aware (UTC)."""
        from analytics import event_queries

        stem = f"review-{data.since}-to-{data.until}"
        written = [write_export(utc_aware(getattr(data, name)), folder / f"{stem}-{name}", fmt) for name in EXPORT_TABLES]
        with self._lock:
            events = event_queries.range_events(self._store, since=data.since, until=data.until)
        written.append(write_export(utc_aware(events), folder / f"{stem}-events", fmt))
        return written



def usage_by_day(store: Any, since: date, until: date) -> pl.DataFrame:
    """Tokens and cost per UTC day and model (ccusage's daily view), the query `codex-router report daily` uses."""
    from analytics import spend_queries

    frame = spend_queries.usage_by_period(store, period="day", since=since, until=until)
    return frame.select("period", "model", "input", "cached_input", "cache_write", "output", "reasoning",
                        "total_tokens", "cost_usd")
