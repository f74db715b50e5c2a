"""The log's routes paired with their outcomes: what off-policy estimates and the router's learning read.

Why its own module: decoding and pairing are what ``router.whatif`` (estimates), ``router.history`` (reading
the logs through the store), the priors and memory (learning from the log) and the dashboard share.
``pair_routes`` is **the** pairing in Python (``analytics.query_scope.with_route`` in SQL): by ``task_id``, each
outcome with the task's latest route before it. For estimates (``logged_sample``) manual choices
(``router == "manual"``, an `override` for the task, or an outcome for another model) are left out and every
left-out route is counted under a reason; learning (``learned_outcomes``) takes every scored outcome.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from analytics.errors import CodexRouterError
from analytics.numbers import is_finite, is_number
from analytics.schema import loads_line
from router.prior_context import source_from_task_id


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

    A frame with a ``raw`` JSON column (``analytics.event_queries.range_events``) is decoded, and an outcome
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
        if is_number(value):
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
        if not is_finite(score) or (cost is not None and not is_finite(cost)):
            return "no_propensity"
        probs.append(float(prob) if is_finite(prob) else None)
        if cand["model"] == model:
            chosen = probs[-1]
    if chosen is None and model not in {c["model"] for c in cands}:
        return "no_propensity"
    if chosen is not None and abs(chosen - propensity) > 1e-4:
        return "inconsistent_propensity"
    if None not in probs and abs(sum(probs) - 1.0) > 1e-3:
        return "inconsistent_propensity"
    return None


@dataclass(frozen=True)
class Pairing:
    """One step of ``pair_routes``: a route, the outcome that answered it, or both."""

    route: dict[str, Any] | None  # the task's latest route before the outcome (None: no route for it)
    outcome: dict[str, Any] | None  # None: no outcome answered the route (routed again first, or never)
    manual: bool  # the route was manual, or an override for the task followed it
    repeat: bool = False  # an earlier outcome already answered this route


def pair_routes(records: Iterable[dict[str, Any]]) -> Iterator[Pairing]:
    """Route/override/outcome records in log order, paired by task_id; every route and outcome appears.

    Each outcome comes with the task's latest route before it (an outcome without a string task_id, or
    before any route for it, with none); a route no outcome answered comes alone, when the task is routed
    again or at the end.
    """
    pending: dict[str, list[Any]] = {}  # task_id -> [route, manual, answered]
    for record in records:
        kind, task_id = record.get("event"), record.get("task_id")
        if kind not in ("route", "override", "outcome"):
            continue
        if not isinstance(task_id, str):
            if kind == "outcome":
                yield Pairing(None, record, False)
            continue
        entry = pending.get(task_id)
        if kind == "route":
            if entry is not None and not entry[2]:
                yield Pairing(entry[0], None, entry[1])
            pending[task_id] = [record, record.get("router") == "manual", False]
        elif kind == "override":
            if entry is not None:
                entry[1] = True
        elif entry is None:
            yield Pairing(None, record, False)
        else:
            yield Pairing(entry[0], record, entry[1], repeat=entry[2])
            entry[2] = True
    for route, manual, answered in pending.values():
        if not answered:
            yield Pairing(route, None, manual)


def logged_sample(events: Any) -> LogSample:
    """The policy routes with their outcomes, in log order; every left-out route is counted under a reason.

    A task routed twice pairs each outcome with the latest route before it. An `override` for the task,
    a route by ``manual``, or an outcome for a model other than the routed one makes the route manual. A
    second outcome for an answered route counts as an outcome without a route.
    """
    sample = LogSample()
    counts = sample.counts

    def keyed(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for record in records:
            kind = record.get("event")
            if kind == GONE_EVENT:
                counts["line_gone"] += 1
            elif kind in ("route", "override", "outcome") and isinstance(record.get("task_id"), str):
                counts["route_events"] += kind == "route"
                yield record

    for pair in pair_routes(keyed(decode_events(events))):
        if pair.outcome is None:
            counts["no_outcome"] += 1
        elif pair.route is None or pair.repeat:
            counts["outcome_without_route"] += 1
        else:
            _add(sample, pair.route, pair.outcome, pair.manual)
    counts["used"] = len(sample.routes)
    return sample


def learned_outcomes(events: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Scored, finished outcomes (status ok or none), each with its context: the fields of the route it
    answers (task text, dimension, language, the decision's prior keys) overlaid by its own. What the priors
    and the memory learn from the log; a CodeRouterBench task id names its ``source`` when nothing else does."""
    out = []
    for pair in pair_routes(decode_events(events)):
        record = pair.outcome
        if record is None or record.get("score") is None or not record.get("model") \
                or record.get("status") not in (None, "ok"):
            continue
        context = _route_context(pair.route) if pair.route is not None else {}
        context.update({k: v for k, v in record.items() if v is not None})
        if not context.get("source") and context.get("task_id"):
            context["source"] = source_from_task_id(str(context["task_id"]))
        out.append((record, context))
    return out


def _route_context(route: Mapping[str, Any]) -> dict[str, Any]:
    context = {k: v for k, v in route.items() if k not in ("event", "model", "ts", "decision")}
    decision = route.get("decision") if isinstance(route.get("decision"), Mapping) else {}
    keys = (decision.get("features") or {}).get("keys") or {}
    context.update({k: v for k, v in keys.items() if v is not None})
    return context


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
    if not is_number(score):
        counts["unscored"] += 1
        return
    if not is_number(cost) or outcome.get("unpriced"):
        counts["unpriced"] += 1
        return
    dimension = route.get("dimension") or (decision.get("features") or {}).get("dimension")
    sample.routes.append(LoggedRoute(route["task_id"], dimension, model, propensity, decision,
                                     float(score), float(cost)))
