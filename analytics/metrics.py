"""Each figure the product reports, defined once: its SQL form (DuckDB queries over the log) beside its
numpy form (benchmark replays, off-policy estimates, the launcher's price of one run).

Why one module: the same number was written five ways and drifted. ``tests/analytics/test_metrics.py``
checks that each SQL form and its numpy form agree on the same rows. Definitions (DESIGN §3):

- AvgPerf% = 100 x mean score of the chosen models.
- Perf/$ (router level, the paper's) = AvgPerf% / total USD of the same runs; none when nothing was spent.
- points/$ (per model or task group) = sum of scores / sum of USD over the scored, priced runs; none under
  ``MIN_RUNS`` such runs (one run is luck).
- win rate = share of scored runs whose score reaches ``win_threshold`` (the win cut-off; a bare
  ``threshold`` is the router's kNN similarity cut-off, ``RouterSettings.threshold``).
- regret of one run = best score any model got (oracle) or was expected to get (estimated) - the chosen
  model's, never below 0; cumulative regret = its sum.
- token cost of one request = (uncached input x input rate + cached input x cached rate + cache writes x
  cache-write rate (else the input rate) + output x output rate) / 1e6, rates in USD per million tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported by the functions that use it: the constants must stay cheap to import
    import numpy as np

MIN_RUNS = 3  # below this many scored, priced runs there is no points/$ nor Perf/$: one run is luck
WIN_THRESHOLD = 0.5  # default win cut-off on a [0, 1] score


# ------------------------------------------------------------------------------------------- AvgPerf%

def avg_perf(scores: Sequence[float]) -> float:
    """AvgPerf% = 100 x mean score of the chosen models (0 for no tasks)."""
    import numpy as np

    return 100.0 * float(np.mean(scores)) if len(scores) else 0.0


def avg_perf_sql(score: str = "score") -> str:
    return f"100 * avg({score})"


# ------------------------------------------------------------------------------------------- Perf/$

def perf_per_dollar(avg_perf_pct: float, total_usd: float) -> float | None:
    """Router-level Perf/$ = AvgPerf% / total USD; None when nothing was spent (the ratio means nothing)."""
    return avg_perf_pct / total_usd if total_usd > 0 else None


def perf_per_dollar_array(avg_perf_pct: np.ndarray, total_usd: np.ndarray) -> np.ndarray:
    """``perf_per_dollar`` element-wise (bootstrap resamples): NaN where nothing was spent."""
    import numpy as np

    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total_usd > 0, avg_perf_pct / np.where(total_usd > 0, total_usd, 1.0), np.nan)


def perf_per_dollar_sql(avg_perf_pct: str, total_usd: str) -> str:
    return f"CASE WHEN {total_usd} > 0 THEN {avg_perf_pct} / {total_usd} END"


# ------------------------------------------------------------------------------------------- points/$

def points_per_usd_sql(min_runs: int = MIN_RUNS, score: str = "score", cost: str = "cost") -> str:
    """Aggregates ``priced_runs`` (scored and costed) and ``points_per_usd``, null under ``min_runs`` of them."""
    priced = f"FILTER (WHERE {score} IS NOT NULL AND {cost} IS NOT NULL)"
    return (f"count(*) {priced} AS priced_runs, "
            f"CASE WHEN count(*) {priced} >= {int(min_runs)} AND sum({cost}) {priced} > 0 "
            f"THEN sum({score}) {priced} / sum({cost}) {priced} END AS points_per_usd")


def points_per_usd(scores: Sequence[float | None], costs: Sequence[float | None],
                   min_runs: int = MIN_RUNS) -> float | None:
    """``points_per_usd_sql`` on one group of runs (None stands for a missing score or cost)."""
    pairs = [(s, c) for s, c in zip(scores, costs, strict=True) if s is not None and c is not None]
    spent = sum(c for _, c in pairs)
    return sum(s for s, _ in pairs) / spent if len(pairs) >= min_runs and spent > 0 else None


# ------------------------------------------------------------------------------------------- win rate

def win_rate_sql(score: str = "score", win_threshold: str = "?") -> str:
    """Share of scored runs at or above the win cut-off (a bound parameter by default); unscored runs don't count."""
    return f"avg(CASE WHEN {score} >= {win_threshold} THEN 1.0 WHEN {score} IS NOT NULL THEN 0.0 END)"


def win_rate(scores: Sequence[float | None], win_threshold: float = WIN_THRESHOLD) -> float | None:
    scored = [s for s in scores if s is not None]
    return sum(s >= win_threshold for s in scored) / len(scored) if scored else None


# ------------------------------------------------------------------------------------------- regret

def regret(best: np.ndarray | Sequence[float], chosen: np.ndarray | Sequence[float]) -> np.ndarray:
    """Per run: best - chosen, never below 0."""
    import numpy as np

    return np.maximum(np.asarray(best, dtype=float) - np.asarray(chosen, dtype=float), 0.0)


def cumulative_regret(best_scores: Sequence[float], chosen_scores: Sequence[float]) -> float:
    """Sum over tasks of (best score any model got - score of the chosen model)."""
    import numpy as np

    return float(np.sum(regret(best_scores, chosen_scores)))


def regret_sql(best: str, chosen: str) -> str:
    return f"GREATEST({best} - {chosen}, 0)"


# ------------------------------------------------------------------------------------------- cost

def total_cost(costs: Sequence[float]) -> float:
    import numpy as np

    return float(np.sum(costs))


def token_cost(input: float, cached_input: float, output: float, cache_write: float, *, input_rate: float,
               cached_rate: float, output_rate: float, cache_write_rate: float | None) -> float:
    """USD of one request; cache-write tokens are inside ``input`` and pay the input rate without their own."""
    uncached = max(input - cached_input - cache_write, 0)
    writes = cache_write * (input_rate if cache_write_rate is None else cache_write_rate)
    return (uncached * input_rate + cached_input * cached_rate + writes + output * output_rate) / 1_000_000


def token_cost_sql(input: str, cached_input: str, output: str, cache_write: str = "0",
                   rate: Callable[[str], str] = lambda name: f"p.{name}") -> str:
    """``token_cost`` in SQL; ``rate(name)`` is the SQL of a rate column (``input_per_mtok``, ...)."""
    return (f"(GREATEST({input} - {cached_input} - {cache_write}, 0) * {rate('input_per_mtok')}"
            f" + {cached_input} * {rate('cached_input_per_mtok')}"
            f" + {cache_write} * COALESCE({rate('cache_write_per_mtok')}, {rate('input_per_mtok')})"
            f" + {output} * {rate('output_per_mtok')}) / 1e6")
