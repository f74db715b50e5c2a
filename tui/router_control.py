"""The router as the dashboard drives it: its state built once, outcomes learned as they arrive, the priors and
settings view, validated edits, Save/Reset, the what-if of an edit, and the composer's decide and launch.

The state is built priors first (no embedding model: the router screen never waits for it); the log's tasks
enter its memory once the model has loaded. Every method may block: call them from worker threads only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from hooks.launcher import RouteLauncher
from router import whatif
from router.embedding import Embedder
from router.features import FeatureExtractor
from router.memory import Memory
from router.policy import TIE_RULE
from router.prior_context import context_path
from router.settings import KNOB_STEP, SettingsError
from router.state import RouterState
from tui.embedder_process import ProcessEmbedder
from tui.errors import ServiceError
from tui.session import SessionPaths
from tui.view_builders import decision_view, parse_number
from tui.viewdata import (
    DecisionView,
    Interval,
    LaunchOutcome,
    PriorCell,
    RouterView,
    SettingField,
    WhatIfRow,
    WhatIfView,
)

WHATIF_BOOT = 200
WHATIF_METRICS = ("avg_perf", "cost_per_task", "total_cost", "perf_per_dollar")
EDITABLE_SETTINGS = ("eps_perf", "eps_cost", "k", "threshold", "exploration")
PolicyEvents = Callable[..., pl.DataFrame]  # (since=None, until=None) -> the log's route/override/outcome records


class RouterControl:
    """One per dashboard run; ``policy_events`` reads the followed logs' raw route/override/outcome records."""

    def __init__(self, session: SessionPaths, embedder: Embedder | ProcessEmbedder,
                 policy_events: PolicyEvents) -> None:
        self.session = session
        self.embedder = embedder
        self.policy_events = policy_events
        self._state: RouterState | None = None
        self._state_lock = threading.RLock()
        self._memory_pending: pl.DataFrame | None = None  # log events whose tasks await the embedding model
        self._known: set[str] = set()  # task ids of outcomes the router state already holds
        self._known_since: datetime | None = None
        self._learned_at_start = 0  # outcomes of the logs a first start adds to the default priors
        self._learned_live = 0  # outcomes learned from the logs since the state was built
        self._launches = 0
        self._origin = ""
        self._features: FeatureExtractor | None = None

    def load_embedder(self) -> None:
        try:
            self.embedder.load()
        except Exception as exc:  # noqa: BLE001 - any load failure becomes a banner, the dashboard keeps running
            raise ServiceError(f"embedding model failed to load: {exc}") from None


    def state(self) -> RouterState:
        """The router state, built once: priors at once (no embedding model), memory when that model is loaded.

        Every outcome in the followed logs at this moment counts as known (learned here on a first start, or
        already in router.toml); ``learn_new_outcomes`` adds those that arrive later.
        """
        with self._state_lock:  # the router screen and the composer may ask at once: learn only once
            if self._state is None:
                try:
                    state = RouterState.load(self.session.config_dir, self.session.data_dir,
                                             rebuild_memory=self._memory_from_log)
                    events = self.policy_events()
                    self._origin = "router.toml" if state.state_path.exists() else state.priors.origin
                    if not state.state_path.exists() and events.height:  # a first start: the log adds to them
                        self._learned_at_start = state.learn_events(events)
                        self._memory_pending = events
                except ValueError as exc:
                    raise ServiceError(str(exc)) from None
                self._mark_known(events)
                self._state = state
            return self._state

    def _mark_known(self, events: pl.DataFrame) -> None:
        outcomes = events.filter(pl.col("event") == "outcome")
        self._known.update(outcomes["task_id"].drop_nulls().to_list())
        if outcomes.height:
            self._known_since = max(self._known_since or outcomes["ts"].max(), outcomes["ts"].max())

    def ensure_memory(self) -> None:
        """Embed the log's tasks into the router's memory once the embedding model is loaded (first start)."""
        with self._state_lock:
            if self._state is None or self._memory_pending is None:
                return
            self._state.rebuild_memory_from_events(self._memory_pending, self.embedder.encode)
            self._memory_pending = None

    def learn_new_outcomes(self) -> int:
        """Learn from outcomes appended to the followed logs since the state was built (hooks, other
        processes); a route launched here is learned by its launcher. How many outcomes were new."""
        with self._state_lock:
            if self._state is None or self._launches:
                return 0  # a launch in progress learns its own outcome: wait for it, then look again
            events = self.policy_events(since=self._known_since)
            fresh = events.filter((pl.col("event") != "outcome") | ~pl.col("task_id").is_in(list(self._known)))
            if fresh.filter(pl.col("event") == "outcome").height == 0:
                return 0
            encode = self.embedder.encode if self.embedder.loaded and self._memory_pending is None else None
            learned = self._state.learn_events(fresh, encode)
            self._mark_known(fresh)
            self._learned_live += learned
            if learned:
                try:
                    self._state.save_learned()
                except OSError as exc:
                    raise ServiceError(f"cannot save what the router learned: {exc}") from None
            return learned

    def _memory_from_log(self, capacity: int) -> Memory:
        """A damaged memory file is rebuilt from the outcomes of the logs this dashboard follows."""
        return Memory.from_events(self.policy_events(), self.embedder.encode, capacity=capacity)

    def router_view(self) -> RouterView:
        state = self.state()
        settings = state.settings
        cells = [PriorCell(path[0][1], model, cell.score, cell.cost, cell.n, cell.pinned)
                 for path, models in sorted(state.priors.cells.items()) if len(path) == 1 and path[0][0] == "dimension"
                 for model, cell in sorted(models.items()) if cell.score is not None]
        fields_ = [
            SettingField("eps_perf", "ε1 (performance)", settings.eps_perf, "× expected score s ∈ [0, 1]"),
            SettingField("eps_cost", "ε2 (cost)", settings.eps_cost, f"× κ, κ = {settings.cost_unit}; {KNOB_STEP}"),
            SettingField("k", "k (neighbours)", settings.k, "tasks"),
            SettingField("threshold", "threshold", settings.threshold, "cosine similarity"),
            SettingField("exploration", "exploration", settings.exploration, "probability"),
        ]
        if not cells:
            source = (f"No evidence yet: no priors and no scored outcomes in the followed logs. Until outcomes "
                      f"arrive every model is a guess and the router picks by {TIE_RULE}.")
        else:
            source = f"Priors from {self._origin or 'no probing data'}"
            if self._learned_at_start:
                source += f" + {self._learned_at_start} outcomes in the followed logs"
            if self._learned_live:
                source += f"; +{self._learned_live} outcomes appended to the followed logs learned since start"
        memory = ("memory: waits for the embedding model" if self._memory_pending is not None
                  else f"memory: {len(state.memory)} past tasks")
        return RouterView(cells=cells, settings=fields_, dirty=state.dirty, source=f"{source} · {memory}",
                          memory_pending=self._memory_pending is not None)

    def set_setting(self, name: str, text: str) -> RouterView:
        if name not in EDITABLE_SETTINGS:
            raise ServiceError(f"{name}: not an editable setting")
        state = self.state()
        value = parse_number(name, text, integer=name == "k")
        try:
            state.settings = state.settings.replace(**{name: value})
        except SettingsError as exc:
            raise ServiceError(str(exc)) from None
        return self.router_view()

    def set_cell(self, dimension: str, model: str, score_text: str, cost_text: str) -> RouterView:
        state = self.state()
        score = parse_number("expected score", score_text)
        cost = parse_number("expected cost", cost_text)

        try:
            state.priors.edit(context_path(dimension, None, ()), model, score=score, cost_usd=cost, pin=True)
        except ValueError as exc:
            raise ServiceError(str(exc)) from None
        return self.router_view()

    def save_router(self) -> Path:
        state = self.state()
        try:
            path = state.save()
        except OSError as exc:
            raise ServiceError(f"cannot save router state: {exc}") from None
        return path

    def reset_priors(self) -> RouterView:
        self.state().reset_priors()
        return self.router_view()

    def whatif(self) -> WhatIfView | None:
        """Off-policy estimates (IPS, SNIPS, doubly robust, with bootstrap intervals) of the edited, unsaved
        setting beside the saved one and beside what the logged routes did.

        Only an edit of prior cells re-scores the logged decisions with a priors table (today's, for both sides,
        so the difference is the edit alone). An edit of settings keeps each route's logged votes, as
        `codex-router whatif` does: today's table, learned from the whole log, would choose differently from
        the router that wrote it on most routes and leave the estimate without support.
        """
        state = self.state()
        sample = whatif.logged_sample(self.policy_events())
        if not sample.routes:
            raise ServiceError("what-if: no logged policy routes with outcomes to estimate from yet")
        tables = (state.priors, state.saved_priors()) if state.priors_edited else (None, None)
        options = {"priors": tables[0], "current_priors": tables[1], "sample": sample}
        try:
            report = whatif.estimate_setting(None, state.saved_settings, state.settings, n_boot=WHATIF_BOOT, **options)
            front = whatif.frontier(None, state.saved_settings, state.settings, estimator="dr", **options)
        except whatif.WhatIfError as exc:
            raise ServiceError(str(exc)) from None

        def cell(estimate: Any) -> Interval:
            return Interval(estimate.value, estimate.low, estimate.high)

        candidate = report.candidate.estimates
        rows = [WhatIfRow(metric, report.observed.get(metric), cell(report.today.estimates["dr"][metric]),
                          {name: cell(candidate[name][metric]) for name in ("ips", "snips", "dr")})
                for metric in WHATIF_METRICS]
        points = pl.DataFrame([{"eps_cost": p.eps_cost, "avg_perf": p.avg_perf.value, "cost_usd": p.total_cost.value}
                               for p in front.points], schema={"eps_cost": pl.Float64, "avg_perf": pl.Float64,
                                                               "cost_usd": pl.Float64}).drop_nulls()
        notes = [reason for reason in {report.today.support.reason, report.candidate.support.reason} if reason]
        return WhatIfView(rows=rows, routes=len(sample.routes), route_events=report.counts.get("route_events", 0),
                          level=report.level, n_boot=report.n_boot, frontier=points,
                          notes=notes + list(report.warnings))

    # -- composer ------------------------------------------------------------------------------------
    def extractor(self) -> FeatureExtractor:
        """One per run; its classifier caches vectors in the session's data dir (a demo's temporary one)."""
        if self._features is None:
            self._features = FeatureExtractor(self.embedder, data_dir=self.session.data_dir)
        return self._features

    def decide(self, task: str, cwd: Path) -> DecisionView:
        """The router's decision and its explanation, before anything runs (launch re-decides and logs)."""
        text = task.strip()
        if not text:
            raise ServiceError("type a task first")
        features = self.extractor().extract(text, {"cwd": str(cwd)})  # loads the embedding model if need be
        state = self.state()
        self.ensure_memory()
        decision = state.router().decide(features)
        return decision_view(text, decision.to_log())

    def launch(self, decision: DecisionView, model: str, on_progress: Callable[[str], None],
               cancel: threading.Event, cwd: Path) -> LaunchOutcome:
        """Run the route; picking another model than the router's is logged as an override."""
        launcher = RouteLauncher(self.session.write_log, state=self.state(), extractor=self.extractor())
        with self._state_lock:
            self._launches += 1
        result = None
        try:
            result = launcher.run(decision.task, model=None if model == decision.chosen else model, cwd=cwd,
                                  on_progress=lambda kind, message: on_progress(f"{kind}: {message}"),
                                  cancel=cancel)
        except (OSError, ValueError) as exc:
            raise ServiceError(f"cannot launch: {exc}") from None
        finally:
            with self._state_lock:
                self._launches -= 1
                if result is not None:
                    self._known.add(result.task_id)  # its launcher has learned it
        return LaunchOutcome(task_id=result.task_id, model=result.model, status=result.status,
                             score=result.score, cost_usd=result.cost_usd, message=result.message)
