"""What-if: estimate, on the logged history, what an edited router setting would have scored and cost.

Why a separate module from ``router.offpolicy``: the estimators only need per-route arrays; this module
turns the paired routes (``router.logged_routes.logged_sample``) into them. It re-scores the logged
candidates under the candidate setting to get the probability it would have given the logged model, and
hands the arrays to the estimators. The dashboard calls ``estimate_setting`` and ``frontier`` from a worker
thread; ``codex-router whatif`` prints the same report. Reading the log: ``router.history``; parsing
``--set``: ``router.whatif_args``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from analytics.metrics import avg_perf, perf_per_dollar, total_cost
from analytics.numbers import is_number
from router import offpolicy
from router.logged_routes import LoggedRoute, LogSample, WhatIfError, logged_sample
from router.offpolicy import Estimate, LoggedBandit, Support
from router.policy import ACRouter
from router.prior_context import context_path, format_path
from router.priors import Priors, PriorsError
from router.settings import RouterSettings, SettingsError
from router.state import RouterState
from router.whatif_args import SETTING_KEYS, as_settings

__all__ = ["LogSample", "WhatIfError", "always_model_estimates", "as_settings", "bandit_for", "current_state",
           "edited_priors", "estimate_setting", "frontier", "logged_sample", "reproduced"]

DEFAULT_FRONTIER = tuple(round(x, 3) for x in np.linspace(-1.0, 0.0, 11))

# (dimension, model) -> {"score": ..., "cost_usd": ...}: prior cells a user edits on the command line.
PriorEdits = Mapping[tuple[str, str], Mapping[str, float]]


def current_state() -> tuple[RouterSettings, Priors]:
    """Today's settings and priors: what the router has saved (defaults on a first start)."""
    state = RouterState.load()
    return state.settings, state.priors


# ---------------------------------------------------------------------------------------------- re-scoring


def _logged_settings(decision: Mapping[str, Any]) -> RouterSettings:
    """The settings a route was decided with (defaults for keys an older writer did not log)."""
    logged = decision.get("settings")
    if not isinstance(logged, Mapping):
        return RouterSettings()
    try:
        return RouterSettings.from_mapping({k: v for k, v in logged.items() if k in _SETTING_FIELDS})
    except SettingsError:
        return RouterSettings()


_SETTING_FIELDS = frozenset(f for f in RouterSettings.__dataclass_fields__ if f != "cost_unit")


def edited_priors(priors: Priors, edits: PriorEdits) -> Priors:
    """A copy of ``priors`` with the user's (dimension, model) cells set; the original is left alone."""
    out = copy.deepcopy(priors)
    for (dimension, model), values in edits.items():
        try:
            out.edit(context_path(dimension, None, ()), model, score=values.get("score"),
                     cost_usd=values.get("cost_usd"))
        except PriorsError as exc:
            raise WhatIfError(f"prior.{dimension}.{model}: {exc}") from None
    return out


def bandit_for(sample: LogSample, settings: RouterSettings, priors: Priors | None = None) -> LoggedBandit:
    """Per-route arrays for the estimators; target probabilities from ``ACRouter.rescore``.

    ``ACRouter.rescore`` is the router's own re-scoring of a logged decision, so the reward formula lives
    in one place.
    """
    return _bandit(sample.routes, lambda route: ACRouter.rescore(route.decision, settings, priors),
                   _mean_cost_by_model(sample))


