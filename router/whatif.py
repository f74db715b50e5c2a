"""What-if: estimate, on the logged history, what an edited router setting would have scored and cost.

Why a separate module from ``router.offpolicy``: the estimators only need per-route arrays; this module
knows the routing log. It pairs each policy `route` with its `outcome` (by ``task_id``), leaves out manual
choices (``router == "manual"``, an `override` for the task, or an outcome for another model), re-scores the
logged candidates under the candidate setting to get the probability it would have given the logged model,
and hands the arrays to the estimators. The dashboard calls ``estimate_setting`` and ``frontier`` from a
worker thread; ``codex-router whatif`` prints the same report.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from analytics import queries
from analytics.ingest import LogIngester
from analytics.schema import loads_line
from analytics.store import MEMORY, Store, StoreLockedError
from router import offpolicy
from router.offpolicy import Estimate, LoggedBandit, Support
from router.policy import ACRouter
from router.priors import Priors, PriorsError, context_path, format_path
from router.settings import RouterSettings, SettingsError
from router.state import RouterState

SETTING_KEYS = ("eps_perf", "eps_cost", "k", "threshold", "exploration")
PRIOR_FIELDS = {"score": "score", "cost_usd": "cost_usd", "cost": "cost_usd"}
DEFAULT_FRONTIER = tuple(round(x, 3) for x in np.linspace(-1.0, 0.0, 11))

# (dimension, model) -> {"score": ..., "cost_usd": ...}: prior cells a user edits on the command line.
PriorEdits = Mapping[tuple[str, str], Mapping[str, float]]


class WhatIfError(ValueError):
    """Input the estimate cannot use; the message names the key, line or field."""


@dataclass(frozen=True)
class LoggedRoute:
    """A policy route joined with its outcome: what the router knew, what it picked, what happened."""

    task_id: str
    dimension: str | None
    model: str
    propensity: float
    decision: Mapping[str, Any]
    score: float
    cost_usd: float


@dataclass
class LogSample:
    """The usable routes plus a count of every route left out and why (shown with each estimate)."""

    routes: list[LoggedRoute] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {
        "route_events": 0, "used": 0, "manual": 0, "no_outcome": 0, "no_propensity": 0,
        "inconsistent_propensity": 0, "unscored": 0, "unpriced": 0, "outcome_without_route": 0, "line_gone": 0})


# An event whose line the store no longer finds in its log (rotated away, rewritten): its record is unknown.
GONE_EVENT = "line_gone"


# ---------------------------------------------------------------------------------------------- parsing


def parse_assignments(items: Sequence[str]) -> tuple[dict[str, Any], dict[tuple[str, str], dict[str, float]]]:
    """``["eps_cost=-0.3", "prior.bug_fixing.gpt-5.4.score=0.8"]`` -> (setting changes, prior edits).

    Model names may contain dots (``gpt-5.4``), so a prior key is ``prior.<dimension>.<model>.<field>``
    with the dimension the first segment and the field the last.
    """
    changes: dict[str, Any] = {}
    priors: dict[tuple[str, str], dict[str, float]] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key, text = key.strip(), text.strip()
        if not sep or not key or not text:
            raise WhatIfError(f"--set {item!r}: expected KEY=VALUE")
        if key.startswith("prior."):
            rest = key[len("prior."):]
            dimension, _, tail = rest.partition(".")
            model, _, fld = tail.rpartition(".")
            if not dimension or not model or fld not in PRIOR_FIELDS:
                raise WhatIfError(f"--set {item!r}: prior keys look like prior.<dimension>.<model>.score "
                                  "or prior.<dimension>.<model>.cost_usd")
            value = _number(item, text)
            if PRIOR_FIELDS[fld] == "score" and not 0.0 <= value <= 1.0:
                raise WhatIfError(f"--set {item!r}: a prior score is in [0, 1]")
            if PRIOR_FIELDS[fld] == "cost_usd" and value < 0:
                raise WhatIfError(f"--set {item!r}: a prior cost is >= 0 USD")
            priors.setdefault((dimension, model), {})[PRIOR_FIELDS[fld]] = value
            continue
        if key not in SETTING_KEYS:
            raise WhatIfError(f"--set {item!r}: unknown key {key!r}; known: {', '.join(SETTING_KEYS)}, "
                              "prior.<dimension>.<model>.score|cost_usd")
        if key == "k":
            try:
                changes[key] = int(text)
            except ValueError:
                raise WhatIfError(f"--set {item!r}: k must be an integer") from None
        else:
            changes[key] = _number(item, text)
    return changes, priors


def _number(item: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise WhatIfError(f"--set {item!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise WhatIfError(f"--set {item!r}: must be a finite number")
    return value


def as_settings(value: RouterSettings | Mapping[str, Any] | None, base: RouterSettings | None = None) -> RouterSettings:
    """A RouterSettings from an object, a full or partial mapping (applied on ``base``), or None (= base)."""
    base = base or RouterSettings()
    if value is None:
        return base
    if isinstance(value, RouterSettings):
        return value
    try:
        return base.replace(**dict(value))
    except SettingsError as exc:
        raise WhatIfError(str(exc)) from None


# ---------------------------------------------------------------------------------------------- the log


def _records(events: Any) -> Iterable[dict[str, Any]]:
    """Events as dicts, from a Polars frame or any iterable of dicts.

    A frame with a ``raw`` JSON column (``analytics.queries.range_events``) is decoded, and an outcome
    logged without a cost takes the store's derived ``cost`` (tokens x prices) when there is one.
    """
    if hasattr(events, "to_dicts") and hasattr(events, "columns"):
        if "raw" in events.columns:
            costs = events.get_column("cost").to_list() if "cost" in events.columns else [None] * events.height
            gone = events.get_column("raw_error").to_list() if "raw_error" in events.columns else [None] * events.height
            for i, (raw, cost) in enumerate(zip(events.get_column("raw").to_list(), costs, strict=True)):
                if raw is None and gone[i]:
                    yield {"event": GONE_EVENT, "error": gone[i]}  # counted, not guessed (see logged_sample)
                    continue
                try:
                    record = loads_line(raw)
                except (TypeError, json.JSONDecodeError) as exc:
                    raise WhatIfError(f"events row {i}: raw is not a JSON object ({exc})") from None
                if record.get("event") == "outcome" and record.get("cost_usd") is None and cost is not None:
                    record["cost_usd"], record["unpriced"] = cost, False  # priced by the store from tokens
                yield record
            return
        for i, row in enumerate(events.to_dicts()):
            if isinstance(row.get("decision"), str):
                try:
                    row["decision"] = json.loads(row["decision"])
                except json.JSONDecodeError as exc:
                    raise WhatIfError(f"events row {i}: decision is not JSON ({exc})") from None
            yield row
        return
    yield from events


def _propensity(route: Mapping[str, Any], decision: Mapping[str, Any]) -> float | None:
    for value in (route.get("propensity"), decision.get("propensity")):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    for cand in decision.get("candidates") or ():
        if isinstance(cand, Mapping) and cand.get("model") == route.get("model"):
            prob = cand.get("prob")
            return float(prob) if isinstance(prob, int | float) else None
    return None


def _candidates_problem(decision: Mapping[str, Any], model: str, propensity: float) -> str | None:
    """Which count a route's logged candidates fall under when they cannot be used (None: usable).

    ``inconsistent_propensity``: the candidates' probabilities do not sum to 1 or disagree with the
    route's propensity, so the log contradicts itself about how the model was picked.
    """
    cands = decision.get("candidates")
    if not isinstance(cands, list) or not cands:
        return "no_propensity"
    probs, chosen = [], None
    for cand in cands:
        if not isinstance(cand, Mapping) or not isinstance(cand.get("model"), str):
            return "no_propensity"
        score, cost, prob = cand.get("exp_score"), cand.get("exp_cost_usd"), cand.get("prob")
        if not _is_number(score) or (cost is not None and not _is_number(cost)):
            return "no_propensity"
        probs.append(float(prob) if _is_number(prob) else None)
        if cand["model"] == model:
            chosen = probs[-1]
    if chosen is None and model not in {c["model"] for c in cands}:
        return "no_propensity"
    if chosen is not None and abs(chosen - propensity) > 1e-4:
        return "inconsistent_propensity"
    if None not in probs and abs(sum(probs) - 1.0) > 1e-3:
        return "inconsistent_propensity"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def logged_sample(events: Any) -> LogSample:
    """Join routes to outcomes by task_id, in log order; every left-out route is counted under a reason.

    A task routed twice pairs each outcome with the latest route before it. An `override` for the task,
    a route by ``manual``, or an outcome for a model other than the routed one makes the route manual.
    """
    sample = LogSample()
    counts = sample.counts
    pending: dict[str, tuple[dict[str, Any], bool]] = {}
    for record in _records(events):
        kind, task_id = record.get("event"), record.get("task_id")
        if kind == GONE_EVENT:
            counts["line_gone"] += 1
            continue
        if kind not in ("route", "override", "outcome") or not isinstance(task_id, str):
            continue
        if kind == "route":
            counts["route_events"] += 1
            if task_id in pending:
                counts["no_outcome"] += 1
            pending[task_id] = (record, record.get("router") == "manual")
        elif kind == "override":
            if task_id in pending:
                pending[task_id] = (pending[task_id][0], True)
        else:
            if task_id not in pending:
                counts["outcome_without_route"] += 1
                continue
            route, manual = pending.pop(task_id)
            _add(sample, route, record, manual)
    counts["no_outcome"] += len(pending)
    counts["used"] = len(sample.routes)
    return sample


def _add(sample: LogSample, route: dict[str, Any], outcome: dict[str, Any], manual: bool) -> None:
    counts = sample.counts
    model = route.get("model")
    if manual or outcome.get("model") not in (None, model) or not isinstance(model, str):
        counts["manual"] += 1
        return
    decision = route.get("decision") if isinstance(route.get("decision"), Mapping) else {}
    propensity = _propensity(route, decision)
    problem = "no_propensity" if propensity is None or not 0 < propensity <= 1 else \
        _candidates_problem(decision, model, propensity)
    if problem:
        counts[problem] += 1
        return
    score, cost = outcome.get("score"), outcome.get("cost_usd")
    if not isinstance(score, int | float) or isinstance(score, bool):
        counts["unscored"] += 1
        return
    if not isinstance(cost, int | float) or isinstance(cost, bool) or outcome.get("unpriced"):
        counts["unpriced"] += 1
        return
    dimension = route.get("dimension") or (decision.get("features") or {}).get("dimension")
    sample.routes.append(LoggedRoute(route["task_id"], dimension, model, propensity, decision,
                                     float(score), float(cost)))


_KINDS = ("route", "override", "outcome")


def load_events(paths: Sequence[str | Path], db_path: str | Path | None = None
                ) -> tuple[list[dict[str, Any]], pl.DataFrame]:
    """Route/override/outcome events of ``paths`` through the shared ingestion, and their malformed lines
    (``queries.malformed_lines`` rows: file, line, error, text).

    The DuckDB cache at ``db_path`` is brought up to date first (a damaged cache is rebuilt; when the
    dashboard holds it, an in-memory store is used: the logs are the truth, the cache only saves re-reading).
    An outcome logged without a cost gets the one the store derives from its tokens and prices.
    """
    try:
        store, _ = Store.open_or_rebuild(db_path)
    except StoreLockedError:
        store = Store(MEMORY)
    with store:
        ingester = LogIngester(store, paths)
        ingester.poll()
        frame = queries.range_events(store).filter(pl.col("file").is_in(ingester.paths)
                                                   & pl.col("event").is_in(_KINDS))
        malformed = queries.malformed_lines(store).filter(pl.col("file").is_in(ingester.paths))
    return list(_records(frame)), malformed


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
    ``avg_perf`` (%), ``cost_usd`` (total over those tasks), ``perf_per_usd``, ``method``, ``ess``.
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
                     "cost_usd": values["total_cost"], "perf_per_usd": values["perf_per_dollar"],
                     "method": method, "ess": round(sup.ess, 1)})
    return rows


def _mean_cost_by_model(sample: LogSample) -> dict[str, float]:
    sums: dict[str, list[float]] = {}
    for route in sample.routes:
        sums.setdefault(route.model, []).append(route.cost_usd)
    return {model: float(np.mean(costs)) for model, costs in sums.items()}


def _expected_cost(candidate: Mapping[str, Any], fallback: Mapping[str, float]) -> float:
    cost = candidate.get("exp_cost_usd")
    if isinstance(cost, int | float) and not isinstance(cost, bool):
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
    score = float(np.mean([r.score for r in sample.routes]))
    total = float(sum(r.cost_usd for r in sample.routes))
    return {"avg_perf": 100.0 * score, "cost_per_task": total / len(sample.routes), "total_cost": total,
            "perf_per_dollar": 100.0 * score / total if total > 0 else None}


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
    today = as_settings(current_settings)
    candidate = as_settings(candidate_settings, base=today)
    sample = sample if sample is not None else logged_sample(events)
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
    today = as_settings(current_settings)
    candidate = as_settings(candidate_settings, base=today)
    sample = sample if sample is not None else logged_sample(events)
    options = {"n_boot": n_boot, "level": level, "seed": seed, "min_ess": min_ess}

    def point(settings: RouterSettings, table: Priors | None) -> FrontierPoint:
        sup, est = offpolicy.estimate(bandit_for(sample, settings, table), **options)
        return FrontierPoint(settings.eps_cost, est[estimator]["avg_perf"], est[estimator]["total_cost"], sup)

    values = sorted({float(v) for v in eps_cost_values} | {candidate.eps_cost})
    points = [point(candidate.replace(eps_cost=eps), priors) for eps in values]
    edited = next(p for p in points if p.eps_cost == candidate.eps_cost)
    return Frontier(estimator=estimator, points=points, today=point(today, current_priors), edited=edited,
                    counts=dict(sample.counts))

