"""Off-policy estimators (IPS, self-normalised IPS, doubly robust) with bootstrap intervals and support.

Why: a user who edits the router's priors or ε wants to know what the change *would have done* on the work
already logged, without re-running it. The log records, for every route, the probability with which the
behaviour policy picked the logged model (its propensity). Re-weighting each logged outcome by
``target_prob / logged_prob`` gives an unbiased estimate of the edited policy's mean outcome (IPS);
SNIPS divides by the sum of weights (lower variance, slight bias); DR adds the router's own reward model
as a baseline and re-weights only its residuals (unbiased when propensities are right, low variance when
the model is good). Estimates are refused, not printed, when the effective sample size is too small.

This module is pure numpy on per-route arrays; ``router.whatif`` turns log events into those arrays.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from analytics.metrics import perf_per_dollar_array

ESTIMATORS = ("ips", "snips", "dr")
METRICS = ("avg_perf", "cost_per_task", "total_cost", "perf_per_dollar")
DEFAULT_MIN_ESS = 30.0
DEFAULT_MIN_PROB = 0.05  # above the exploration floor (0.1 spread over 8 models = 0.0125)
DEFAULT_BOOTSTRAP = 1000
DEFAULT_LEVEL = 0.95
_CHUNK = 200  # bootstrap resamples computed at once: bounds memory at ~_CHUNK x n floats per array


@dataclass(frozen=True)
class LoggedBandit:
    """One row per logged policy route.

    ``logged_prob``: the behaviour policy's probability of the logged model (the propensity).
    ``target_prob``: the candidate policy's probability of that same model.
    ``score``, ``cost``: the observed outcome of the logged model.
    ``dm_score``, ``dm_cost``: the reward model's expectation under the candidate policy,
    sum over candidates of target probability x expected score (resp. cost).
    ``model_score``, ``model_cost``: the reward model's expectation for the logged model.
    """

    logged_prob: np.ndarray
    target_prob: np.ndarray
    score: np.ndarray
    cost: np.ndarray
    dm_score: np.ndarray
    dm_cost: np.ndarray
    model_score: np.ndarray
    model_cost: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.logged_prob)
        for name, value in asdict(self).items():
            if np.shape(value) != (n,):
                raise ValueError(f"LoggedBandit.{name}: expected shape ({n},), got {np.shape(value)}")
        if n and (np.any(self.logged_prob <= 0) or np.any(self.logged_prob > 1)):
            raise ValueError("LoggedBandit.logged_prob: propensities must be in (0, 1]")
        if n and (np.any(self.target_prob < 0) or np.any(self.target_prob > 1)):
            raise ValueError("LoggedBandit.target_prob: probabilities must be in [0, 1]")

    def __len__(self) -> int:
        return len(self.logged_prob)

    @property
    def weights(self) -> np.ndarray:
        return self.target_prob / self.logged_prob


@dataclass(frozen=True)
class Support:
    """How much of the log speaks for the candidate policy.

    ``routes``: logged policy routes used; ``supported``: those where the candidate policy gives the
    logged model at least ``min_prob``; ``ess``: effective sample size (sum w)^2 / sum w^2 of the
    importance weights; ``thin``: ess < min_ess, in which case no number is reported.
    """

    routes: int
    supported: int
    ess: float
    min_ess: float
    min_prob: float
    max_weight: float
    thin: bool
    reason: str | None


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a percentile-bootstrap interval; all None when support is too thin."""

    value: float | None
    low: float | None
    high: float | None
    reason: str | None = None

    def covers(self, truth: float) -> bool | None:
        if self.low is None or self.high is None:
            return None
        return self.low <= truth <= self.high


def support(bandit: LoggedBandit, min_ess: float = DEFAULT_MIN_ESS,
            min_prob: float = DEFAULT_MIN_PROB) -> Support:
    n = len(bandit)
    w = bandit.weights
    total, squares = float(w.sum()), float((w * w).sum())
    ess = total * total / squares if squares > 0 else 0.0
    reason = None
    if n == 0:
        reason = "no logged policy routes with outcomes"
    elif total <= 0:
        reason = "no support: the candidate never picks the models the log shows"
    elif ess < min_ess:
        reason = f"too thin: effective sample size {ess:.1f} < {min_ess:g}"
    return Support(routes=n, supported=int((bandit.target_prob >= min_prob).sum()), ess=ess, min_ess=min_ess,
                   min_prob=min_prob, max_weight=float(w.max()) if n else 0.0, thin=reason is not None,
                   reason=reason)


