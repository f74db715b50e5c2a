"""Baseline routers behind the shared :class:`~router.routing.RoutingPolicy` interface.

They exist to put ACRouter's numbers in context on the same replay: an upper bound (Oracle), floors (Random,
Always-<model>), the per-dimension lookup that model profiles give for free (DimensionBest), a classic
contextual bandit (disjoint LinUCB) and a static classifier that never learns after the probing set (those two
learn over task features: ``router.feature_baselines``). ``make_baseline`` builds any of them by its bench name.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from router.baseline_reward import Reward, argmax_cheapest, geometric_mean
from router.feature_baselines import LinUCBPolicy, StaticClassifierPolicy
from router.routing import Choice, ProbeSet, RoutingTask


class OraclePolicy:
    """Picks the best-scoring model of every task (ties -> cheaper); it is handed the answers by the harness."""

    name = "oracle"

    def __init__(self, results: pl.DataFrame) -> None:
        ranked = results.sort(["task_id", "score", "cost_usd"], descending=[False, True, False])
        self._best = dict(ranked.group_by("task_id", maintain_order=True).first().select("task_id", "model")
                          .iter_rows())

    def fit(self, probe: ProbeSet) -> None:
        """The oracle needs no priors: it reads the test answers."""

    def choose(self, task: RoutingTask) -> Choice:
        try:
            return Choice(self._best[task.task_id])
        except KeyError:
            raise KeyError(f"oracle: no known results for task {task.task_id!r}") from None

    def observe(self, task: RoutingTask, model: str, score: float, cost_usd: float) -> None:
        """Nothing to learn."""


class RandomPolicy:
    """Uniform choice with its own seeded generator, so a replay is reproducible."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self._models: list[str] = []

    def fit(self, probe: ProbeSet) -> None:
        self._models = list(probe.models)
        self._rng = np.random.default_rng(self.seed)

    def choose(self, task: RoutingTask) -> Choice:
        return Choice(self._models[int(self._rng.integers(len(self._models)))], 1.0 / len(self._models))

    def observe(self, task: RoutingTask, model: str, score: float, cost_usd: float) -> None:
        """Random never learns."""


class AlwaysPolicy:
    """Every task to one model: what a user without a router does."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.name = f"always:{model}"

    def fit(self, probe: ProbeSet) -> None:
        if self.model not in probe.models:
            raise ValueError(f"{self.name}: model {self.model!r} is not in the dataset ({', '.join(probe.models)})")

    def choose(self, task: RoutingTask) -> Choice:
        return Choice(self.model)

    def observe(self, task: RoutingTask, model: str, score: float, cost_usd: float) -> None:
        """Nothing to learn."""


class DimensionBestPolicy:
    """Per dimension, the model with the best mean probing reward (ties -> cheaper).

    Frozen (``dimension-best``) it is the lookup that per-dimension profiles give. ``online=True``
    (``dimension-best-online``) also adds each observed outcome to the chosen model's running means, the
    paper's "DimensionBest with historical stats". Tasks of a dimension unseen in probing use all tasks.
    """

    def __init__(self, reward: Reward | None = None, online: bool = False) -> None:
        self.reward = reward or Reward()
        self.online = online
        self.name = "dimension-best-online" if online else "dimension-best"
        self._models: list[str] = []
        self._index: dict[str, int] = {}
        self._sums: dict[str | None, np.ndarray] = {}  # key -> (3, M): score sum, cost sum, count
        self._cache: dict[str | None, int] = {}

    def fit(self, probe: ProbeSet) -> None:
        self._models = list(probe.models)
        self._index = {m: i for i, m in enumerate(self._models)}
        dims = pl.DataFrame({"task_id": [t.task_id for t in probe.tasks],
                             "dimension": [t.dimension for t in probe.tasks]}, schema={"task_id": pl.String,
                                                                                       "dimension": pl.String})
        rows = probe.results.join(dims, on="task_id", how="left")
        sums = [pl.col("score").sum(), pl.col("cost_usd").sum(), pl.len()]
        self._sums = {}
        overall = rows.group_by("model").agg(sums).with_columns(pl.lit(None, pl.String).alias("dimension"))
        per_dim = rows.filter(pl.col("dimension").is_not_null()).group_by("dimension", "model").agg(sums)
        for frame in (overall, per_dim):
            for dimension, model, s, c, n in frame.select("dimension", "model", "score", "cost_usd", "len").iter_rows():
                table = self._sums.setdefault(dimension, np.zeros((3, len(self._models))))
                table[:, self._index[model]] = (s, c, n)
        self._cache = {}

    def _key(self, dimension: str | None) -> str | None:
        return dimension if dimension in self._sums else None

    def choose(self, task: RoutingTask) -> Choice:
        key = self._key(task.dimension)
        if key not in self._cache:
            table = self._sums.get(key)
            if table is None:  # no probing data at all: cheapest-first is as good as any order
                self._cache[key] = 0
            else:
                n = np.maximum(table[2], 1.0)
                score, cost = table[0] / n, table[1] / n
                # A model never seen for this key must not win on a 0/0 "mean".
                seen = table[2] > 0
                value = np.where(seen, self.reward(score, cost, geometric_mean(cost[seen])), -np.inf)
                self._cache[key] = argmax_cheapest(value, cost)
        return Choice(self._models[self._cache[key]], explanation={"dimension": key})

    def observe(self, task: RoutingTask, model: str, score: float, cost_usd: float) -> None:
        if not self.online:
            return
        i = self._index[model]
        for key in {task.dimension, None}:
            table = self._sums.setdefault(key, np.zeros((3, len(self._models))))
            table[:, i] += (score, cost_usd, 1.0)
            self._cache.pop(key, None)


def make_baseline(name: str, *, test_results: pl.DataFrame, seed: int = 0, reward: Reward | None = None,
                  alpha: float = 1.0, ridge: float = 1.0) -> Any:
    """Build one baseline by its bench name (``always:<model>`` for Always)."""
    if name == "oracle":
        return OraclePolicy(test_results)
    if name == "random":
        return RandomPolicy(seed)
    if name.startswith("always:"):
        return AlwaysPolicy(name.removeprefix("always:"))
    if name in ("dimension-best", "dimension-best-online"):
        return DimensionBestPolicy(reward, online=name.endswith("online"))
    if name == "linucb":
        return LinUCBPolicy(alpha=alpha, ridge=ridge, reward=reward)
    if name == "static-classifier":
        return StaticClassifierPolicy()
    raise ValueError(f"unknown baseline {name!r}")

