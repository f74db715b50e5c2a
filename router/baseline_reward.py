"""What every baseline optimises and ranks by: ACRouter's reward, and the probing set's per-model means.

Why its own module: the lookup baselines (``router.baselines``) and the feature-learning ones
(``router.feature_baselines``) must trade score against cost exactly as ACRouter does, or the bench compares
different objectives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from router.routing import ProbeSet
from router.settings import kappa as cost_kappa


@dataclass(frozen=True)
class Reward:
    """ACRouter's reward, so baselines optimise the same trade-off: r = eps_perf * score + eps_cost * kappa.

    kappa = ``router.settings.kappa``: 0.1 x log2(cost / reference) (``router.settings.COST_UNIT``), the reference being the
    geometric mean of the models' expected costs for the task's dimension; a zero or unknown cost gives 0.
    """

    eps_perf: float = 1.0
    eps_cost: float = -0.1

    @staticmethod
    def kappa(cost: Any, reference: Any) -> np.ndarray:
        return np.asarray(cost_kappa(cost, reference))

    def __call__(self, score: Any, cost: Any, reference: Any) -> np.ndarray:
        return self.eps_perf * np.asarray(score, dtype=float) + self.eps_cost * self.kappa(cost, reference)


def geometric_mean(values: np.ndarray) -> float:
    """Geometric mean of the positive values (0 when there are none): costs span orders of magnitude."""
    positive = values[values > 0]
    return float(np.exp(np.log(positive).mean())) if positive.size else 0.0


def argmax_cheapest(values: np.ndarray, costs: np.ndarray) -> int:
    """Index of the largest value; among (float-)ties, the cheapest model wins."""
    best = values.max()
    tied = np.flatnonzero(np.isclose(values, best, rtol=0.0, atol=1e-12))
    return int(tied[np.argmin(costs[tied])])


def probe_means(probe: ProbeSet) -> tuple[np.ndarray, np.ndarray]:
    """Mean score and mean cost per model over the probing set, in ``probe.models`` order."""
    if probe.results.height == 0:
        zeros = np.zeros(len(probe.models))
        return zeros, zeros
    stats = probe.results.group_by("model").agg(pl.col("score").mean(), pl.col("cost_usd").mean())
    by_model = {row[0]: (row[1], row[2]) for row in stats.iter_rows()}
    scores = np.array([by_model.get(m, (0.0, 0.0))[0] for m in probe.models], dtype=float)
    costs = np.array([by_model.get(m, (0.0, 0.0))[1] for m in probe.models], dtype=float)
    return scores, costs
