"""The only module in `tui/` that calls into analytics, router and hooks.

Screens and workers talk to a ``Services`` object and get plain view data back (``tui.viewdata``), so the
UI holds no SQL, cost arithmetic or routing math, and every flow can be tested against a fake service.
Every method here may block (DuckDB, embeddings, subprocesses): call them from worker threads only.
Failures the user can act on are raised as ``ServiceError`` with a one-line message.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from analytics import paths
from tui.config import DEFAULT_SPRINT_DAYS
from tui.embedder_process import ProcessEmbedder
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

RECENT_LIMIT = 50
FEED_EVENTS = ("route", "outcome", "override")
CHART_POINTS = 2000
EXPENSIVE_LIMIT = 20
RANGES = {"auto": "Latest data", "today": "Today", "week": "This week", "7d": "Last 7 days", "14d": "Last 14 days",
          "sprint": "Last sprint", "custom": "Custom"}
EXPORT_TABLES = ("by_model", "by_dimension", "by_project", "usage", "always", "expensive")
WHATIF_BOOT = 200
WHATIF_METRICS = ("avg_perf", "cost_per_task", "total_cost", "perf_per_dollar")
EDITABLE_SETTINGS = ("eps_perf", "eps_cost", "k", "threshold", "exploration")


class ServiceError(Exception):
    """A failure the user can act on (locked DB, unreadable log, bad value): shown as a notification."""


@dataclass
class SessionPaths:
    """Where this run reads and writes; demo mode keeps every write in a temporary folder."""

    logs: list[Path]
    db: Path
    write_log: Path
    demo: bool = False
    reason: str = ""  # why demo mode (shown in the header)
    scratch: Path | None = None


def resolve_paths(logs: list[str] | None, codex_home: str | None, db: str | None, demo: bool) -> SessionPaths:
    """Demo mode — asked for, or no log exists yet — reads sample_logs/ and writes to a temp DB and log."""
    chosen = [Path(p).expanduser() for p in logs] if logs else [paths.default_log_path(codex_home)]
    reason = ""
    if not demo and not logs and not chosen[0].exists():
        demo, reason = True, f"no log at {chosen[0]} yet"
    if demo:
        scratch = Path(tempfile.mkdtemp(prefix="codex-router-tui-demo-"))
        samples = sorted(paths.sample_log_dir().glob("*.jsonl"))
        write_log = scratch / paths.LOG_FILENAME
        return SessionPaths(logs=[*samples, write_log], db=scratch / "demo.duckdb", write_log=write_log,
                            demo=True, reason=reason or "--demo", scratch=scratch)
    return SessionPaths(logs=chosen, db=Path(db).expanduser() if db else paths.default_db_path(chosen, codex_home),
                        write_log=chosen[0])


def parse_day(text: str, field: str) -> date:
    """A day typed as YYYY-MM-DD or YYYYMMDD (as `codex-router report` takes it)."""
    cleaned = text.strip()
    try:
        if len(cleaned) == 8 and cleaned.isdigit():
            return date(int(cleaned[:4]), int(cleaned[4:6]), int(cleaned[6:]))
        return date.fromisoformat(cleaned)
    except ValueError:
        raise ServiceError(f"{field} {cleaned!r}: use YYYY-MM-DD or YYYYMMDD") from None


def review_range(key: str, start: str | None, end: str | None, now: datetime, latest: datetime | None,
                 sprint_days: int) -> tuple[date, date, str]:
    """The review's first and last day (both included, UTC) and its label.

    ``auto`` is the last 7 days when they hold data, else the last sprint ending at the latest data (the demo's
    data is from another week than today's). ``sprint`` is ``sprint_days`` days ending at the latest data.
    """
    today = now.astimezone(UTC).date()
    last_data = latest.date() if latest is not None else None
    if key == "auto":
        key = "7d" if last_data is None or last_data > today - timedelta(days=7) else "sprint"
        if key == "sprint":
            first, last, label = review_range("sprint", None, None, now, latest, sprint_days)
            return first, last, f"{label}; none in the last 7 days"
    if key == "today":
        return today, today, RANGES[key]
    if key == "week":
        return today - timedelta(days=today.weekday()), today, RANGES[key]
    if key in ("7d", "14d"):
        return today - timedelta(days=int(key[:-1]) - 1), today, RANGES[key]
    if key == "sprint":
        last = last_data or today
        return last - timedelta(days=sprint_days - 1), last, f"Last sprint, {sprint_days} days to the latest data"
    if key == "custom":
        if not (start or "").strip():
            raise ServiceError("custom range: type a start day (YYYY-MM-DD)")
        first = parse_day(start or "", "start")
        last = parse_day(end, "end") if (end or "").strip() else today
        if last < first:
            raise ServiceError(f"end {last} is before start {first}")
        return first, last, "Custom"
    raise ServiceError(f"unknown range {key!r}; one of {', '.join(RANGES)}")


class Services:
    """Real implementation over analytics.Store/LogIngester/queries, router.RouterState and hooks.launcher."""

    def __init__(self, session: SessionPaths, clock: Callable[[], datetime] | None = None,
                 embedder: Any = None) -> None:
        self.session = session
        self.embedder = embedder if embedder is not None else ProcessEmbedder()  # torch stays out of the UI process
        self.clock = clock or (lambda: datetime.now(UTC))
        self._store: Any = None
        self._ingester: Any = None
        self._state: Any = None
        self._lock = threading.RLock()
        self._state_lock = threading.RLock()
        self._memory_pending: pl.DataFrame | None = None  # log events whose tasks await the embedding model
        self._known: set[str] = set()  # task ids of outcomes the router state already holds
        self._known_since: datetime | None = None
        self._learned_at_start = 0  # outcomes of the logs a first start adds to the default priors
        self._learned_live = 0  # outcomes learned from the logs since the state was built
        self._launches = 0
        self._origin = ""
        self._features: Any = None
        self.cwd = Path.cwd()

    # -- lifecycle ---------------------------------------------------------------------------------
    def open(self) -> None:
        from analytics.ingest import LogIngester
        from analytics.prices import PriceBook, PriceFileError
        from analytics.store import Store, StoreError

        with self._lock:
            if self._store is not None:
                return
            try:
                self._store, _rebuilt = Store.open_or_rebuild(self.session.db)
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
        close_embedder = getattr(self.embedder, "close", None)
        if close_embedder is not None:
            close_embedder()
        if self.session.scratch is not None:
            shutil.rmtree(self.session.scratch, ignore_errors=True)

    # -- dashboard ---------------------------------------------------------------------------------
    def ingest(self) -> FeedData:
        """Ingest what was appended since the last call (never re-reading the file) and read the feed."""
        from analytics import queries

        with self._lock:
            result = self._poll()
            recent = queries.recent_events(self._store, limit=RECENT_LIMIT * 4)
        learned = self.learn_new_outcomes() if result.new_events else 0
        return FeedData(recent=recent.filter(pl.col("event").is_in(FEED_EVENTS)).head(RECENT_LIMIT),
                        new_events=result.new_events, new_malformed=result.new_malformed, learned=learned)

    def aggregates(self) -> DashboardData:
        """Totals, win rates, Perf/$ and spend over everything ingested so far."""
        from analytics import queries

        self.open()
        with self._lock:
            store = self._store
            spend = queries.spend_by_day(store)
            return DashboardData(
                totals=_totals(queries.totals(store)),
                win_rates=queries.dimension_model_stats(store).rename({"runs": "n"}),
                perf=perf_bars(queries.model_stats(store)),
                spend=spend.rename({"cost_usd": "spend_usd"}),
            )

    def route_detail(self, task_id: str) -> RouteDetail:
        """Everything the log holds about one task, read back from the log lines themselves."""
        from analytics import queries

        self.open()
        with self._lock:
            detail = queries.route_detail(self._store, task_id)
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
        from analytics import queries

        self.open()
        frame = queries.regret_over_time(self._store)
        summary = queries.regret_summary(frame)
        step = max(1, frame.height // CHART_POINTS)
        series = (frame.select(pl.int_range(1, frame.height + 1).alias("task"), pl.col("cumulative").alias("cum_regret"))
                  .gather_every(step))
        kind = summary["kind"] if summary["kind"] != "none" else "no data"
        return RegretData(series, summary["cumulative"] if kind != "no data" else None, kind)

    # -- embedding -----------------------------------------------------------------------------------
    def load_embedder(self) -> None:
        try:
            self.embedder.load()
        except Exception as exc:  # noqa: BLE001 - any load failure becomes a banner, the dashboard keeps running
            raise ServiceError(f"embedding model failed to load: {exc}") from None

    # -- router control ------------------------------------------------------------------------------
    def _router_state(self) -> Any:
        """The router state, built once: priors at once (no embedding model), memory when that model is loaded.

        Every outcome in the followed logs at this moment counts as known (learned here on a first start, or
        already in router.toml); ``learn_new_outcomes`` adds those that arrive later.
        """
        from router.state import RouterState

        with self._state_lock:  # the router screen and the composer may ask at once: learn only once
            if self._state is None:
                try:
                    state = RouterState.load(rebuild_memory=self._memory_from_log)
                    events = self._policy_events()
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
            events = self._policy_events(since=self._known_since)
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

    def _memory_from_log(self, capacity: int) -> Any:
        """A damaged memory file is rebuilt from the outcomes of the logs this dashboard follows."""
        from router.memory import Memory

        return Memory.from_events(self._policy_events(), self.embedder.encode, capacity=capacity)

    def router_view(self) -> RouterView:
        from router.policy import TIE_RULE
        from router.settings import KNOB_STEP

        state = self._router_state()
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
        from router.settings import SettingsError

        if name not in EDITABLE_SETTINGS:
            raise ServiceError(f"{name}: not an editable setting")
        state = self._router_state()
        value = _parse_number(name, text, integer=name == "k")
        try:
            state.settings = state.settings.replace(**{name: value})
        except SettingsError as exc:
            raise ServiceError(str(exc)) from None
        return self.router_view()

    def set_cell(self, dimension: str, model: str, score_text: str, cost_text: str) -> RouterView:
        state = self._router_state()
        score = _parse_number("expected score", score_text)
        cost = _parse_number("expected cost", cost_text)
        from router.priors import context_path

        try:
            state.priors.edit(context_path(dimension, None, ()), model, score=score, cost_usd=cost, pin=True)
        except ValueError as exc:
            raise ServiceError(str(exc)) from None
        return self.router_view()

    def save_router(self) -> Path:
        state = self._router_state()
        try:
            path = state.save()
        except OSError as exc:
            raise ServiceError(f"cannot save router state: {exc}") from None
        return path

    def reset_priors(self) -> RouterView:
        self._router_state().reset_priors()
        return self.router_view()

    def whatif(self) -> WhatIfView | None:
        """Off-policy estimates (IPS, SNIPS, doubly robust, with bootstrap intervals) of the edited, unsaved
        setting beside the saved one and beside what the logged routes did.

        Only an edit of prior cells re-scores the logged decisions with a priors table (today's, for both sides,
        so the difference is the edit alone). An edit of settings keeps each route's logged votes, as
        `codex-router whatif` does: today's table, learned from the whole log, would choose differently from
        the router that wrote it on most routes and leave the estimate without support.
        """
        from router import whatif

        state = self._router_state()
        sample = whatif.logged_sample(self._policy_events())
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

    def _policy_events(self, since: date | datetime | None = None, until: date | None = None) -> pl.DataFrame:
        """The raw route/override/outcome records the what-if estimators read."""
        from analytics import queries

        self._poll()
        with self._lock:
            frame = queries.range_events(self._store, since=since, until=until)
        return frame.filter(pl.col("event").is_in(["route", "override", "outcome"])).select(
            "event", "task_id", "ts", "raw", "raw_error")

    # -- composer ------------------------------------------------------------------------------------
    def _extractor(self) -> Any:
        from router.features import FeatureExtractor

        if self._features is None:
            self._features = FeatureExtractor(self.embedder)
        return self._features

    def decide(self, task: str) -> DecisionView:
        """The router's decision and its explanation, before anything runs (launch re-decides and logs)."""
        text = task.strip()
        if not text:
            raise ServiceError("type a task first")
        features = self._extractor().extract(text, {"cwd": str(self.cwd)})  # loads the embedding model if need be
        state = self._router_state()
        self.ensure_memory()
        decision = state.router().decide(features)
        return decision_view(text, decision.to_log())

    def launch(self, decision: DecisionView, model: str, on_progress: Callable[[str], None],
               cancel: threading.Event) -> LaunchOutcome:
        """Run the route; picking another model than the router's is logged as an override."""
        from hooks.launcher import RouteLauncher

        launcher = RouteLauncher(self.session.write_log, state=self._router_state(), extractor=self._extractor())
        with self._state_lock:
            self._launches += 1
        result = None
        try:
            result = launcher.run(decision.task, model=None if model == decision.chosen else model, cwd=self.cwd,
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

    # -- sprint review -------------------------------------------------------------------------------
    def sprint(self, key: str, start: str | None = None, end: str | None = None,
               sprint_days: int = DEFAULT_SPRINT_DAYS) -> SprintData:
        """Every table of the review for one range of whole UTC days."""
        from analytics import queries
        from router import whatif

        self._poll()
        with self._lock:
            store = self._store
            latest = queries.totals(store).row(0, named=True).get("last_run")
            first, last, label = review_range(key, start, end, self.clock(), latest, sprint_days)
            since, until = first, last  # a date `until` includes that whole day
            regret = queries.regret_summary(queries.regret_over_time(store, since=since, until=until))
            totals = _totals(queries.totals(store, since=since, until=until), regret)
            by_model = queries.model_stats(store, since=since, until=until)
            by_dimension = queries.spend_by_dimension(store, since=since, until=until)
            by_project = queries.spend_by_project(store, since=since, until=until)
            usage = _usage(store, since, until)
            expensive = queries.most_expensive_tasks(store, since=since, until=until, limit=EXPENSIVE_LIMIT)
            events = queries.totals(store, since=since, until=until)["events"][0]
        always = pl.DataFrame(whatif.always_model_estimates(self._policy_events(since, until)))
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
        from analytics import queries

        stem = f"review-{data.since}-to-{data.until}"
        written = [write_export(_aware(getattr(data, name)), folder / f"{stem}-{name}", fmt) for name in EXPORT_TABLES]
        with self._lock:
            events = queries.range_events(self._store, since=data.since, until=data.until)
        written.append(write_export(_aware(events), folder / f"{stem}-events", fmt))
        return written


def _usage(store: Any, since: date, until: date) -> pl.DataFrame:
    """Tokens and cost per UTC day and model (ccusage's daily view), the query `codex-router report daily` uses."""
    from analytics import queries

    frame = queries.usage_by_period(store, period="day", since=since, until=until)
    return frame.select("period", "model", "input", "cached_input", "cache_write", "output", "reasoning",
                        "total_tokens", "cost_usd")


def _aware(frame: pl.DataFrame) -> pl.DataFrame:
    """Naive UTC timestamps (as the store keeps them) marked UTC, so a spreadsheet or pandas reads them right."""
    naive = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime) and dtype.time_zone is None]
    return frame.with_columns(pl.col(naive).dt.replace_time_zone("UTC")) if naive else frame


