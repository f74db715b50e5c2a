"""How the priors table shrinks thin cells toward their parent context: offsets, empirical Bayes, new regimes.

Estimation walks a task's context path from the root (``router.priors.Priors.estimate``). At each level the
parent estimate is first moved by the level's *offset* (how much better or worse, and how much dearer, the
models seen here did than their parent estimates, shrunk by ``strength``), then each model's own cell is
blended in by its count (``shrink_level``). So one observed model in an unfamiliar context (an agentic task
costing 100x a probing task) moves every model's expectation, while models with their own evidence keep it.
Scores shift additively; costs multiply (in log space), since costs differ between contexts by orders of
magnitude.

How strongly a level is shrunk is estimated from the table itself (empirical Bayes, ``Spread``): the
pseudo-count is the typical within-context outcome variance over the between-context variance of model
scores once each context's common offset is removed (about 15 on CodeRouterBench's probing split). A context
whose costs sit far outside the spread its siblings show (``regime_z`` standard deviations; an agentic run
costing 100x a probing task) is a different kind of task: its own cost scale is taken as observed and each
model's parent score counts for only ``regime_strength`` observations, so a model that fails there drops fast.
When other contexts are already known to sit in the same regime (a second agentic benchmark after a first),
their pooled outcomes are a second candidate parent (``RegimeIndex``); the two are mixed by how well each
predicts the new context's own outcomes so far (Bayesian model comparison, even prior odds), so the pool
wins only where the old parent's ranking has stopped holding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from router.prior_cells import Cell, add_cell
from router.prior_context import ContextPath

# A between-context variance from fewer groups is too noisy to set the shrinkage (fixed prior_strength then).
MIN_SPREAD_CONTEXTS = 5
REGIME_RESCAN = 25  # observations between two scans of every context for new-regime membership

Cells = Mapping[ContextPath, Mapping[str, Cell]]


@dataclass(frozen=True)
class Spread:
    """How much contexts differ from their parent, estimated from the table itself (empirical Bayes).

    ``strength``: the pseudo-count ``mean p(1-p) / between-context variance`` of model scores once the
    context's common offset is removed (James-Stein / Beta-binomial moment estimate).
    ``cost_sd``: the spread of contexts' log-cost offsets from their parent; a context whose cost offset is
    more than ``regime_z`` of these away is a new regime.
    """

    strength: float
    cost_sd: float
    contexts: int


@dataclass(frozen=True)
class ShrinkKnobs:
    """The shrinkage settings (``RouterSettings``' prior_strength, empirical_bayes, regime_*)."""

    strength: float
    empirical_bayes: bool
    regime_z: float
    regime_strength: float


def shrink_level(knobs: ShrinkKnobs, level: Mapping[str, Cell], models: Sequence[str],
                 parent_score: dict[str, float], parent_cost: dict[str, float | None], spread: Spread | None,
                 regime_pool: Callable[[bool], Mapping[str, Cell]] | None,
                 ) -> tuple[dict[str, float], dict[str, float | None]]:
    """Every model's score and cost at ``level`` given its parent's; ``regime_pool(dearer)`` gives the other
    contexts of a new regime (None: never pool)."""
    tau = base_tau = spread.strength if spread is not None and knobs.empirical_bayes else knobs.strength
    offset_tau = tau
    raw_log_scale, cost_weight = log_cost_offset(level, parent_cost)
    if spread is not None and abs(raw_log_scale) > knobs.regime_z * spread.cost_sd:
        # Costs far outside what sibling contexts show: a different kind of task. The parent's cost scale
        # is dropped and each model's parent score counts for only ``regime_strength`` observations (unit
        # information) against the model's own outcomes here. The common score offset keeps its usual
        # shrinkage: one model failing often must not drag every untried model down with it.
        tau, offset_tau = knobs.regime_strength, 0.0
        pool = regime_pool(raw_log_scale > 0) if regime_pool is not None else {}
        if pool:
            pooled_score, pooled_cost = _pooled_parent(pool, parent_score, knobs.regime_strength)
            scaled_cost = {m: c * math.exp(raw_log_scale) if c else None for m, c in parent_cost.items()}
            w = _pool_weight(level, parent_score, pooled_score)
            parent_score = {m: w * pooled_score[m] + (1 - w) * parent_score[m] for m in parent_score}
            parent_cost = {m: _log_mix(pooled_cost.get(m), scaled_cost[m], w) for m in parent_cost}
            raw_log_scale, cost_weight = log_cost_offset(level, parent_cost)
    log_scale = raw_log_scale * cost_weight / (cost_weight + offset_tau) if cost_weight else 0.0
    seen = [(m, c) for m, c in level.items() if m in parent_score and c.n and c.score is not None]
    weight = sum(c.n for _, c in seen)
    offset = sum(c.n * (c.score - parent_score[m]) for m, c in seen) / (weight + base_tau) if seen else 0.0
    scores: dict[str, float] = {}
    costs: dict[str, float | None] = {}
    for m in models:
        cell = level.get(m)
        target = min(1.0, max(0.0, parent_score[m] + offset))
        scores[m] = _blend(cell.score if cell else None, cell.n if cell else 0, target, tau,
                           cell is not None and cell.user_score is not None)
        parent = parent_cost[m] * math.exp(log_scale) if parent_cost[m] else None
        own = cell.cost if cell and cell.cost else None
        if own is None:
            costs[m] = parent
        elif parent is None or (cell and cell.user_cost is not None):
            costs[m] = own
        else:
            k = cell.cost_n if cell else 0
            costs[m] = math.exp((k * math.log(own) + tau * math.log(parent)) / (k + tau))
    return scores, costs


class RegimeIndex:
    """The contexts already seen in a new cost regime, rescanned once per ``REGIME_RESCAN`` observations."""

    def __init__(self) -> None:
        self._cache: tuple[tuple[Any, ...], Any] | None = None

    def pool(self, cells: Cells, path: ContextPath, dearer: bool, spread: Spread, regime_z: float,
             observed: int) -> dict[str, Cell]:
        """Per model, the outcomes of the *other* contexts in the same new cost regime as ``path``.

        A second agentic benchmark behaves like the first far more than like the single-shot tasks of the
        probing set: once a context is recognised as a new regime, the contexts already seen in that regime
        (cost offset from their parent beyond ``regime_z`` on the same side; the top-most of nested ones) are a
        second candidate parent, so a model that was dear or weak there is not re-explored at full price here.
        """
        members, totals = self._members(cells, spread, regime_z, observed)[dearer]
        related = [other for other in members if other[: len(path)] == path or path[: len(other)] == other]
        if not related:
            return totals
        pool = {model: replace(cell) for model, cell in totals.items()}
        for other in related:
            for model, cell in members[other].items():
                add_cell(pool[model], cell, -1)
        return pool

    def _members(self, cells: Cells, spread: Spread, regime_z: float, observed: int,
                 ) -> dict[bool, tuple[dict[ContextPath, dict[str, Cell]], dict[str, Cell]]]:
        """The top-most contexts of each new regime (dearer / cheaper) with a copy of their cells, and the
        per-model totals over them. Rescanning every context costs ~4 us each, so it happens once per
        ``REGIME_RESCAN`` observations; a pool a few outcomes old is as good a parent."""
        key = (observed // REGIME_RESCAN, regime_z, spread.cost_sd)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        found: dict[bool, dict[ContextPath, dict[str, Cell]]] = {True: {}, False: {}}
        for other, level in cells.items():
            if not other:
                continue
            parent = cells.get(other[:-1], {})
            offset, weight = log_cost_offset(level, {m: c.learned_cost for m, c in parent.items()})
            if weight and abs(offset) > regime_z * spread.cost_sd:
                found[offset > 0][other] = {m: replace(c) for m, c in level.items()}
        index = {}
        for side, paths in found.items():
            top = {p: level_cells for p, level_cells in paths.items() if not any(p[:i] in paths for i in range(1, len(p)))}
            totals: dict[str, Cell] = {}
            for members in top.values():
                for model, cell in members.items():
                    add_cell(totals.setdefault(model, Cell()), cell, 1)
            index[side] = (top, totals)
        self._cache = (key, index)
        return index


def estimate_spread(cells: Cells, min_n: int = 5) -> Spread:
    """Moment estimates over every (context, parent) pair with at least ``min_n`` outcomes per cell."""
    residuals: list[float] = []
    noise: list[float] = []
    variances: list[float] = []
    cost_offsets: list[float] = []
    for path, level in cells.items():
        parent = cells.get(path[:-1]) if path else None
        if not parent:
            continue
        pairs = [(c.learned_score, parent[m].learned_score, c.n) for m, c in level.items()
                 if c.n >= min_n and m in parent and parent[m].n >= min_n]
        if len(pairs) < 2:
            continue
        offset = sum(n * (s - p) for s, p, n in pairs) / sum(n for _, _, n in pairs)
        for s, p, n in pairs:
            residuals.append((s - p - offset) ** 2)
            noise.append(s * (1 - s) / n)
            variances.append(s * (1 - s))
        priced = [(c.learned_cost, parent[m].learned_cost, c.cost_n) for m, c in level.items()
                  if c.cost_n >= min_n and m in parent and parent[m].cost_n and c.learned_cost
                  and parent[m].learned_cost]
        if priced:
            cost_offsets.append(sum(k * math.log(c / p) for c, p, k in priced) / sum(k for _, _, k in priced))
    contexts = len(cost_offsets)
    if not residuals or contexts == 0:
        return Spread(0.0, math.inf, 0)
    between = max(sum(residuals) / len(residuals) - sum(noise) / len(noise), 1e-6)
    strength = min(max(sum(variances) / len(variances) / between, 1.0), 1000.0)
    cost_sd = max(math.sqrt(sum(o * o for o in cost_offsets) / contexts), 0.1)
    return Spread(strength, cost_sd, contexts)


def log_cost_offset(level: Mapping[str, Cell], parent_cost: Mapping[str, float | None]) -> tuple[float, int]:
    """Count-weighted mean log ratio of a level's observed costs to its parent's, and the count behind it."""
    priced = [(m, c) for m, c in level.items() if c.cost_n and c.cost and parent_cost.get(m)]
    weight = sum(c.cost_n for _, c in priced)
    if not weight:
        return 0.0, 0
    return sum(c.cost_n * math.log(c.cost / parent_cost[m]) for m, c in priced) / weight, weight


def _pooled_parent(pool: Mapping[str, Cell], parent_score: Mapping[str, float], strength: float,
                   ) -> tuple[dict[str, float], dict[str, float]]:
    """The parent as the same regime's other contexts show it: scores with the old parent counting ``strength``
    outcomes, and the costs seen there (only for the models that ran in the regime)."""
    scores = dict(parent_score)
    costs: dict[str, float] = {}
    for model in parent_score:
        cell = pool.get(model)
        if cell is not None and cell.n:
            scores[model] = (cell.score_sum + strength * parent_score[model]) / (cell.n + strength)
        if cell is not None and cell.cost_n and cell.learned_cost:
            costs[model] = cell.learned_cost
    return scores, costs


def _pool_weight(level: Mapping[str, Cell], parent_score: Mapping[str, float],
                 pooled_score: Mapping[str, float]) -> float:
    """Posterior weight of the regime pool against the old parent: which one better predicts this level's outcomes.

    Equal prior odds; each model's outcomes here scored as Bernoulli trials under either parent's expectation.
    """
    log_odds = 0.0
    for model, cell in level.items():
        if not cell.n or model not in parent_score:
            continue
        for expected, sign in ((pooled_score[model], 1.0), (parent_score[model], -1.0)):
            p = min(max(expected, 0.02), 0.98)
            log_odds += sign * (cell.score_sum * math.log(p) + (cell.n - cell.score_sum) * math.log(1 - p))
    return 1.0 / (1.0 + math.exp(-max(min(log_odds, 50.0), -50.0)))


def _log_mix(a: float | None, b: float | None, w: float) -> float | None:
    """Weighted geometric mean of two costs (either may be unknown)."""
    if not a or not b:
        return a or b
    return math.exp(w * math.log(a) + (1 - w) * math.log(b))


def _blend(own: float | None, n: int, target: float, tau: float, user: bool) -> float:
    if own is None:
        return target
    if user:
        return own
    return (n * own + tau * target) / (n + tau) if n + tau > 0 else own
