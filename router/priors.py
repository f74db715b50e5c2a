"""Priors: what each model is expected to score and cost in a context, from counts, shrunk when thin.

The table holds one ``Cell`` of counts per (context, model) at every level of a task's context path
(``router.prior_context``): every outcome is counted at each level from the root down. An estimate walks
the path from the root, each level shrunk toward its parent (``router.shrinkage``, where the empirical-Bayes
strength and new cost regimes are explained). The table as router.toml records: ``router.prior_records``;
the log's outcomes it learns from: ``router.logged_routes.learned_outcomes``.

A user can edit a cell (valid until the router learns something new for that cell) or pin it (kept
until ``reset_user_values``); the learned counts are kept underneath either way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from analytics.errors import CodexRouterError
from router.logged_routes import learned_outcomes
from router.prior_cells import Cell, UserValue
from router.prior_context import ContextPath, context_path, format_path, metadata_paths, source_from_task_id
from router.settings import DEFAULT_PRIOR_KEYS
from router.shrinkage import (
    MIN_SPREAD_CONTEXTS,
    RegimeIndex,
    ShrinkKnobs,
    Spread,
    estimate_spread,
    shrink_level,
)


class PriorsError(CodexRouterError, ValueError):
    """A malformed priors table; the message names the entry and field."""


@dataclass(frozen=True)
class Estimate:
    """A model's expected score/cost in one context.

    ``n`` counts the model's observations at the finest level of the path where any model was observed: a
    task from a new repo of a known benchmark gets the benchmark's counts (zero for every model would give
    every model the same optimism bonus, i.e. no exploration at all). ``n_total`` counts the whole path.
    """

    score: float
    cost_usd: float | None
    n: int
    n_total: int


class Priors:
    """Counts per (context path, model); see ``router.shrinkage`` for how estimates are shrunk."""

    def __init__(self, strength: float = 10.0, empirical_bayes: bool = True, regime_z: float = 3.0,
                 regime_strength: float = 1.0, regime_pool: bool = True, detect_regimes: bool = False) -> None:
        self.strength = float(strength)
        self.empirical_bayes = empirical_bayes
        self.detect_regimes = detect_regimes  # new regimes also with empirical_bayes off (always with it on)
        self.regime_z = float(regime_z)
        self.regime_strength = float(regime_strength)
        self.regime_pool = regime_pool
        self.cells: dict[ContextPath, dict[str, Cell]] = {}
        self.origin = ""  # where the counts came from, for a decision's explanation ("" = unknown or none)
        self._spread: Spread | None = None
        self._spread_at = 0
        self._observed = 0
        self._regimes = RegimeIndex()

    # ---- building -------------------------------------------------------------------------------
    @property
    def models(self) -> list[str]:
        return sorted(self.cells.get((), {}))

    def cell(self, path: ContextPath, model: str) -> Cell:
        return self.cells.setdefault(tuple(path), {}).setdefault(model, Cell())

    def configure(self, strength: float, empirical_bayes: bool, regime_z: float, regime_strength: float,
                  regime_pool: bool = True, detect_regimes: bool = False) -> None:
        """Take the shrinkage knobs from ``RouterSettings`` (the policy calls this before estimating)."""
        self.strength, self.empirical_bayes = float(strength), empirical_bayes
        self.detect_regimes = detect_regimes
        self.regime_z, self.regime_strength = float(regime_z), float(regime_strength)
        self.regime_pool = regime_pool

    def spread(self) -> Spread | None:
        """The table's between-context spread; re-estimated once the counts grew by 1% (it moves slowly)."""
        total = sum(c.n for c in self.cells.get((), {}).values())
        if self._spread is None or total > 1.01 * self._spread_at:
            self._spread, self._spread_at = estimate_spread(self.cells), total
        return self._spread if self._spread.contexts >= MIN_SPREAD_CONTEXTS else None

    def observe(self, path: ContextPath, model: str, score: float, cost_usd: float | None,
                extra_paths: Iterable[ContextPath] = ()) -> None:
        """Count one outcome at every level of ``path`` (and the metadata paths); drops unpinned edits."""
        levels = [path[:i] for i in range(len(path) + 1)] + list(extra_paths)
        self._observed += 1
        for level in levels:
            cell = self.cell(level, model)
            cell.n += 1
            cell.score_sum += float(score)
            if cost_usd is not None and math.isfinite(cost_usd) and cost_usd >= 0:
                cell.cost_n += 1
                cell.cost_sum += float(cost_usd)
            if cell.edited and not cell.pinned:
                cell.user_score = cell.user_cost = None

    def observe_task(self, dimension: str | None, metadata: Mapping[str, Any] | None, keys: Sequence[str],
                     model: str, score: float, cost_usd: float | None) -> None:
        self.observe(context_path(dimension, metadata, keys), model, score, cost_usd,
                     extra_paths=metadata_paths(dimension, metadata, keys))

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]], keys: Sequence[str] = DEFAULT_PRIOR_KEYS,
                  strength: float = 10.0) -> Priors:
        """From result rows (``dimension, model, score, cost_usd`` and any metadata keys, e.g. ``source``).

        A missing ``source`` is read from a CodeRouterBench task id. Rows whose cost is null count for
        the score only.
        """
        priors = cls(strength)
        for i, row in enumerate(rows):
            model, score = row.get("model"), row.get("score")
            if not model or score is None:
                raise PriorsError(f"row {i}: needs 'model' and 'score' (got {dict(row)!r:.200})")
            metadata = dict(row)
            if not metadata.get("source") and row.get("task_id"):
                metadata["source"] = source_from_task_id(row["task_id"])
            cost = row.get("cost_usd")
            priors.observe_task(row.get("dimension"), metadata, keys, str(model), float(score),
                                None if cost is None else float(cost))
        return priors

    @classmethod
    def from_events(cls, events: Any, keys: Sequence[str] = DEFAULT_PRIOR_KEYS, strength: float = 10.0) -> Priors:
        """From routing-log records (a list of dicts, or a polars frame of them or with a ``raw`` JSON column).

        ``outcome`` events give model, score and cost; the route they answer supplies dimension, language,
        difficulty and prior keys when the outcome lacks them.
        """
        priors = cls(strength)
        priors.observe_events(events, keys)
        priors.origin = "the routing log"
        return priors

    def observe_events(self, events: Any, keys: Sequence[str] = DEFAULT_PRIOR_KEYS) -> int:
        """Count the scored outcomes among routing-log records (as ``from_events`` reads them); how many."""
        records = learned_outcomes(events)
        for record, metadata in records:
            cost = record.get("cost_usd")
            self.observe_task(metadata.get("dimension"), metadata, keys, record["model"], float(record["score"]),
                              None if cost is None or record.get("unpriced") else float(cost))
        return len(records)

    # ---- user edits -----------------------------------------------------------------------------
    def edit(self, path: ContextPath, model: str, score: float | None = None, cost_usd: float | None = None,
             pin: bool = False) -> None:
        if score is not None and not 0.0 <= score <= 1.0:
            raise PriorsError(f"score {score} for {model} at {format_path(path)}: must be within [0, 1]")
        if cost_usd is not None and not cost_usd >= 0:
            raise PriorsError(f"cost {cost_usd} for {model} at {format_path(path)}: must be >= 0")
        cell = self.cell(path, model)
        cell.user_score = score if score is not None else cell.user_score
        cell.user_cost = cost_usd if cost_usd is not None else cell.user_cost
        cell.pinned = pin

    def reset_user_values(self) -> int:
        """Return every edited or pinned cell to its learned values; how many cells changed."""
        changed = 0
        for models in self.cells.values():
            for cell in models.values():
                if cell.edited or cell.pinned:
                    cell.user_score = cell.user_cost = None
                    cell.pinned = False
                    changed += 1
        return changed

    def user_values(self) -> dict[tuple[ContextPath, str], UserValue]:
        """Every edited or pinned cell's user values, keyed by (path, model): what a save of edits writes."""
        return {(path, model): (cell.user_score, cell.user_cost, cell.pinned)
                for path, models in self.cells.items() for model, cell in models.items() if cell.edited or cell.pinned}

    def with_user_values(self, user_values: Mapping[tuple[ContextPath, str], UserValue]) -> Priors:
        """A copy with the same learned counts whose edits and pins are ``user_values`` (from ``user_values()``)."""
        copy = Priors(self.strength, self.empirical_bayes, self.regime_z, self.regime_strength, self.regime_pool,
                      self.detect_regimes)
        copy.origin = self.origin
        copy.cells = {path: {model: replace(cell, user_score=None, user_cost=None, pinned=False)
                             for model, cell in models.items()} for path, models in self.cells.items()}
        for (path, model), (score, cost, pinned) in user_values.items():
            cell = copy.cell(path, model)
            cell.user_score, cell.user_cost, cell.pinned = score, cost, pinned
        return copy

    # ---- estimating -----------------------------------------------------------------------------
    def estimate(self, path: ContextPath, models: Sequence[str]) -> dict[str, Estimate]:
        """Every model's shrunk expectation at the finest level of ``path``."""
        root = self.cells.get((), {})
        known = [c.score for c in root.values() if c.score is not None]
        fallback = sum(known) / len(known) if known else 0.5
        score = {m: _first(root.get(m, Cell()).score, fallback) for m in models}
        cost: dict[str, float | None] = {m: root[m].cost if m in root else None for m in models}
        n = {m: root[m].n if m in root else 0 for m in models}
        total = dict(n)
        # The spread sets the pseudo-count only under empirical Bayes; its cost part alone detects new regimes.
        spread = self.spread() if self.empirical_bayes or self.detect_regimes else None
        knobs = ShrinkKnobs(self.strength, self.empirical_bayes, self.regime_z, self.regime_strength)
        for depth in range(1, len(path) + 1):
            level_path = path[:depth]
            level = self.cells.get(level_path, {})
            pool = partial(self._regimes.pool, self.cells, level_path, spread=spread, regime_z=self.regime_z,
                           observed=self._observed) if self.regime_pool and spread is not None else None
            score, cost = shrink_level(knobs, level, models, score, cost, spread, pool)
            counts = {m: level[m].n if m in level else 0 for m in models}
            if any(counts.values()):
                n = counts
            total = {m: total[m] + counts[m] for m in models}
        return {m: Estimate(score[m], cost[m], n[m], total[m]) for m in models}


def _first(value: float | None, default: float) -> float:
    return default if value is None else value