def _bandit(routes: Sequence[LoggedRoute], probabilities: Callable[[LoggedRoute], Mapping[str, float]],
            fallback_cost: Mapping[str, float]) -> LoggedBandit:
    """The DR reward model is the router's logged expected score and cost per candidate; a candidate logged
    without an expected cost (unpriced) uses the mean observed cost of its model in the sample."""
    n = len(routes)
    cols = {name: np.empty(n) for name in ("logged_prob", "target_prob", "score", "cost", "dm_score", "dm_cost",
                                          "model_score", "model_cost")}
    for i, route in enumerate(routes):
        probs = probabilities(route)
        expected = {c["model"]: (float(c["exp_score"]), _expected_cost(c, fallback_cost))
                    for c in route.decision["candidates"]}
        cols["logged_prob"][i] = route.propensity
        cols["target_prob"][i] = probs.get(route.model, 0.0)
        cols["score"][i] = route.score
        cols["cost"][i] = route.cost_usd
        cols["dm_score"][i] = sum(p * expected[m][0] for m, p in probs.items())
        cols["dm_cost"][i] = sum(p * expected[m][1] for m, p in probs.items())
        cols["model_score"][i], cols["model_cost"][i] = expected[route.model]
    return LoggedBandit(**cols)


def always_model_estimates(events: Any, *, min_ess: float = offpolicy.DEFAULT_MIN_ESS,
                           sample: LogSample | None = None) -> list[dict[str, Any]]:
    """What the same logged tasks would have scored and cost on Always-<model>, one row per model.

    Doubly robust where the log supports always picking the model (ESS >= ``min_ess``); otherwise the
    router's own expectation (its logged expected score/cost of that model on each task), marked so in
    ``method``. Only tasks whose logged candidates include the model count (``tasks``). Rows (the
    dashboard's sprint review shows them as they are): ``model`` ("Always-<model>"), ``tasks``,
    ``avg_perf`` (%), ``cost_usd`` (total over those tasks), ``perf_per_dollar``, ``method``, ``ess``.
    """
    sample = sample if sample is not None else logged_sample(events)
    fallback = _mean_cost_by_model(sample)
    models = sorted({c["model"] for route in sample.routes for c in route.decision["candidates"]})
    rows = []
    for model in models:
        routes = [r for r in sample.routes if any(c["model"] == model for c in r.decision["candidates"])]
        bandit = _bandit(routes, lambda _route, m=model: {m: 1.0}, fallback)
        sup = offpolicy.support(bandit, min_ess=min_ess)
        if sup.thin:
            values = offpolicy.point_values(bandit, "dm")
            method = f"router estimate (log ESS {sup.ess:.0f})"
        else:
            values = offpolicy.point_values(bandit, "dr")
            method = "doubly robust"
        rows.append({"model": f"Always-{model}", "tasks": len(routes), "avg_perf": values["avg_perf"],
                     "cost_usd": values["total_cost"], "perf_per_dollar": values["perf_per_dollar"],
                     "method": method, "ess": round(sup.ess, 1)})
    return rows


def _mean_cost_by_model(sample: LogSample) -> dict[str, float]:
    sums: dict[str, list[float]] = {}
    for route in sample.routes:
        sums.setdefault(route.model, []).append(route.cost_usd)
    return {model: float(np.mean(costs)) for model, costs in sums.items()}


def _expected_cost(candidate: Mapping[str, Any], fallback: Mapping[str, float]) -> float:
    cost = candidate.get("exp_cost_usd")
    if is_number(cost):
        return float(cost)
    return fallback.get(candidate["model"], 0.0)


# ---------------------------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class PolicyEstimate:
    """One setting's estimates: ``{estimator: {metric: Estimate}}`` and the support behind them."""

    settings: dict[str, Any]
    support: Support
    estimates: dict[str, dict[str, Estimate]]


@dataclass(frozen=True)
class WhatIfReport:
    """What the log shows, what today's setting and the candidate would have done, and the sample used."""

    counts: dict[str, int]
    observed: dict[str, float | None]
    today: PolicyEstimate
    candidate: PolicyEstimate
    prior_edits: list[dict[str, Any]]
    warnings: list[str]
    level: float
    n_boot: int

    def to_dict(self) -> dict[str, Any]:
        return offpolicy.as_dict(asdict(self))