def write_export(frame: pl.DataFrame, target: Path, fmt: str) -> Path:
    """Write to a temp file beside ``target`` and rename, so a failed export leaves nothing half-written."""
    if fmt not in ("csv", "parquet"):
        raise ServiceError(f"export format {fmt!r}: csv or parquet")
    target = target.expanduser()
    if target.suffix != f".{fmt}":
        target = target.with_name(target.name + f".{fmt}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as tmp:
            tmp_path = Path(tmp.name)
        nested = [name for name, dtype in frame.schema.items() if dtype.is_nested()]
        flat = frame.with_columns(pl.col(nested).map_elements(str, return_dtype=pl.String)) if nested else frame
        (flat.write_csv if fmt == "csv" else frame.write_parquet)(tmp_path)
        tmp_path.replace(target)
    except OSError as exc:
        raise ServiceError(f"cannot export to {target}: {exc.strerror or exc}") from None
    return target


def _parse_number(name: str, text: str, integer: bool = False) -> float | int:
    cleaned = text.strip()
    try:
        return int(cleaned) if integer else float(cleaned)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise ServiceError(f"{name}: {cleaned!r} is not {kind}") from None


def perf_bars(by_model: pl.DataFrame) -> PerfBars:
    """Per-model efficiency as a per-task figure (points per dollar), so a model's figure does not fall the
    more it is used (DESIGN §3); the router-level Perf/$ stays in the totals."""
    from analytics.queries import MIN_RUNS

    return PerfBars(by_model.select("model", pl.col("points_per_usd").alias("value"), pl.col("priced_runs").alias("runs")),
                    f"points/$ = Σscore ÷ Σ$, n ≥ {MIN_RUNS}")


def _totals(frame: pl.DataFrame, regret: dict[str, Any] | None = None) -> Totals:
    """The totals query's one row (and a regret summary) → Totals (the window spans the runs, not failed starts)."""
    if frame.height == 0:
        return Totals()
    row = frame.row(0, named=True)
    first, last = row.get("first_run"), row.get("last_run")
    return Totals(
        runs=int(row.get("runs") or 0),
        spend_usd=row.get("total_spend_usd", row.get("cost_usd")),
        avg_perf=row.get("avg_perf"),
        perf_per_usd=row.get("perf_per_dollar"),
        since=None if first is None else str(first)[:16],
        until=None if last is None else str(last)[:16],
        unpriced_runs=int(row.get("unpriced_runs") or 0),
        failed_starts=int(row.get("failed_starts") or 0),
        spend_runs_usd=row.get("cost_usd"),
        regret=regret["cumulative"] if regret and regret["kind"] != "none" else None,
        regret_kind=regret["kind"] if regret and regret["kind"] != "none" else "no data",
    )


def decision_view(task: str, logged: dict[str, Any]) -> DecisionView:
    """A `decision` object as the route event logs it (docs/architecture.md) → what the composer shows."""
    features = logged.get("features", {})
    candidates = [CandidateView(model=c["model"], exp_score=c["exp_score"], exp_cost_usd=c.get("exp_cost_usd"),
                                reward=c["reward"], prob=c["prob"], votes=c.get("votes", {}))
                  for c in logged.get("candidates", [])]
    return DecisionView(task=task, chosen=logged["chosen"], propensity=logged["propensity"],
                        dimension=features.get("dimension"), language=features.get("language"),
                        difficulty=features.get("difficulty"), candidates=candidates,
                        neighbours=list(logged.get("neighbours", [])), basis=logged.get("basis") or "",
                        basis_note=logged.get("basis_note") or "")
