"""Baselines that learn over task features: disjoint LinUCB (a contextual bandit) and a static classifier.

Why its own module: both encode a task as one-hot features (``TaskEncoder``) and fit on the probing set's
full score matrix; the lookup baselines (``router.baselines``) need neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import polars as pl

from router.baseline_reward import Reward, argmax_cheapest, geometric_mean, probe_means
from router.routing import Choice, ProbeSet, RoutingTask

# Metadata values with more distinct levels than this are identifiers, not features.
MAX_LEVELS = 64


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
        self._cost = probe_means(probe)[1]

    def _reference(self, task: RoutingTask) -> float:
        return self._refs.get(task.dimension, self._refs.get(None, 0.0))

    def ucb(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per model: the estimated reward and the exploration bonus for features ``x``."""
        mean = self._theta @ x
        width = np.sqrt(np.maximum(np.einsum("i,mij,j->m", x, self._a_inv, x), 0.0))
        return mean, self.alpha * width

    def choose(self, task: RoutingTask) -> Choice:
        mean, bonus = self.ucb(self.encoder.encode(task))
        best = argmax_cheapest(mean + bonus, self._cost)
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
        self._cost = probe_means(probe)[1]
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
        best = argmax_cheapest(prob, self._cost)
        return Choice(self._models[best], explanation={"p": float(prob[best])})

    def observe(self, task: RoutingTask, model: str, score: float, cost_usd: float) -> None:
        """Frozen at test time, by definition."""


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