def _observed(sample: LogSample) -> dict[str, float | None]:
    if not sample.routes:
        return dict.fromkeys(offpolicy.METRICS)
    perf = avg_perf([r.score for r in sample.routes])
    total = total_cost([r.cost_usd for r in sample.routes])
    return {"avg_perf": perf, "cost_per_task": total / len(sample.routes), "total_cost": total,
            "perf_per_dollar": perf_per_dollar(perf, total)}


def _policy_estimate(sample: LogSample, settings: RouterSettings, priors: Priors | None,
                     **options: Any) -> PolicyEstimate:
    sup, est = offpolicy.estimate(bandit_for(sample, settings, priors), **options)
    view = {k: getattr(settings, k) for k in SETTING_KEYS}
    view["cost_unit"] = settings.cost_unit
    return PolicyEstimate(settings=view, support=sup, estimates=est)


def _prior_edits(priors: Priors | None, current: Priors | None) -> list[dict[str, Any]]:
    """Cells edited in the candidate's priors that today's priors do not hold the same way."""
    if priors is None:
        return []
    out = []
    for path, models in sorted(priors.cells.items()):
        for model, cell in sorted(models.items()):
            before = current.cells.get(path, {}).get(model) if current is not None else None
            if cell.edited and (before is None or (before.user_score, before.user_cost) !=
                                (cell.user_score, cell.user_cost)):
                out.append({"context": format_path(path), "model": model, "score": cell.user_score,
                            "cost_usd": cell.user_cost})
    return out


def reproduced(route: LoggedRoute) -> bool:
    """Does today's router, re-scoring the logged decision at its logged settings, give the logged probabilities?

    When it does not, the log was written by another router version (or another reward formula): IPS stays
    valid (it only needs the logged propensities), but "today" is then not the policy that wrote the log.
    """
    probs = ACRouter.rescore(route.decision, _logged_settings(route.decision))
    logged = {c["model"]: c.get("prob") for c in route.decision["candidates"]}
    return all(isinstance(p, int | float) and abs(probs.get(m, -1.0) - p) <= 1e-6 for m, p in logged.items())


def _warnings(sample: LogSample, candidate: RouterSettings) -> list[str]:
    out = []
    looser = sum(1 for r in sample.routes
                 if (s := _logged_settings(r.decision)).k < candidate.k or s.threshold > candidate.threshold)
    if looser:
        out.append(f"{looser} route(s) were logged with a smaller k or a higher threshold than the candidate's: "
                   "neighbours they did not record cannot be recovered, so their neighbour vote is re-scored "
                   "from the recorded ones only")
    same = sum(reproduced(r) for r in sample.routes)
    if sample.routes and same < 0.95 * len(sample.routes):
        out.append(f"the current router reproduces the logged choice probabilities on only {same} of "
                   f"{len(sample.routes)} routes (a different router version or reward formula wrote the "
                   "log): estimates stay valid, but 'today' is not the policy that wrote the log")
    return out


def _inputs(events: Any, current_settings: RouterSettings | Mapping[str, Any] | None,
            candidate_settings: RouterSettings | Mapping[str, Any] | None, sample: LogSample | None,
            ) -> tuple[RouterSettings, RouterSettings, LogSample]:
    """Today's settings, the candidate's (a partial mapping applies on today's) and the paired routes."""
    today = as_settings(current_settings)
    return today, as_settings(candidate_settings, base=today), sample if sample is not None else logged_sample(events)


