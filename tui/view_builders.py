"""Query results and router objects → the shapes screens show (``tui.viewdata``); no I/O here."""

from __future__ import annotations

from typing import Any

import polars as pl

from analytics.metrics import MIN_RUNS
from tui.errors import ServiceError
from tui.viewdata import CandidateView, DecisionView, PerfBars, Totals


def parse_number(name: str, text: str, integer: bool = False) -> float | int:
    """A number typed into a form field; ServiceError names the field."""
    cleaned = text.strip()
    try:
        return int(cleaned) if integer else float(cleaned)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise ServiceError(f"{name}: {cleaned!r} is not {kind}") from None


def perf_bars(by_model: pl.DataFrame) -> PerfBars:
    """Per-model efficiency as a per-task figure (points per dollar), so a model's figure does not fall the
    more it is used (DESIGN §3); the router-level Perf/$ stays in the totals."""
    return PerfBars(by_model.select("model", pl.col("points_per_usd").alias("value"), pl.col("priced_runs").alias("runs")),
                    f"points/$ = Σscore ÷ Σ$, n ≥ {MIN_RUNS}")


def totals_view(frame: pl.DataFrame, regret: dict[str, Any] | None = None) -> Totals:
    """The totals query's one row (and a regret summary) → Totals (the window spans the runs, not failed starts)."""
    if frame.height == 0:
        return Totals()
    row = frame.row(0, named=True)
    first, last = row.get("first_run"), row.get("last_run")
    return Totals(
        runs=int(row.get("runs") or 0),
        total_spend_usd=row.get("total_spend_usd", row.get("cost_usd")),
        avg_perf=row.get("avg_perf"),
        perf_per_dollar=row.get("perf_per_dollar"),
        since=None if first is None else str(first)[:16],
        until=None if last is None else str(last)[:16],
        unpriced_runs=int(row.get("unpriced_runs") or 0),
        failed_starts=int(row.get("failed_starts") or 0),
        cost_usd=row.get("cost_usd"),
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
