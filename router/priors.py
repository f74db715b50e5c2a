"""Priors: what each model is expected to score and cost in a context, from counts, shrunk when thin.

A context is a path of (key, value) levels, coarse to fine: () (every task), ("dimension", d), then the
metadata keys in ``RouterSettings.prior_keys`` (the task's source benchmark, its repo) when present.
Language and difficulty get their own paths under the dimension; they feed the policy's *metadata* vote.

Estimation walks the path from the root. At each level the parent estimate is first moved by the
level's *offset* (how much better or worse, and how much dearer, the models seen here did than their parent
estimates, shrunk by ``strength``), then each model's own cell is blended in by its count. So one observed
model in an unfamiliar context (an agentic task costing 100x a probing task) moves every model's
expectation, while models with their own evidence keep it. Scores shift additively; costs multiply (in log
space), since costs differ between contexts by orders of magnitude.

How strongly a level is shrunk is estimated from the table itself (empirical Bayes, ``Spread``): the
pseudo-count is the typical within-context outcome variance over the between-context variance of model
scores once each context's common offset is removed (about 15 on CodeRouterBench's probing split). A context
whose costs sit far outside the spread its siblings show (``regime_z`` standard deviations; an agentic run
costing 100x a probing task) is a different kind of task: its own cost scale is taken as observed and each
model's parent score counts for only ``regime_strength`` observations, so a model that fails there drops fast.
When other contexts are already known to sit in the same regime (a second agentic benchmark after a first),
their pooled outcomes are a second candidate parent; the two are mixed by how well each predicts the new
context's own outcomes so far (Bayesian model comparison, even prior odds), so the pool wins only where the
old parent's ranking has stopped holding.

A user can edit a cell (valid until the router learns something new for that cell) or pin it (kept
until ``reset_user_values``); the learned counts are kept underneath either way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from analytics.errors import CodexRouterError
from analytics.schema import loads_line
from router.settings import DEFAULT_PRIOR_KEYS

Path = tuple[tuple[str, str], ...]
UserValue = tuple[float | None, float | None, bool]  # a cell's user score, user cost, pinned
METADATA_KEYS = ("language", "difficulty")
# A between-context variance from fewer groups is too noisy to set the shrinkage (fixed prior_strength then).
MIN_SPREAD_CONTEXTS = 5
REGIME_RESCAN = 25  # observations between two scans of every context for new-regime membership


class PriorsError(CodexRouterError, ValueError):
    """A malformed priors table; the message names the entry and field."""


@dataclass
class Cell:
    """Learned sums for one (context, model), plus an optional user value on top."""

    n: int = 0
    score_sum: float = 0.0
    cost_n: int = 0
    cost_sum: float = 0.0
    user_score: float | None = None
    user_cost: float | None = None
    pinned: bool = False

    @property
    def learned_score(self) -> float | None:
        return self.score_sum / self.n if self.n else None

    @property
    def learned_cost(self) -> float | None:
        return self.cost_sum / self.cost_n if self.cost_n else None

    @property
    def edited(self) -> bool:
        return self.user_score is not None or self.user_cost is not None

    @property
    def score(self) -> float | None:
        return self.user_score if self.user_score is not None else self.learned_score

    @property
    def cost(self) -> float | None:
        return self.user_cost if self.user_cost is not None else self.learned_cost


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


def context_path(dimension: str | None, metadata: Mapping[str, Any] | None, keys: Sequence[str]) -> Path:
    """The nested levels for a task: dimension, then each prior key present in its metadata, in order."""
    path: list[tuple[str, str]] = []
    if dimension:
        path.append(("dimension", str(dimension)))
    for key in keys:
        value = (metadata or {}).get(key)
        if value is not None and value != "":
            path.append((key, str(value)))
    return tuple(path)


def metadata_paths(dimension: str | None, metadata: Mapping[str, Any] | None, keys: Sequence[str] = ()) -> list[Path]:
    """One path per known language/difficulty, under the task's context (dimension, then ``keys``).

    Under the full context, so "python tasks" of one benchmark never outvote that benchmark's own record
    with another benchmark's python tasks.
    """
    base = context_path(dimension, metadata, keys)
    return [(*base, (key, str(value))) for key in METADATA_KEYS
            if (value := (metadata or {}).get(key)) not in (None, "")]


def source_from_task_id(task_id: str) -> str | None:
    """CodeRouterBench ids look like ``dim<k>_<source>_<id>``; the middle part names the source benchmark."""
    parts = str(task_id).split("_", 2)
    if len(parts) == 3 and parts[0].startswith("dim") and parts[0][3:].isdigit():
        return parts[1]
    return None


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


class Priors:
    """Counts per (context path, model); see the module docstring for how estimates are shrunk."""

    def __init__(self, strength: float = 10.0, empirical_bayes: bool = True, regime_z: float = 3.0,
                 regime_strength: float = 1.0, regime_pool: bool = True, detect_regimes: bool = False) -> None:
        self.strength = float(strength)
        self.empirical_bayes = empirical_bayes
        self.detect_regimes = detect_regimes  # new regimes also with empirical_bayes off (always with it on)
        self.regime_z = float(regime_z)
        self.regime_strength = float(regime_strength)
        self.regime_pool = regime_pool
        self.cells: dict[Path, dict[str, Cell]] = {}
        self.origin = ""  # where the counts came from, for a decision's explanation ("" = unknown or none)
        self._spread: Spread | None = None
        self._spread_at = 0
        self._observed = 0
        self._regime_cache: tuple[tuple[Any, ...], Any] | None = None

    # ---- building -------------------------------------------------------------------------------
    @property
    def models(self) -> list[str]:
        return sorted(self.cells.get((), {}))

    def cell(self, path: Path, model: str) -> Cell:
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
            self._spread, self._spread_at = _estimate_spread(self.cells), total
        return self._spread if self._spread.contexts >= MIN_SPREAD_CONTEXTS else None

    def observe(self, path: Path, model: str, score: float, cost_usd: float | None,
                extra_paths: Iterable[Path] = ()) -> None:
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

        ``outcome`` events give model, score and cost; the matching ``route`` event (same task_id) supplies
        dimension, language, difficulty and prior keys when the outcome lacks them.
        """
        priors = cls(strength)
        priors.observe_events(events, keys)
        priors.origin = "the routing log"
        return priors

    def observe_events(self, events: Any, keys: Sequence[str] = DEFAULT_PRIOR_KEYS) -> int:
        """Count the scored outcomes among routing-log records (as ``from_events`` reads them); how many."""
        records = outcome_records(events)
        for record, metadata in records:
            self.observe_task(metadata.get("dimension"), metadata, keys, record["model"], float(record["score"]),
                              _cost(record))
        return len(records)

    # ---- user edits -----------------------------------------------------------------------------
    def edit(self, path: Path, model: str, score: float | None = None, cost_usd: float | None = None,
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

    # ---- estimating -----------------------------------------------------------------------------
    def estimate(self, path: Path, models: Sequence[str]) -> dict[str, Estimate]:
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
        for depth in range(1, len(path) + 1):
            level = self.cells.get(path[:depth], {})
            score, cost = self._shrink_level(path[:depth], level, models, score, cost, spread)
            counts = {m: level[m].n if m in level else 0 for m in models}
            if any(counts.values()):
                n = counts
            total = {m: total[m] + counts[m] for m in models}
        return {m: Estimate(score[m], cost[m], n[m], total[m]) for m in models}

    def _shrink_level(self, path: Path, level: Mapping[str, Cell], models: Sequence[str],
                      parent_score: dict[str, float], parent_cost: dict[str, float | None], spread: Spread | None,
                      ) -> tuple[dict[str, float], dict[str, float | None]]:
        tau = base_tau = spread.strength if spread is not None and self.empirical_bayes else self.strength
        offset_tau = tau
        raw_log_scale, cost_weight = _log_cost_offset(level, parent_cost)
        if spread is not None and abs(raw_log_scale) > self.regime_z * spread.cost_sd:
            # Costs far outside what sibling contexts show: a different kind of task. The parent's cost scale
            # is dropped and each model's parent score counts for only ``regime_strength`` observations (unit
            # information) against the model's own outcomes here. The common score offset keeps its usual
            # shrinkage: one model failing often must not drag every untried model down with it.
            tau, offset_tau = self.regime_strength, 0.0
            pool = self._regime_pool(path, raw_log_scale > 0, spread) if self.regime_pool else {}
            if pool:
                pooled_score, pooled_cost = _pooled_parent(pool, parent_score, self.regime_strength)
                scaled_cost = {m: c * math.exp(raw_log_scale) if c else None for m, c in parent_cost.items()}
                w = _pool_weight(level, parent_score, pooled_score)
                parent_score = {m: w * pooled_score[m] + (1 - w) * parent_score[m] for m in parent_score}
                parent_cost = {m: _log_mix(pooled_cost.get(m), scaled_cost[m], w) for m in parent_cost}
                raw_log_scale, cost_weight = _log_cost_offset(level, parent_cost)
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

    def _regime_pool(self, path: Path, dearer: bool, spread: Spread) -> dict[str, Cell]:
        """Per model, the outcomes of the *other* contexts in the same new cost regime as ``path``.

        A second agentic benchmark behaves like the first far more than like the single-shot tasks of the
        probing set: once a context is recognised as a new regime, the contexts already seen in that regime
        (cost offset from their parent beyond ``regime_z`` on the same side; the top-most of nested ones) are a
        second candidate parent, so a model that was dear or weak there is not re-explored at full price here.
        """
        members, totals = self._regime_members(spread)[dearer]
        related = [other for other in members if other[: len(path)] == path or path[: len(other)] == other]
        if not related:
            return totals
        pool = {model: replace(cell) for model, cell in totals.items()}
        for other in related:
            for model, cell in members[other].items():
                _add_cell(pool[model], cell, -1)
        return pool

    def _regime_members(self, spread: Spread) -> dict[bool, tuple[dict[Path, dict[str, Cell]], dict[str, Cell]]]:
        """The top-most contexts of each new regime (dearer / cheaper) with a copy of their cells, and the
        per-model totals over them. Rescanning every context costs ~4 us each, so it happens once per
        ``REGIME_RESCAN`` observations; a pool a few outcomes old is as good a parent."""
        key = (self._observed // REGIME_RESCAN, self.regime_z, spread.cost_sd)
        if self._regime_cache is not None and self._regime_cache[0] == key:
            return self._regime_cache[1]
        found: dict[bool, dict[Path, dict[str, Cell]]] = {True: {}, False: {}}
        for other, level in self.cells.items():
            if not other:
                continue
            parent = self.cells.get(other[:-1], {})
            offset, weight = _log_cost_offset(level, {m: c.learned_cost for m, c in parent.items()})
            if weight and abs(offset) > self.regime_z * spread.cost_sd:
                found[offset > 0][other] = {m: replace(c) for m, c in level.items()}
        index = {}
        for side, paths in found.items():
            top = {p: cells for p, cells in paths.items() if not any(p[:i] in paths for i in range(1, len(p)))}
            totals: dict[str, Cell] = {}
            for cells in top.values():
                for model, cell in cells.items():
                    _add_cell(totals.setdefault(model, Cell()), cell, 1)
            index[side] = (top, totals)
        self._regime_cache = (key, index)
        return index

    # ---- persistence ----------------------------------------------------------------------------
    def user_values(self) -> dict[tuple[Path, str], UserValue]:
        """Every edited or pinned cell's user values, keyed by (path, model): what a save of edits writes."""
        return {(path, model): (cell.user_score, cell.user_cost, cell.pinned)
                for path, models in self.cells.items() for model, cell in models.items() if cell.edited or cell.pinned}

    def with_user_values(self, user_values: Mapping[tuple[Path, str], UserValue]) -> Priors:
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

    def to_records(self, user_values: Mapping[tuple[Path, str], UserValue] | None = None) -> list[dict[str, Any]]:
        """One plain dict per cell (the ``[[priors]]`` tables of router.toml), learned means not sums.

        ``user_values`` (from ``user_values()``) replaces the cells' own edits and pins, so the learned counts
        can be written without edits the user has not saved.
        """
        out = []
        for path in sorted(self.cells):
            for model in sorted(self.cells[path]):
                cell = self.cells[path][model]
                record: dict[str, Any] = dict(path)
                record.update(model=model, n=cell.n, score=_round(cell.learned_score),
                              cost_n=cell.cost_n, cost_usd=_round(cell.learned_cost))
                user_score, user_cost, pinned = (
                    (cell.user_score, cell.user_cost, cell.pinned) if user_values is None
                    else user_values.get((path, model), (None, None, False)))
                if user_score is not None:
                    record["user_score"] = user_score
                if user_cost is not None:
                    record["user_cost_usd"] = user_cost
                if pinned:
                    record["pinned"] = True
                out.append({k: v for k, v in record.items() if v is not None})
        return out

    @classmethod
    def from_records(cls, records: Sequence[Mapping[str, Any]], strength: float = 10.0,
                     source: str = "priors") -> Priors:
        """Inverse of ``to_records``; errors name the entry index and field."""
        priors = cls(strength)
        value_fields = {"model", "n", "score", "cost_n", "cost_usd", "user_score", "user_cost_usd", "pinned"}
        for i, record in enumerate(records):
            where = f"{source}[{i}]"
            if not isinstance(record, Mapping):
                raise PriorsError(f"{where}: expected a table")
            model = record.get("model")
            if not isinstance(model, str) or not model:
                raise PriorsError(f"{where}.model: required, a model name")
            path = tuple((str(k), _str_field(record, k, where)) for k in record if k not in value_fields)
            cell = priors.cell(path, model)
            cell.n = _int_field(record, "n", where)
            cell.cost_n = _int_field(record, "cost_n", where)
            score = _num_field(record, "score", where, 0.0, 1.0)
            cost = _num_field(record, "cost_usd", where, 0.0, math.inf)
            if cell.n and score is None:
                raise PriorsError(f"{where}.score: required when n > 0")
            if cell.cost_n and cost is None:
                raise PriorsError(f"{where}.cost_usd: required when cost_n > 0")
            cell.score_sum = (score or 0.0) * cell.n
            cell.cost_sum = (cost or 0.0) * cell.cost_n
            cell.user_score = _num_field(record, "user_score", where, 0.0, 1.0)
            cell.user_cost = _num_field(record, "user_cost_usd", where, 0.0, math.inf)
            pinned = record.get("pinned", False)
            if not isinstance(pinned, bool):
                raise PriorsError(f"{where}.pinned: must be true or false")
            cell.pinned = pinned
        return priors


def _log_cost_offset(level: Mapping[str, Cell], parent_cost: Mapping[str, float | None]) -> tuple[float, int]:
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


def _add_cell(total: Cell, cell: Cell, sign: int) -> None:
    """Add (sign 1) or remove (sign -1) one cell's learned sums to a running total."""
    total.n += sign * cell.n
    total.score_sum += sign * cell.score_sum
    total.cost_n += sign * cell.cost_n
    total.cost_sum += sign * cell.cost_sum


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


def _estimate_spread(cells: Mapping[Path, Mapping[str, Cell]], min_n: int = 5) -> Spread:
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


def format_path(path: Path) -> str:
    return "/".join(f"{k}={v}" for k, v in path) or "(all tasks)"


def outcome_records(events: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Scored ``outcome`` records, each with its context merged from the task's ``route`` event."""
    records = _as_records(events)
    routes: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.get("event") == "route" and record.get("task_id"):
            context = {k: v for k, v in record.items() if k not in ("event", "model", "ts", "decision")}
            features = ((record.get("decision") or {}).get("features") or {})
            context.update({k: v for k, v in (features.get("keys") or {}).items() if v is not None})
            routes[str(record["task_id"])] = context
    out = []
    for record in records:
        if record.get("event") != "outcome" or record.get("score") is None or not record.get("model"):
            continue
        if record.get("status") not in (None, "ok"):
            continue
        context = dict(routes.get(str(record.get("task_id")), {}))
        context.update({k: v for k, v in record.items() if v is not None})
        if not context.get("source") and context.get("task_id"):
            context["source"] = source_from_task_id(str(context["task_id"]))
        out.append((record, context))
    return out


def _as_records(events: Any) -> list[dict[str, Any]]:
    if hasattr(events, "to_dicts"):
        rows = events.to_dicts()
        if rows and "raw" in rows[0]:
            return [loads_line(row["raw"]) for row in rows if row.get("raw")]
        return rows
    return [dict(e) for e in events]


def _cost(record: Mapping[str, Any]) -> float | None:
    cost = record.get("cost_usd")
    return None if cost is None or record.get("unpriced") else float(cost)


def _blend(own: float | None, n: int, target: float, tau: float, user: bool) -> float:
    if own is None:
        return target
    if user:
        return own
    return (n * own + tau * target) / (n + tau) if n + tau > 0 else own


def _first(value: float | None, default: float) -> float:
    return default if value is None else value


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 10)


def _str_field(record: Mapping[str, Any], key: str, where: str) -> str:
    value = record[key]
    if not isinstance(value, str):
        raise PriorsError(f"{where}.{key}: a context key must be a string (got {value!r})")
    return value


def _int_field(record: Mapping[str, Any], key: str, where: str) -> int:
    value = record.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PriorsError(f"{where}.{key}: must be a non-negative integer (got {value!r})")
    return value


def _num_field(record: Mapping[str, Any], key: str, where: str, low: float, high: float) -> float | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high \
            or not math.isfinite(value):
        raise PriorsError(f"{where}.{key}: must be a number in [{low}, {high}] (got {value!r})")
    return float(value)