def estimate_setting(events: Any, current_settings: RouterSettings | Mapping[str, Any] | None,
                     candidate_settings: RouterSettings | Mapping[str, Any] | None,
                     priors: Priors | None = None, *, current_priors: Priors | None = None,
                     n_boot: int = offpolicy.DEFAULT_BOOTSTRAP, level: float = offpolicy.DEFAULT_LEVEL,
                     seed: int = 0, min_ess: float = offpolicy.DEFAULT_MIN_ESS,
                     sample: LogSample | None = None) -> WhatIfReport:
    """Off-policy estimate of ``candidate_settings`` (and edited priors) next to today's setting.

    ``events``: a Polars frame of events (e.g. ``SELECT raw FROM events``; a ``raw`` JSON column or plain
    columns) or an iterable of event dicts; ignored when a ``sample`` from ``logged_sample`` is given.
    ``current_settings``: today's RouterSettings (a mapping is applied on the defaults).
    ``candidate_settings``: the edited RouterSettings, or a mapping of changes applied on today's.
    ``priors``: the candidate's (edited) Priors, or None to keep each route's logged prior votes;
    ``current_priors``: today's Priors, so that both sides are re-scored with the same table and the
    difference is the edit alone (without it, today keeps the logged votes).
    Pure computation (no I/O, no UI): call it from a worker thread. Raises WhatIfError.
    """
    today, candidate, sample = _inputs(events, current_settings, candidate_settings, sample)
    options = {"n_boot": n_boot, "level": level, "seed": seed, "min_ess": min_ess}
    return WhatIfReport(counts=dict(sample.counts), observed=_observed(sample),
                        today=_policy_estimate(sample, today, current_priors, **options),
                        candidate=_policy_estimate(sample, candidate, priors, **options),
                        prior_edits=_prior_edits(priors, current_priors), warnings=_warnings(sample, candidate),
                        level=level, n_boot=n_boot)


@dataclass(frozen=True)
class FrontierPoint:
    eps_cost: float
    avg_perf: Estimate
    total_cost: Estimate
    support: Support


@dataclass(frozen=True)
class Frontier:
    """Estimated AvgPerf vs total cost as the cost weight eps_cost varies (other knobs as edited).

    ``edited`` is the candidate setting's own point (also on the sweep); ``today`` is today's setting,
    unedited, which lies on the sweep only when the edit changed nothing but eps_cost.
    """

    estimator: str
    points: list[FrontierPoint]
    today: FrontierPoint
    edited: FrontierPoint
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return offpolicy.as_dict(asdict(self))


def frontier(events: Any, current_settings: RouterSettings | Mapping[str, Any] | None,
             candidate_settings: RouterSettings | Mapping[str, Any] | None = None,
             priors: Priors | None = None, *, current_priors: Priors | None = None,
             eps_cost_values: Sequence[float] = DEFAULT_FRONTIER, estimator: str = "dr", n_boot: int = 200,
             level: float = offpolicy.DEFAULT_LEVEL, seed: int = 0, min_ess: float = offpolicy.DEFAULT_MIN_ESS,
             sample: LogSample | None = None) -> Frontier:
    """Sweep eps_cost (other knobs and priors as edited) and estimate each point with one estimator.

    Same inputs as ``estimate_setting``; thin points carry Estimates of None and the reason.
    """
    if estimator not in offpolicy.ESTIMATORS:
        raise WhatIfError(f"estimator {estimator!r}: one of {', '.join(offpolicy.ESTIMATORS)}")
    today, candidate, sample = _inputs(events, current_settings, candidate_settings, sample)
    options = {"n_boot": n_boot, "level": level, "seed": seed, "min_ess": min_ess}

    def point(settings: RouterSettings, table: Priors | None) -> FrontierPoint:
        sup, est = offpolicy.estimate(bandit_for(sample, settings, table), **options)
        return FrontierPoint(settings.eps_cost, est[estimator]["avg_perf"], est[estimator]["total_cost"], sup)

    values = sorted({float(v) for v in eps_cost_values} | {candidate.eps_cost})
    points = [point(candidate.replace(eps_cost=eps), priors) for eps in values]
    edited = next(p for p in points if p.eps_cost == candidate.eps_cost)
    return Frontier(estimator=estimator, points=points, today=point(today, current_priors), edited=edited,
                    counts=dict(sample.counts))