def _point(w: np.ndarray, r: np.ndarray, dm: np.ndarray, q: np.ndarray, estimator: str) -> np.ndarray:
    """Estimator value along the last axis (works for one sample or a stack of bootstrap resamples)."""
    if estimator == "ips":
        return (w * r).mean(axis=-1)
    if estimator == "snips":
        total = w.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, (w * r).sum(axis=-1) / np.where(total > 0, total, 1.0), np.nan)
    if estimator == "dr":
        return (dm + w * (r - q)).mean(axis=-1)
    raise ValueError(f"unknown estimator {estimator!r}; known: {', '.join(ESTIMATORS)}")


def point_values(bandit: LoggedBandit, estimator: str) -> dict[str, float | None]:
    """One estimator's point values, no interval; ``"dm"`` is the reward model alone (the direct method)."""
    if estimator == "dm":
        score, cost = bandit.dm_score.mean(), bandit.dm_cost.mean()
    else:
        w = bandit.weights
        score = _point(w, bandit.score, bandit.dm_score, bandit.model_score, estimator)
        cost = _point(w, bandit.cost, bandit.dm_cost, bandit.model_cost, estimator)
    values = _metrics(np.asarray(score), np.asarray(cost), len(bandit))
    return {m: float(v) if np.isfinite(v) else None for m, v in values.items()}


def _metrics(score: np.ndarray, cost: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """AvgPerf% = 100 x mean score; Perf/$ = AvgPerf% / total USD over the n logged tasks (DESIGN §3)."""
    total = cost * n
    return {"avg_perf": 100.0 * score, "cost_per_task": cost, "total_cost": total,
            "perf_per_dollar": perf_per_dollar_array(100.0 * score, total)}


def estimate(bandit: LoggedBandit, *, n_boot: int = DEFAULT_BOOTSTRAP, level: float = DEFAULT_LEVEL,
             seed: int = 0, min_ess: float = DEFAULT_MIN_ESS,
             min_prob: float = DEFAULT_MIN_PROB) -> tuple[Support, dict[str, dict[str, Estimate]]]:
    """Every estimator x metric, ``{estimator: {metric: Estimate}}``, plus the support behind them.

    The interval resamples logged routes with replacement (the same resample for every estimator and
    metric, so Perf/$ is the ratio of consistently resampled numerator and denominator).
    """
    if n_boot < 1:
        raise ValueError("n_boot must be at least 1")
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    sup = support(bandit, min_ess=min_ess, min_prob=min_prob)
    if sup.thin:
        empty = Estimate(None, None, None, sup.reason)
        return sup, {e: dict.fromkeys(METRICS, empty) for e in ESTIMATORS}
    n = len(bandit)
    w = bandit.weights
    points = {e: point_values(bandit, e) for e in ESTIMATORS}
    rng = np.random.default_rng(seed)
    draws: dict[str, dict[str, list[np.ndarray]]] = {e: {m: [] for m in METRICS} for e in ESTIMATORS}
    for start in range(0, n_boot, _CHUNK):
        idx = rng.integers(0, n, size=(min(_CHUNK, n_boot - start), n))
        wb = w[idx]
        for e in ESTIMATORS:
            values = _metrics(_point(wb, bandit.score[idx], bandit.dm_score[idx], bandit.model_score[idx], e),
                              _point(wb, bandit.cost[idx], bandit.dm_cost[idx], bandit.model_cost[idx], e), n)
            for m in METRICS:
                draws[e][m].append(values[m])
    tail = 100.0 * (1.0 - level) / 2.0
    out: dict[str, dict[str, Estimate]] = {}
    for e in ESTIMATORS:
        out[e] = {}
        for m in METRICS:
            value = points[e][m]
            sample = np.concatenate(draws[e][m])
            sample = sample[np.isfinite(sample)]
            if value is None or sample.size == 0:
                out[e][m] = Estimate(None, None, None, "undefined (zero estimated cost or zero weight)")
                continue
            low, high = np.percentile(sample, [tail, 100.0 - tail])
            out[e][m] = Estimate(value, float(low), float(high))
    return sup, out


def as_dict(value: Any) -> Any:
    """JSON-ready plain data for Support / Estimate trees."""
    if isinstance(value, Support | Estimate):
        return asdict(value)
    if isinstance(value, dict):
        return {k: as_dict(v) for k, v in value.items()}
    return value
