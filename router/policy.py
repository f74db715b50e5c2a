"""ACRouter's orchestrator: weighted voting of priors, nearest past tasks and metadata, then max reward.

For each model three sources vote an expected score and cost:

* ``prior``: the shrunk estimate for the task's context (dimension, then source/repo; see ``router.priors``).
  Weight: the observations at the task's finest context level, at least 1, at most ``prior_weight_cap``,
  times the dimension confidence. A population mean counts for at most that many similar tasks.
* ``knn``: neighbours from Memory run on that model; similarity-weighted mean. Weight: the sum of their
  similarities (each close neighbour counts as about one observation).
* ``metadata``: the prior refined by language / difficulty under the task's context, weighted like
  ``prior`` by its own count times the feature's confidence; absent when nothing was observed for it.

Scores combine as a weighted mean; costs as a weighted geometric mean. The reward is
``eps_perf * score + eps_cost * kappa`` with ``kappa = 0.1 * log2(cost / geometric mean of the candidates'
costs)`` (``settings.COST_UNIT``, ``settings.kappa``): scale-free, so the same eps_cost means the same trade-off for
a $0.002 completion and a $1 agentic fix. The model maximising ``reward + bonus`` wins, where the optimism bonus
``optimism * sqrt(ln(1 + N) / (1 + n))`` (UCB-style: ``n`` the model's observations in the task's finest
observed context plus its neighbours, ``N`` the same summed over models) makes an unfamiliar kind of task try
each plausible model (a tie goes to ``TIE_RULE``, and the decision says so in its ``basis``);
``exploration`` then spreads that much probability uniformly (the logged propensity).
How fast a new context overrides its parent (empirical-Bayes shrinkage, new-regime detection from the cost
scale) is ``router.priors``' business.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from router.decision import Candidate, Decision, Vote
from router.memory import Memory, Neighbour
from router.prior_context import context_path, metadata_paths
from router.priors import Priors
from router.settings import RouterSettings
from router.settings import kappa as cost_kappa

TIE_RULE = "cheapest expected cost, then model name"
# Rewards equal to this many decimals are a tie (two models with the same counts must tie exactly, not by
# floating-point noise); the same rounding orders the candidates, so the logged order matches the choice.
TIE_DECIMALS = 12


def rank_key(value: float, cost_usd: float | None, name: str) -> tuple[float, float, str]:
    """Sort key of the choice: highest value, then (``TIE_RULE``) cheapest expected cost (unknown last), name."""
    return (-round(value, TIE_DECIMALS), math.inf if cost_usd is None else cost_usd, name)


def choice_probabilities(rewards: Mapping[str, float], exploration: float,
                         costs: Mapping[str, float | None] | None = None) -> dict[str, float]:
    """The policy's probability per model: argmax (ties by ``TIE_RULE``) mixed with uniform.

    Pure and deterministic, so an off-policy estimator can recompute it for any logged candidate set.
    """
    if not rewards:
        return {}
    if not 0.0 <= exploration <= 1.0:
        raise ValueError(f"exploration must be within [0, 1] (got {exploration})")
    names = sorted(rewards)
    costs = costs or {}
    best = min(names, key=lambda name: rank_key(rewards[name], costs.get(name), name))
    share = exploration / len(names)
    return {name: share + (1.0 - exploration if name == best else 0.0) for name in names}


def decision_basis(candidates: Sequence[Candidate], priors_origin: str) -> tuple[str, str]:
    """What the choice rests on (``evidence``, ``tie`` or ``no_evidence``) and one human line saying so.

    ``candidates`` in ``score_candidates``' order (the argmax first). No evidence: no candidate has a single
    observation behind any of its votes (a fresh install without priors), so every estimate is a fallback.
    """
    origin = f"priors from {priors_origin}" if priors_origin else "no priors loaded"
    if not candidates:
        return "no_evidence", f"no candidates; {origin}"
    if all(sum(v.n for v in c.votes.values()) == 0 for c in candidates):
        return "no_evidence", f"no evidence for any model yet: choosing by {TIE_RULE}; {origin}"
    top = round(candidates[0].reward + candidates[0].bonus, TIE_DECIMALS)
    tied = [c.model for c in candidates if round(c.reward + c.bonus, TIE_DECIMALS) == top]
    if len(tied) > 1:
        return "tie", (f"tie at reward {top:+.3f} between {', '.join(tied)}: broken by {TIE_RULE} -> "
                       f"{candidates[0].model}; {origin}")
    best = candidates[0]
    n = sum(v.n for v in best.votes.values())
    margin = (f", {best.reward + best.bonus - candidates[1].reward - candidates[1].bonus:.3f} ahead of "
              f"{candidates[1].model}" if len(candidates) > 1 else "")
    return "evidence", f"{best.model} on {n} observations{margin}; {origin}"


@dataclass(frozen=True)
class TaskContext:
    """What the policy keys on, taken from ``TaskFeatures`` (router.features) or a logged decision."""

    dimension: str | None
    dimension_confidence: float
    metadata: Mapping[str, Any]
    confidences: Mapping[str, float]
    embedding: np.ndarray | None
    text: str | None

    @classmethod
    def from_features(cls, features: Any) -> TaskContext:
        metadata = dict(getattr(features, "metadata", None) or {})
        confidences: dict[str, float] = {}
        for key in ("language", "difficulty"):
            value = getattr(features, key, None)
            confidence = float(getattr(features, f"{key}_confidence", 1.0) or 0.0)
            if value and not metadata.get(key) and confidence > 0:
                metadata[key] = value
                confidences[key] = confidence
            elif metadata.get(key):
                confidences[key] = 1.0
        confidence = getattr(features, "dimension_confidence", 1.0)
        return cls(getattr(features, "dimension", None), 1.0 if confidence is None else float(confidence),
                   metadata, confidences, getattr(features, "embedding", None), getattr(features, "text", None))

    def features_log(self, keys: Sequence[str]) -> dict[str, Any]:
        return {"dimension": self.dimension, "dimension_confidence": round(self.dimension_confidence, 4),
                "language": self.metadata.get("language"), "difficulty": self.metadata.get("difficulty"),
                "language_confidence": self.confidences.get("language"),
                "difficulty_confidence": self.confidences.get("difficulty"),
                "keys": {key: self.metadata.get(key) for key in keys if self.metadata.get(key) is not None}}


class ACRouter:
    """Decides per task and learns from each outcome (memory and log-derived prior counts together)."""

    def __init__(self, models: Sequence[str], priors: Priors, memory: Memory | None = None,
                 settings: RouterSettings | None = None, name: str = "acrouter", seed: int | None = None) -> None:
        if not models:
            raise ValueError("ACRouter needs at least one model")
        self.models = list(dict.fromkeys(models))
        self.priors = priors
        self.memory = memory
        self.settings = settings or RouterSettings()
        self.name = name
        self._rng = random.Random(seed)

    def decide(self, features: Any) -> Decision:
        context = TaskContext.from_features(features)
        settings = self.settings
        neighbours: list[Neighbour] = []
        if self.memory is not None and context.embedding is not None:
            neighbours = self.memory.neighbours(context.embedding, settings.k, settings.threshold)
        votes = self._votes(context, neighbours)
        n_context = {m: votes[m]["prior"].n + sum(1 for nb in neighbours if nb.model == m) for m in self.models}
        candidates, probs = score_candidates(votes, n_context, settings)
        if settings.exploration > 0:
            chosen = self._rng.choices(list(probs), weights=list(probs.values()))[0]
        else:
            chosen = candidates[0].model
        basis, note = decision_basis(candidates, self.priors.origin)
        return Decision(self.name, chosen, probs[chosen], settings.to_log(),
                        context.features_log(settings.prior_keys), tuple(candidates), tuple(neighbours),
                        basis, note)

    def _votes(self, context: TaskContext, neighbours: Sequence[Neighbour]) -> dict[str, dict[str, Vote]]:
        settings = self.settings
        self.priors.configure(settings.prior_strength, settings.empirical_bayes, settings.regime_z,
                              settings.regime_strength, settings.regime_pool, settings.detect_regimes)
        path = context_path(context.dimension, context.metadata, settings.prior_keys)
        prior = self.priors.estimate(path, self.models)
        # A language/difficulty level that holds exactly the context's outcomes (every task here is python) adds
        # nothing: voting it would count the same evidence twice against the neighbours.
        # A level with no outcomes of its own only repeats its parent, so it does not vote either; a model
        # votes there with its own count at that level, never the count it inherits.
        counts = {m: c.n for m, c in self.priors.cells.get(path, {}).items() if c.n}
        meta_levels = []
        for mpath in metadata_paths(context.dimension, context.metadata, settings.prior_keys):
            own = {m: c.n for m, c in self.priors.cells.get(mpath, {}).items() if c.n}
            if own and own != counts:
                meta_levels.append((mpath[-1][0], self.priors.estimate(mpath, self.models), own))
        votes: dict[str, dict[str, Vote]] = {}
        for model in self.models:
            estimate = prior[model]
            weight = prior_evidence(estimate.n, settings, context.dimension_confidence)
            model_votes = {"prior": Vote(estimate.score, estimate.cost_usd, weight, estimate.n)}
            meta = [(est[model], own[model], context.confidences.get(key, 1.0))
                    for key, est, own in meta_levels if own.get(model)]
            if meta:
                evidence = sum(min(float(n), settings.prior_weight_cap) * conf for _, n, conf in meta) / len(meta)
                if evidence > 0:
                    model_votes["metadata"] = Vote(
                        sum(e.score * n for e, n, _ in meta) / sum(n for _, n, _ in meta),
                        _geo_mean([(e.cost_usd, n) for e, n, _ in meta]), evidence, max(n for _, n, _ in meta))
            knn = knn_vote(neighbours, model)
            if knn is not None:
                model_votes["knn"] = knn
            votes[model] = model_votes
        return votes

    def update(self, features: Any, model: str, score: float, cost_usd: float | None,
               trace: Mapping[str, Any] | None = None, task_id: str = "") -> None:
        """Learn from one verified outcome: prior counts and memory change together."""
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"score must be within [0, 1] (got {score})")
        context = TaskContext.from_features(features)
        if model not in self.models:
            self.models.append(model)
        self.priors.observe_task(context.dimension, context.metadata, self.settings.prior_keys, model, score,
                                 cost_usd)
        if self.memory is not None and context.embedding is not None:
            self.memory.add(context.embedding, task_id, context.text or "", model, score, cost_usd, trace)

    @staticmethod
    def rescore(decision_log: Mapping[str, Any], settings: RouterSettings,
                priors: Priors | None = None) -> dict[str, float]:
        """Probabilities the policy would give each logged candidate under other settings (and priors).

        Uses only the logged decision: its votes, the neighbours it recorded (re-filtered by the new ``k``
        and ``threshold``; a looser setting cannot recover neighbours that were not logged) and its
        features. With ``priors``, the prior and metadata votes are recomputed for the logged context.
        """
        models = [c["model"] for c in decision_log.get("candidates", [])]
        if not models:
            return {}
        features = dict(decision_log.get("features") or {})
        n_context: dict[str, int] = {}
        votes: dict[str, dict[str, Vote]] = {}
        logged_neighbours = decision_log.get("neighbours")
        neighbours = []
        if logged_neighbours is not None:
            kept = [nb for nb in logged_neighbours if float(nb["similarity"]) >= settings.threshold]
            kept.sort(key=lambda nb: -float(nb["similarity"]))
            neighbours = [Neighbour(str(nb.get("task_id", "")), str(nb.get("task", "")), str(nb["model"]),
                                    float(nb["score"]), nb.get("cost_usd"), float(nb["similarity"]))
                          for nb in kept[: settings.k]]
        for candidate in decision_log["candidates"]:
            logged = {name: Vote.from_log(v) for name, v in (candidate.get("votes") or {}).items()}
            if "prior" in logged:
                prior = logged["prior"]
                confidence = float(features.get("dimension_confidence") or 1.0)
                logged["prior"] = Vote(prior.score, prior.cost_usd, prior_evidence(prior.n, settings, confidence),
                                       prior.n)
            if logged_neighbours is not None:
                logged.pop("knn", None)
                knn = knn_vote(neighbours, candidate["model"])
                if knn is not None:
                    logged["knn"] = knn
            votes[candidate["model"]] = logged
            n_context[candidate["model"]] = int(candidate.get("n_context", 0))
        if priors is not None:
            metadata = {**(features.get("keys") or {}),
                        **{k: features[k] for k in ("language", "difficulty") if features.get(k)}}
            context = TaskContext(features.get("dimension"), float(features.get("dimension_confidence") or 1.0),
                                  metadata, {k: float(features.get(f"{k}_confidence") or 1.0)
                                             for k in ("language", "difficulty")}, None, None)
            fresh = ACRouter(models, priors, None, settings)._votes(context, neighbours)
            for model in models:
                votes[model] = {**{k: v for k, v in votes[model].items() if k == "knn"},
                                **{k: v for k, v in fresh[model].items() if k != "knn"}}
                n_context[model] = fresh[model]["prior"].n + sum(1 for nb in neighbours if nb.model == model)
        return score_candidates(votes, n_context, settings)[1]


def prior_evidence(n: int, settings: RouterSettings, dimension_confidence: float) -> float:
    """The prior's weight: its observations in the task's finest context, within [1, prior_weight_cap]."""
    return max(1.0, min(float(n), settings.prior_weight_cap)) * dimension_confidence


def knn_vote(neighbours: Sequence[Neighbour], model: str) -> Vote | None:
    """Similarity-weighted mean of the neighbours that ran ``model`` (None when there are none)."""
    mine = [nb for nb in neighbours if nb.model == model and nb.similarity > 0]
    if not mine:
        return None
    weight = sum(nb.similarity for nb in mine)
    score = sum(nb.similarity * nb.score for nb in mine) / weight
    return Vote(score, _geo_mean([(nb.cost_usd, nb.similarity) for nb in mine]), weight, len(mine))


def score_candidates(votes: Mapping[str, Mapping[str, Vote]], n_context: Mapping[str, int],
                     settings: RouterSettings) -> tuple[list[Candidate], dict[str, float]]:
    """Combine votes per model, compute kappa, reward and bonus, then the choice probabilities."""
    combined: dict[str, tuple[float, float | None]] = {}
    for model, model_votes in votes.items():
        total = sum(v.evidence for v in model_votes.values())
        score = (sum(v.evidence * v.score for v in model_votes.values()) / total if total > 0
                 else next(iter(model_votes.values())).score if model_votes else 0.0)
        # Votes without weight (a task of no known dimension: confidence 0) still carry the only cost known.
        cost = _geo_mean([(v.cost_usd, v.evidence if total > 0 else 1.0) for v in model_votes.values()])
        combined[model] = (score, cost)
    reference = _geo_mean([(cost, 1.0) for _, cost in combined.values()])
    kappa = {m: cost_kappa(cost, reference) for m, (_, cost) in combined.items()}
    reward = {m: settings.eps_perf * combined[m][0] + settings.eps_cost * kappa[m] for m in combined}
    spread = math.log(1 + sum(n_context.get(m, 0) for m in combined))
    bonus = {m: settings.optimism * math.sqrt(spread / (1 + n_context.get(m, 0))) for m in combined}
    costs = {m: cost for m, (_, cost) in combined.items()}
    probs = choice_probabilities({m: reward[m] + bonus[m] for m in combined}, settings.exploration, costs)
    candidates = [Candidate(m, combined[m][0], combined[m][1], kappa[m], reward[m], bonus[m], probs[m],
                            n_context.get(m, 0), votes[m]) for m in sorted(combined)]
    candidates.sort(key=lambda c: rank_key(c.reward + c.bonus, c.exp_cost_usd, c.model))
    return candidates, probs


def _geo_mean(pairs: Sequence[tuple[float | None, float]]) -> float | None:
    """Weighted geometric mean of the positive values (costs span orders of magnitude)."""
    usable = [(value, weight) for value, weight in pairs if value is not None and value > 0 and weight > 0]
    if not usable:
        return None
    total = sum(w for _, w in usable)
    return math.exp(sum(w * math.log(v) for v, w in usable) / total)
