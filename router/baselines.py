"""Baseline routers behind the shared :class:`~router.routing.RoutingPolicy` interface.

They exist to put ACRouter's numbers in context on the same replay: an upper bound (Oracle), floors (Random,
Always-<model>), the per-dimension lookup that model profiles give for free (DimensionBest), a classic
contextual bandit (disjoint LinUCB) and a static classifier that never learns after the probing set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from router.routing import Choice, ProbeSet, RoutingTask
from router.settings import kappa as cost_kappa

# Metadata values with more distinct levels than this are identifiers, not features.
MAX_LEVELS = 64


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


def _argmax_cheapest(values: np.ndarray, costs: np.ndarray) -> int:
    """Index of the largest value; among (float-)ties, the cheapest model wins."""
    best = values.max()
    tied = np.flatnonzero(np.isclose(values, best, rtol=0.0, atol=1e-12))
    return int(tied[np.argmin(costs[tied])])


def _probe_means(probe: ProbeSet) -> tuple[np.ndarray, np.ndarray]:
    """Mean score and mean cost per model over the probing set, in ``probe.models`` order."""
    if probe.results.height == 0:
        zeros = np.zeros(len(probe.models))
        return zeros, zeros
    stats = probe.results.group_by("model").agg(pl.col("score").mean(), pl.col("cost_usd").mean())
    by_model = {row[0]: (row[1], row[2]) for row in stats.iter_rows()}
    scores = np.array([by_model.get(m, (0.0, 0.0))[0] for m in probe.models], dtype=float)
    costs = np.array([by_model.get(m, (0.0, 0.0))[1] for m in probe.models], dtype=float)
    return scores, costs


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
                self._cache[key] = _argmax_cheapest(value, cost)
        return Choice(self._models[self._cache[key]], explanation={"dimension": key})

    def observe(self, task: RoutingTask, model: str, score: float, cost_usd: float) -> None:
        if not self.online:
            return
        i = self._index[model]
        for key in {task.dimension, None}:
            table = self._sums.setdefault(key, np.zeros((3, len(self._models))))
            table[:, i] += (score, cost_usd, 1.0)
            self._cache.pop(key, None)


class TaskEncoder:
    """One-hot features of a task: bias + dimension + categorical metadata (source, language, ...).

    Levels are learnt from the probing tasks; a value never seen there contributes nothing, which is exactly
    what a frozen model can know about it.
    """

    def __init__(self, max_levels: int = MAX_LEVELS) -> None:
        self.max_levels = max_levels
        self._slots: dict[tuple[str, Any], int] = {}
        self.dim = 1

    def fit(self, tasks: Iterable[RoutingTask]) -> TaskEncoder:
        levels: dict[str, dict[Any, None]] = {}
        for task in tasks:
            for key, value in self._items(task):
                levels.setdefault(key, {})[value] = None
        self._slots = {}
        for key in sorted(levels):
            if len(levels[key]) > self.max_levels:
                continue
            for value in levels[key]:
                self._slots[(key, value)] = 1 + len(self._slots)
        self.dim = 1 + len(self._slots)
        return self

    @property
    def feature_names(self) -> list[str]:
        return ["bias"] + [f"{key}={value}" for key, value in self._slots]

    @staticmethod
    def _items(task: RoutingTask) -> list[tuple[str, Any]]:
        items = [("dimension", task.dimension)] if task.dimension is not None else []
        items += [(f"meta.{k}", v) for k, v in sorted(task.metadata.items())
                  if isinstance(v, str | bool | int)]
        return items

    def encode(self, task: RoutingTask) -> np.ndarray:
        x = np.zeros(self.dim)
        x[0] = 1.0
        for item in self._items(task):
            slot = self._slots.get(item)
            if slot is not None:
                x[slot] = 1.0
        return x

    def encode_many(self, tasks: list[RoutingTask]) -> np.ndarray:
        return np.stack([self.encode(t) for t in tasks]) if tasks else np.zeros((0, self.dim))


def cost_references(probe: ProbeSet) -> dict[str | None, float]:
    """Per dimension (None: all tasks), the geometric mean of the models' mean probing costs: kappa's 1x."""
    dims = pl.DataFrame({"task_id": [t.task_id for t in probe.tasks], "dimension": [t.dimension for t in probe.tasks]},
                        schema={"task_id": pl.String, "dimension": pl.String})
    rows = probe.results.join(dims, on="task_id", how="left")
    refs = {None: geometric_mean(rows.group_by("model").agg(pl.col("cost_usd").mean())["cost_usd"].to_numpy())}
    per_dim = rows.filter(pl.col("dimension").is_not_null()).group_by("dimension", "model").agg(
        pl.col("cost_usd").mean())
    for (dimension,), frame in per_dim.group_by("dimension"):
        refs[dimension] = geometric_mean(frame["cost_usd"].to_numpy())
    return refs


def _probe_matrices(probe: ProbeSet) -> tuple[list[RoutingTask], np.ndarray, np.ndarray]:
    """(tasks, scores (n, M), costs (n, M)) for the probing tasks that have a result for every model."""
    index = {m: i for i, m in enumerate(probe.models)}
    row_of = {t.task_id: i for i, t in enumerate(probe.tasks)}
    n, m = len(probe.tasks), len(probe.models)
    scores, costs, seen = np.zeros((n, m)), np.zeros((n, m)), np.zeros((n, m), dtype=bool)
    rows = np.array([row_of.get(t, -1) for t in probe.results["task_id"]], dtype=int)
    cols = np.array([index.get(x, -1) for x in probe.results["model"]], dtype=int)
    keep = (rows >= 0) & (cols >= 0)
    scores[rows[keep], cols[keep]] = probe.results["score"].to_numpy()[keep]
    costs[rows[keep], cols[keep]] = probe.results["cost_usd"].to_numpy()[keep]
    seen[rows[keep], cols[keep]] = True
    complete = seen.all(axis=1)
    tasks = [t for t, ok in zip(probe.tasks, complete, strict=True) if ok]
    return tasks, scores[complete], costs[complete]


class LinUCBPolicy:
    """Disjoint LinUCB (Li et al., 2010): one ridge regression of the reward per model on the task features.

    Warm-started on the probing set (every model's reward is known there), then updated with bandit feedback.
    ``alpha`` scales the exploration bonus, ``ridge`` the prior precision (A starts at ridge * I).
    """

    name = "linucb"

    def __init__(self, alpha: float = 1.0, ridge: float = 1.0, reward: Reward | None = None,
                 encoder: TaskEncoder | None = None) -> None:
        if alpha < 0 or ridge <= 0:
            raise ValueError("linucb: alpha must be >= 0 and ridge > 0")
        self.alpha, self.ridge = alpha, ridge
        self.reward = reward or Reward()
        self.encoder = encoder or TaskEncoder()
        self._models: list[str] = []
        self._index: dict[str, int] = {}
        self._a_inv = np.zeros((0, 1, 1))
        self._b = np.zeros((0, 1))
        self._theta = np.zeros((0, 1))
        self._cost = np.zeros(0)
        self._refs: dict[str | None, float] = {}

    def fit(self, probe: ProbeSet) -> None:
        self._models = list(probe.models)
        self._index = {m: i for i, m in enumerate(self._models)}
        tasks, scores, costs = _probe_matrices(probe)
        self._refs = cost_references(probe)
        refs = np.array([self._reference(t) for t in tasks])
        rewards = self.reward(scores, costs, refs[:, None]) if tasks else np.zeros((0, len(self._models)))
        self.encoder.fit(probe.tasks)
        x = self.encoder.encode_many(tasks)
        d, m = self.encoder.dim, len(self._models)
        gram = self.ridge * np.eye(d) + x.T @ x  # all arms saw every probing task
        self._a_inv = np.repeat(np.linalg.inv(gram)[None], m, axis=0)
        self._b = (x.T @ rewards).T.copy()  # (M, d)
        self._theta = np.einsum("mij,mj->mi", self._a_inv, self._b)
        self._cost = _probe_means(probe)[1]

    def _reference(self, task: RoutingTask) -> float:
        return self._refs.get(task.dimension, self._refs.get(None, 0.0))

    def ucb(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per model: the estimated reward and the exploration bonus for features ``x``."""
        mean = self._theta @ x
        width = np.sqrt(np.maximum(np.einsum("i,mij,j->m", x, self._a_inv, x), 0.0))
        return mean, self.alpha * width

    def choose(self, task: RoutingTask) -> Choice:
        mean, bonus = self.ucb(self.encoder.encode(task))
        best = _argmax_cheapest(mean + bonus, self._cost)
        return Choice(self._models[best], explanation={"estimate": float(mean[best]), "bonus": float(bonus[best])})

    def observe(self, task: RoutingTask, model: str, score: float, cost_usd: float) -> None:
        i = self._index[model]
        x = self.encoder.encode(task)
        a_inv = self._a_inv[i]
        ax = a_inv @ x
        self._a_inv[i] = a_inv - np.outer(ax, ax) / (1.0 + x @ ax)  # Sherman-Morrison: A += x x^T
        self._b[i] += float(self.reward(score, cost_usd, self._reference(task))) * x
        self._theta[i] = self._a_inv[i] @ self._b[i]


class StaticClassifierPolicy:
    """Multinomial logistic regression trained once on the probing set, frozen at test time.

    Label of a probing task: the models that reached its best score (a soft target split among them);
    tasks where every model scored the same carry no signal and are skipped. At test time it routes to the
    most probable model and never updates: the static routers the paper shows collapsing out of distribution.
    """

    name = "static-classifier"

    def __init__(self, l2: float = 1e-3, iterations: int = 400, learning_rate: float = 1.0,
                 encoder: TaskEncoder | None = None) -> None:
        self.l2, self.iterations, self.learning_rate = l2, iterations, learning_rate
        self.encoder = encoder or TaskEncoder()
        self._models: list[str] = []
        self._weights = np.zeros((1, 0))
        self._cost = np.zeros(0)

    def fit(self, probe: ProbeSet) -> None:
        self._models = list(probe.models)
        self._cost = _probe_means(probe)[1]
        tasks, scores, _ = _probe_matrices(probe)
        self.encoder.fit(probe.tasks)
        informative = ~np.isclose(scores.max(axis=1), scores.min(axis=1))
        x = self.encoder.encode_many([t for t, ok in zip(tasks, informative, strict=True) if ok])
        winners = np.isclose(scores[informative], scores[informative].max(axis=1, keepdims=True))
        target = winners / winners.sum(axis=1, keepdims=True)
        self._weights = self._train(x, target)

    def _train(self, x: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Full-batch gradient descent on the L2-regularised cross-entropy (convex, so it converges)."""
        weights = np.zeros((x.shape[1], len(self._models)))
        if x.shape[0] == 0:
            return weights
        for _ in range(self.iterations):
            prob = _softmax(x @ weights)
            grad = x.T @ (prob - target) / x.shape[0] + self.l2 * weights
            weights -= self.learning_rate * grad
        return weights

    def probabilities(self, task: RoutingTask) -> np.ndarray:
        return _softmax(self.encoder.encode(task) @ self._weights)

    def choose(self, task: RoutingTask) -> Choice:
        prob = self.probabilities(task)
        best = _argmax_cheapest(prob, self._cost)
        return Choice(self._models[best], explanation={"p": float(prob[best])})

    def observe(self, task: RoutingTask, model: str, score: float, cost_usd: float) -> None:
        """Frozen at test time, by definition."""


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


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

