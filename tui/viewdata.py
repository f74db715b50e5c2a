"""Plain data the screens render. `tui.live_services` fills these from analytics/router/hooks; widgets only draw them.

Keeping the shapes here (and not the domain objects themselves) lets every widget and its Pilot test run
against a fake service, and keeps the UI free of SQL, cost arithmetic and routing math.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl


@dataclass(frozen=True)
class Totals:
    runs: int = 0
    total_spend_usd: float | None = 0.0  # the runs and Codex-only sessions together
    avg_perf: float | None = None  # AvgPerf% (0..100)
    perf_per_dollar: float | None = None
    regret: float | None = None
    regret_kind: str = "estimated"  # "oracle" | "estimated" | "no data"
    since: str | None = None
    until: str | None = None
    unpriced_runs: int = 0
    failed_starts: int = 0  # launches that never ran (codex_missing): not runs, shown apart
    cost_usd: float | None = None  # what the runs cost (Perf/$ divides by this)


@dataclass(frozen=True)
class PerfBars:
    """Per-model cost-efficiency (``frame``: model, value, runs) and the unit it is in, said on screen."""

    frame: pl.DataFrame
    unit: str


@dataclass(frozen=True)
class DashboardData:
    """One refresh of every main-screen panel, posted by the ingest worker as a single message.

    Frames: ``win_rates`` (dimension, model, win_rate 0..1, runs, leader), ``spend`` (day, model, cost_usd);
    ``perf`` the per-model efficiency bars. The feed (``FeedData``) comes first, regret
    (``RegretData``) last: new lines reach the screen without waiting for the slower aggregates.
    """

    totals: Totals
    win_rates: pl.DataFrame
    perf: PerfBars
    spend: pl.DataFrame


@dataclass(frozen=True)
class FeedData:
    """What one ingest read, and the latest routes/outcomes (ts, event, task_id, model, router, score,
    cost_usd, status, task), newest first."""

    recent: pl.DataFrame
    new_events: int = 0
    new_malformed: int = 0
    learned: int = 0  # new outcomes the router learned from


@dataclass(frozen=True)
class RegretData:
    """Cumulative regret (``frame``: task (its 1-based number), cum_regret; thinned for drawing) and its label."""

    frame: pl.DataFrame
    cumulative: float | None
    kind: str  # "oracle" | "estimated" | "no data"


@dataclass(frozen=True)
class PriorCell:
    dimension: str
    model: str
    exp_score: float
    exp_cost_usd: float | None
    count: int
    pinned: bool


@dataclass(frozen=True)
class SettingField:
    """One editable router setting with the unit shown beside it (ε units must be visible where edited)."""

    name: str
    label: str
    value: Any
    unit: str = ""


@dataclass(frozen=True)
class RouterView:
    cells: list[PriorCell]
    settings: list[SettingField]
    dirty: bool = False
    source: str = ""  # where the priors came from, what the router learns from, or that it has no evidence
    memory_pending: bool = False  # the log's tasks wait for the embedding model to enter the router's memory


@dataclass(frozen=True)
class Interval:
    """An estimate and its bootstrap interval (all None when the log gives it too little support)."""

    value: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class WhatIfRow:
    """One metric: what the logged routes did, the saved setting (DR) and the edited one by each estimator."""

    metric: str  # avg_perf | cost_per_task | total_cost | perf_per_dollar
    logged: float | None
    saved: Interval
    edited: dict[str, Interval]  # ips, snips, dr


@dataclass(frozen=True)
class WhatIfView:
    """Estimates of the saved and the edited setting on the logged routes, labelled as estimates."""

    rows: list[WhatIfRow]
    routes: int  # logged policy routes with outcomes the estimates use
    route_events: int
    level: float
    n_boot: int
    frontier: pl.DataFrame = field(default_factory=pl.DataFrame)  # eps_cost, avg_perf, cost_usd
    notes: list[str] = field(default_factory=list)  # why an estimate is missing, caveats of the sample


@dataclass(frozen=True)
class CandidateView:
    model: str
    exp_score: float
    exp_cost_usd: float | None
    reward: float
    prob: float
    votes: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class DecisionView:
    task: str
    chosen: str
    propensity: float
    dimension: str | None
    language: str | None
    difficulty: str | None
    candidates: list[CandidateView]
    neighbours: list[dict[str, Any]]
    basis: str = ""  # "evidence" | "tie" | "no_evidence" (the router's own word; "" when it did not say)
    basis_note: str = ""  # what that means and what the router does about it, for people


@dataclass(frozen=True)
class LaunchOutcome:
    task_id: str
    model: str
    status: str
    score: float | None
    cost_usd: float | None
    message: str


@dataclass(frozen=True)
class SprintData:
    """One range of the sprint review: whole UTC days ``since``..``until`` (both included, YYYY-MM-DD)."""

    label: str
    since: str
    until: str
    totals: Totals
    by_model: pl.DataFrame
    by_dimension: pl.DataFrame
    by_project: pl.DataFrame
    usage: pl.DataFrame  # tokens and cost per day and model
    always: pl.DataFrame  # model, avg_perf, cost_usd, perf_per_dollar (estimates)
    expensive: pl.DataFrame
    events: int


@dataclass(frozen=True)
class RouteDetail:
    """One route, whole: the decision and why, a manual override, and what the run did and cost."""

    task_id: str
    task: str
    decision: DecisionView | None
    override: dict[str, Any] | None  # model, proposed_model
    outcome: dict[str, Any] | None  # status, model, score, verifier, tokens, cost_usd, latency_ms, exit_code
    missing: list[str] = field(default_factory=list)  # lines the log no longer holds
