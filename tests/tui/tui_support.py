"""Helpers for the dashboard's Pilot tests: a fixed fixture log, a deterministic fake service.

``FakeServices`` stands in for analytics/router/hooks so that UI flows are tested fast and
deterministically (snapshots); ``test_integration.py`` runs the same flows on the real ``Services``.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from textual.worker import WorkerCancelled

from router.settings import RouterSettings, SettingsError
from tui.errors import ServiceError
from tui.export import write_export
from tui.review_range import review_range
from tui.session import SessionPaths
from tui.view_builders import decision_view
from tui.viewdata import (
    CandidateView,
    DashboardData,
    DecisionView,
    FeedData,
    Interval,
    LaunchOutcome,
    PerfBars,
    PriorCell,
    RegretData,
    RouteDetail,
    RouterView,
    SettingField,
    SprintData,
    Totals,
    WhatIfRow,
    WhatIfView,
)

FIXTURE_LOG = Path(__file__).with_name("fixtures") / "routing_log.jsonl"
FIXED_NOW = datetime(2026, 11, 12, 18, 0, tzinfo=UTC)
MODELS = ["claude-sonnet-4-6", "gpt-5.4", "qwen3.5-plus"]
KAPPA = {"claude-sonnet-4-6": 0.5, "gpt-5.4": 0.0, "qwen3.5-plus": -1.5}  # relative log cost per model


class FakeServices:
    """Implements ``tui.services.Services``: reads the log incrementally (like the real ingester) and
    aggregates it with a few Polars calls."""

    def __init__(self, session: SessionPaths, embed_gate: threading.Event | None = None) -> None:
        self.session = session
        self.clock: Callable[[], datetime] = lambda: FIXED_NOW
        self.embed_gate = embed_gate
        self.offsets: dict[Path, int] = {}
        self.events: list[dict] = []
        self.settings = RouterSettings()
        self.saved = RouterSettings()
        self.cells = {(d, m): [0.5 + 0.1 * i, 0.01 * (i + 1), 10, False]
                      for d in ("bug_fixing", "code_generation") for i, m in enumerate(MODELS)}
        self.launches: list[tuple[str, str]] = []
        self.refreshes = 0

    def close(self) -> None:
        if self.session.scratch is not None:
            shutil.rmtree(self.session.scratch, ignore_errors=True)

    def ingest(self) -> FeedData:
        new = 0
        for path in self.session.logs:
            if not path.exists():
                continue
            with path.open("rb") as fh:
                fh.seek(self.offsets.get(path, 0))
                data = fh.read()
            complete = data[: data.rfind(b"\n") + 1]
            self.offsets[path] = self.offsets.get(path, 0) + len(complete)
            for line in complete.splitlines():
                self.events.append(json.loads(line))
                new += 1
        self.refreshes += 1
        recent = pl.DataFrame(list(reversed(self.events[-50:])), infer_schema_length=None).select(
            [c for c in ("ts", "event", "task_id", "model", "router", "score", "cost_usd", "status", "task")
             if c in {k for e in self.events for k in e}])
        return FeedData(recent, new_events=new)

    def aggregates(self) -> DashboardData:
        outcomes = pl.DataFrame([e for e in self.events if e.get("event") == "outcome"],
                                schema={"ts": pl.String, "model": pl.String, "dimension": pl.String,
                                        "score": pl.Float64, "cost_usd": pl.Float64})
        runs = outcomes.height
        spend = float(outcomes["cost_usd"].sum()) if runs else 0.0
        avg = float(outcomes["score"].mean()) * 100 if runs else None
        totals = Totals(runs=runs, total_spend_usd=spend, avg_perf=avg, perf_per_dollar=(avg / spend) if runs else None,
                        cost_usd=spend,
                        since=outcomes["ts"].min()[:16] if runs else None,
                        until=outcomes["ts"].max()[:16] if runs else None)
        win = (outcomes.group_by("dimension", "model").agg(pl.col("score").mean().alias("win_rate"),
                                                         pl.len().alias("runs"))
               .with_columns((pl.col("win_rate") == pl.col("win_rate").max().over("dimension")).alias("leader"))
               .sort("dimension", "model"))
        per_model = outcomes.group_by("model").agg((pl.col("score").sum() / pl.col("cost_usd").sum()).alias("value"),
                                                   pl.len().alias("runs")).sort("model")
        spend_frame = (outcomes.with_columns(pl.col("ts").str.slice(0, 10).alias("day"))
                       .group_by("day", "model").agg(pl.col("cost_usd").sum()).sort("day", "model"))
        return DashboardData(totals, win, PerfBars(per_model, "points/$"), spend_frame)

    def route_detail(self, task_id: str) -> RouteDetail:
        records = {e["event"]: e for e in self.events if e.get("task_id") == task_id}
        if not records:
            raise ServiceError(f"{task_id}: no such task in the followed logs")
        route = records.get("route", {})
        decision = decision_view(route.get("task", ""), route["decision"]) if "decision" in route else None
        return RouteDetail(task_id, route.get("task", ""), decision, records.get("override"), records.get("outcome"))

    def regret(self) -> RegretData:
        runs = sum(1 for e in self.events if e.get("event") == "outcome")
        frame = pl.DataFrame({"cum_regret": [0.25 * (i + 1) for i in range(runs)]})
        return RegretData(frame, 0.25 * runs, "estimated")

    def load_embedder(self) -> None:
        if self.embed_gate is not None:
            self.embed_gate.wait(10)

    def ensure_memory(self) -> None:
        return None

    def router_view(self) -> RouterView:
        cells = [PriorCell(d, m, v[0], v[1], v[2], v[3]) for (d, m), v in sorted(self.cells.items())]
        s = self.settings
        fields = [SettingField("eps_perf", "ε1 (performance)", s.eps_perf, "× expected score"),
                  SettingField("eps_cost", "ε2 (cost)", s.eps_cost, f"× κ, κ = {s.cost_unit}"),
                  SettingField("k", "k (neighbours)", s.k, "tasks"),
                  SettingField("threshold", "threshold", s.threshold, "cosine similarity"),
                  SettingField("exploration", "exploration", s.exploration, "probability")]
        return RouterView(cells, fields, dirty=self.settings != self.saved)

    def set_setting(self, name: str, text: str) -> RouterView:
        try:
            value = int(text) if name == "k" else float(text)
            self.settings = self.settings.replace(**{name: value})
        except (ValueError, SettingsError) as exc:
            raise ServiceError(f"{name}: {exc}") from None
        return self.router_view()

    def set_cell(self, dimension: str, model: str, score_text: str, cost_text: str) -> RouterView:
        try:
            score, cost = float(score_text), float(cost_text)
        except ValueError:
            raise ServiceError("expected score and cost must be numbers") from None
        if not 0 <= score <= 1:
            raise ServiceError(f"score {score}: must be within [0, 1]")
        self.cells[(dimension, model)] = [score, cost, self.cells[(dimension, model)][2], True]
        return self.router_view()

    def save_router(self) -> Path:
        self.saved = self.settings
        return Path("router.toml")

    def reset_priors(self) -> RouterView:
        for value in self.cells.values():
            value[3] = False
        return self.router_view()

    def whatif(self) -> WhatIfView:
        def side(s: RouterSettings, spread: float) -> Interval:
            value = 60 + 10 * s.eps_cost
            return Interval(value, value - spread, value + spread)

        rows = [WhatIfRow("avg_perf", 58.0, side(self.saved, 2.0),
                          {"ips": side(self.settings, 4.0), "snips": side(self.settings, 3.0),
                           "dr": side(self.settings, 2.0)}),
                WhatIfRow("total_cost", 0.76, Interval(0.9, 0.8, 1.0),
                          {"ips": Interval(None, None, None), "snips": Interval(0.7, 0.6, 0.8),
                           "dr": Interval(0.72, 0.65, 0.8)})]
        frontier = pl.DataFrame({"eps_cost": [-0.5, -0.1, 0.0], "avg_perf": [55.0, 60.0, 62.0],
                                 "cost_usd": [0.5, 0.9, 1.0]})
        return WhatIfView(rows, routes=12, route_events=12, level=0.9, n_boot=200, frontier=frontier)

    def decide(self, task: str) -> DecisionView:
        if not task.strip():
            raise ServiceError("type a task first")
        s = self.settings
        scores = {"claude-sonnet-4-6": 0.8, "gpt-5.4": 0.7, "qwen3.5-plus": 0.55}
        rewards = {m: s.eps_perf * scores[m] + s.eps_cost * KAPPA[m] for m in MODELS}
        chosen = max(rewards, key=rewards.get)
        cands = [CandidateView(m, scores[m], 0.01 * (i + 1), rewards[m], 0.9 if m == chosen else 0.05,
                               {"prior": {"score": scores[m], "weight": 0.6, "n": 10},
                                "knn": {"score": scores[m], "weight": 0.4, "n": 3}})
                 for i, m in enumerate(MODELS)]
        return DecisionView(task, chosen, 0.9, "bug_fixing", "python", "medium", cands,
                            [{"task_id": "t-0001", "task": "fixture task 1", "model": "gpt-5.4", "score": 1.0,
                              "cost_usd": 0.02, "similarity": 0.81}])

    def launch(self, decision, model, on_progress, cancel) -> LaunchOutcome:
        self.launches.append((decision.chosen, model))
        on_progress("codex started")
        return LaunchOutcome("t-fake", model, "ok", 1.0, 0.02, "turn completed")

    def sprint(self, key: str, start: str | None = None, end: str | None = None,
               sprint_days: int = 14) -> SprintData:
        self.ingest()
        latest = max((datetime.fromisoformat(e["ts"].replace("Z", "+00:00")) for e in self.events if "ts" in e),
                     default=None)
        first, last, label = review_range(key, start, end, self.clock(), latest, sprint_days)
        frame = self._range_frame(first.isoformat(), last.isoformat())
        by_model = frame.group_by("model").agg(pl.col("cost_usd").sum()).sort("model")
        return SprintData(label, first.isoformat(), last.isoformat(),
                          Totals(runs=frame.height, total_spend_usd=float(frame["cost_usd"].sum())), by_model,
                          by_model.rename({"model": "dimension"}), by_model.rename({"model": "cwd"}),
                          by_model.rename({"model": "day"}), by_model.with_columns(pl.lit(True).alias("estimated")),
                          frame.head(5), frame.height)

    def export(self, data: SprintData, folder: Path, fmt: str) -> list[Path]:
        return [write_export(self._range_frame(data.since, data.until), folder / "events", fmt)]

    def _range_frame(self, first: str, last: str) -> pl.DataFrame:
        rows = [e for e in self.events if e.get("event") == "outcome" and first <= e["ts"][:10] <= last]
        return pl.DataFrame(rows, schema={"ts": pl.String, "task_id": pl.String, "model": pl.String,
                                          "cost_usd": pl.Float64})


async def wait_for_workers(pilot) -> None:
    """Let every worker finish and every message it posted be handled (no sleeps)."""
    for _ in range(2):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:  # an exclusive worker replaced by a newer one of its group: fine
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()
