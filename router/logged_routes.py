"""The routes the log supports for off-policy estimates: each policy `route` paired with its `outcome`.

Why its own module: decoding and pairing are what ``router.whatif`` (estimates), ``router.history`` (reading
the logs through the store) and the dashboard share; the estimators only need the paired routes. A route
is paired with its outcome by ``task_id``; manual choices (``router == "manual"``, an `override` for the
task, or an outcome for another model) are left out and every left-out route is counted under a reason.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from analytics.errors import CodexRouterError
from analytics.schema import loads_line


class WhatIfError(CodexRouterError, ValueError):
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


def decode_events(events: Any) -> Iterable[dict[str, Any]]:
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
    for record in decode_events(events):
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
