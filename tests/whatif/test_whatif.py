"""Joining the log, re-scoring logged decisions, and the report/frontier the dashboard calls."""

from __future__ import annotations

import json

import numpy as np
import pytest
from whatif_support import TRUTH, write_log

from router import whatif
from router.history import load_events
from router.policy import ACRouter
from router.priors import Priors
from router.settings import RouterSettings
from router.whatif_args import parse_assignments


@pytest.fixture
def records(tmp_path):
    return write_log(tmp_path / "log.jsonl", n=400, seed=3, exploration=0.4)


def exact_value(sample: whatif.LogSample, settings: RouterSettings) -> tuple[float, float]:
    """What the candidate would score/cost on these very decisions, from the fixture's true rates."""
    score = cost = 0.0
    for route in sample.routes:
        for model, p in ACRouter.rescore(route.decision, settings).items():
            score += p * TRUTH[model][0]
            cost += p * TRUTH[model][1]
    return 100 * score / len(sample.routes), cost / len(sample.routes)


def test_sample_counts_every_left_out_route(records):
    sample = whatif.logged_sample(records)
    assert sample.counts == {"route_events": 405, "used": 400, "manual": 2, "no_outcome": 1, "no_propensity": 0,
                             "inconsistent_propensity": 0, "unscored": 1, "unpriced": 1, "outcome_without_route": 0,
                             "line_gone": 0}
    assert all(whatif.reproduced(route) for route in sample.routes)


def test_route_without_candidates_is_counted_not_used(records):
    broken = [dict(r) for r in records]
    first = next(r for r in broken if r["event"] == "route")
    first["decision"] = {"policy": "acrouter"}
    first.pop("propensity")
    assert whatif.logged_sample(broken).counts["no_propensity"] == 1


def test_route_whose_propensity_contradicts_its_candidates_is_counted(records):
    changed = [dict(r) for r in records]
    routes = [r for r in changed if r["event"] == "route" and r["router"] == "acrouter"]
    routes[0]["propensity"] = 0.5 if routes[0]["propensity"] != 0.5 else 0.25
    routes[1]["decision"] = {**routes[1]["decision"],
                             "candidates": [{**c, "prob": 0.9} for c in routes[1]["decision"]["candidates"]]}
    counts = whatif.logged_sample(changed).counts
    assert counts["inconsistent_propensity"] == 2 and counts["used"] == 398


def test_estimate_matches_the_known_value(records):
    today = RouterSettings(exploration=0.4)
    candidate = today.replace(eps_cost=-0.6, exploration=0.1)
    report = whatif.estimate_setting(records, today, candidate, n_boot=300)
    sample = whatif.logged_sample(records)
    true_perf, true_cost = exact_value(sample, candidate)
    assert not report.candidate.support.thin
    dr = report.candidate.estimates["dr"]
    assert dr["avg_perf"].covers(true_perf) and dr["cost_per_task"].covers(true_cost)
    # today's setting wrote the log: weights are 1 and IPS is exactly what the log shows
    assert report.today.support.ess == pytest.approx(400)
    assert report.today.estimates["ips"]["avg_perf"].value == pytest.approx(report.observed["avg_perf"])
    assert report.counts["manual"] == 2 and report.warnings == []
    assert report.to_dict()["candidate"]["settings"]["eps_cost"] == -0.6


def test_a_candidate_the_log_never_tried_has_no_number(tmp_path):
    records = write_log(tmp_path / "log.jsonl", n=100, exploration=0.0, extras=False)
    report = whatif.estimate_setting(records, {"exploration": 0.0}, {"eps_perf": 0.0, "eps_cost": -1.0})
    assert report.candidate.support.thin
    assert report.candidate.estimates["dr"]["avg_perf"].value is None
    assert report.to_dict()["candidate"]["estimates"]["snips"]["total_cost"]["reason"]


def test_edited_prior_cell_moves_the_candidate(records):
    rows = [{"dimension": d, "model": m, "score": s, "cost_usd": c}
            for d in ("bug_fixing", "algorithm") for m, (s, c) in TRUTH.items() for _ in range(30)]
    today = Priors.from_rows(rows)
    edited = whatif.edited_priors(today, {("bug_fixing", "qwen"): {"score": 1.0}})
    assert today.cell((("dimension", "bug_fixing"),), "qwen").user_score is None
    route = next(r for r in whatif.logged_sample(records).routes if r.dimension == "bug_fixing")
    settings = RouterSettings(exploration=0.4)
    assert ACRouter.rescore(route.decision, settings, edited)["qwen"] > 0.5
    report = whatif.estimate_setting(records, settings, settings, edited, current_priors=today, n_boot=50)
    assert report.prior_edits == [{"context": "dimension=bug_fixing", "model": "qwen", "score": 1.0,
                                   "cost_usd": None}]
    assert report.candidate.estimates["ips"]["avg_perf"].value < report.today.estimates["ips"]["avg_perf"].value


def test_frontier_sweeps_eps_cost_and_marks_both_settings(records):
    curve = whatif.frontier(records, {"exploration": 0.4}, {"eps_cost": -0.35, "exploration": 0.2},
                            eps_cost_values=(-1.0, -0.5, 0.0), n_boot=50)
    assert [p.eps_cost for p in curve.points] == [-1.0, -0.5, -0.35, 0.0]
    assert curve.edited.eps_cost == -0.35 and curve.today.eps_cost == -0.1
    costs = [p.total_cost.value for p in curve.points]
    assert costs[0] < costs[-1]  # a heavier cost weight buys cheaper models
    assert curve.to_dict()["points"][0]["support"]["ess"] > 0
    with pytest.raises(whatif.WhatIfError, match="estimator"):
        whatif.frontier(records, None, estimator="best")


@pytest.mark.parametrize(("items", "message"), [
    (["eps_cost"], "KEY=VALUE"), (["gamma=1"], "unknown key 'gamma'"), (["eps_cost=cheap"], "not a number"),
    (["k=2.5"], "integer"), (["prior.bug_fixing.score=0.5"], "prior keys"),
    (["prior.bug_fixing.gpt-5.4.score=1.5"], r"\[0, 1\]"), (["eps_perf=nan"], "finite"),
])
def test_bad_assignments_name_the_key(items, message):
    with pytest.raises(whatif.WhatIfError, match=message):
        parse_assignments(items)


def test_assignments_parse_models_with_dots():
    changes, priors = parse_assignments(
        ["eps_cost=-0.3", "k=5", "prior.bug_fixing.gpt-5.4.score=0.8", "prior.bug_fixing.gpt-5.4.cost=0.02"])
    assert changes == {"eps_cost": -0.3, "k": 5}
    assert priors == {("bug_fixing", "gpt-5.4"): {"score": 0.8, "cost_usd": 0.02}}
    with pytest.raises(whatif.WhatIfError, match="exploration"):
        whatif.as_settings({"exploration": 2.0})


def test_polars_frame_of_raw_events_is_accepted(records):
    import polars as pl

    frame = pl.DataFrame({"raw": [json.dumps(r) for r in records]})
    assert whatif.logged_sample(frame).counts == whatif.logged_sample(records).counts
    assert np.isfinite(whatif.estimate_setting(frame, None, None, n_boot=20).observed["avg_perf"])


def test_a_line_gone_from_its_log_is_counted_not_guessed(records):
    """The store keeps where a line is; a line rotated away or rewritten since is left out and counted."""
    import polars as pl

    gone = "/logs/routing_log.jsonl: this line is no longer in the log (rotated away, rewritten or deleted)"
    raws = [json.dumps(r) for r in records]
    full = whatif.logged_sample(pl.DataFrame({"raw": raws, "raw_error": [None] * len(raws)}))
    first_route = next(i for i, r in enumerate(records) if r.get("event") == "route")
    raws[first_route] = None
    errors = [gone if raw is None else None for raw in raws]
    sample = whatif.logged_sample(pl.DataFrame({"raw": raws, "raw_error": errors}))
    assert sample.counts["line_gone"] == 1 and full.counts["line_gone"] == 0
    assert sample.counts["route_events"] == full.counts["route_events"] - 1


def test_events_come_through_the_shared_ingestion(fixture_log, tmp_path):
    lines = [json.loads(line) for line in fixture_log.read_text(encoding="utf-8").splitlines()]
    pending_model = next(r["model"] for r in lines if r.get("task_id") == "pending-1")
    with fixture_log.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
        handle.write(json.dumps({"event": "outcome", "ts": "2099-01-01T00:00:00Z", "task_id": "pending-1",
                                 "model": pending_model, "score": 1.0, "tokens": {"input": 1000, "output": 1000}})
                     + "\n")  # no cost logged: the store prices it from tokens (an unknown model stays unpriced)
        handle.write('{"event": "route", "task_id": "half-written"')  # no newline yet: not trusted
    other = tmp_path / "other.jsonl"
    write_log(other, n=5, seed=9, extras=False)
    db = tmp_path / "w.duckdb"
    load_events([other], db)  # the cache holds another log too: only the asked ones are read
    events, malformed = load_events([fixture_log], db)
    bad_line = fixture_log.read_text().splitlines().index("{not json") + 1
    assert malformed.select("file", "line").rows() == [(str(fixture_log), bad_line)]
    assert {e["event"] for e in events} == {"route", "override", "outcome"}
    counts = whatif.logged_sample(events).counts
    assert counts["no_outcome"] == 0 and counts["used"] + counts["unpriced"] == 302


def test_end_to_end_estimates_are_unbiased_over_logging_seeds():
    """Through the real re-scoring: the mean DR/IPS error over logs is within 3 standard errors of zero."""
    candidate = RouterSettings(eps_cost=-0.8, exploration=0.0)
    errors = {"ips": [], "dr": []}
    for seed in range(25):
        records = write_log_records(n=200, seed=100 + seed)
        sample = whatif.logged_sample(records)
        truth, _ = exact_value(sample, candidate)
        report = whatif.estimate_setting(None, {"exploration": 0.4}, candidate, n_boot=1, min_ess=0,
                                         sample=sample)
        for name in errors:
            errors[name].append(report.candidate.estimates[name]["avg_perf"].value - truth)
    for name, errs in errors.items():
        errs = np.asarray(errs)
        assert abs(errs.mean()) < 3 * errs.std(ddof=1) / np.sqrt(len(errs)), (name, errs.mean())


def write_log_records(n: int, seed: int) -> list[dict]:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        return write_log(Path(folder) / "log.jsonl", n=n, seed=seed, exploration=0.4, extras=False)


def test_always_model_estimates(records, tmp_path):
    rows = {r["model"]: r for r in whatif.always_model_estimates(records)}
    assert set(rows) == {f"Always-{m}" for m in TRUTH}
    for model, (rate, cost) in TRUTH.items():
        row = rows[f"Always-{model}"]
        assert row["tasks"] == 400 and row["method"] == "doubly robust" and row["ess"] >= 30
        assert abs(row["avg_perf"] - 100 * rate) < 12 and row["cost_usd"] == pytest.approx(400 * cost, rel=0.15)
        assert row["perf_per_dollar"] == pytest.approx(row["avg_perf"] / row["cost_usd"])  # the one Perf/$ name
    # a log that never explores cannot support Always-<another model>: the router's expectation is shown
    greedy = whatif.always_model_estimates(write_log(tmp_path / "g.jsonl", n=60, exploration=0.0, extras=False))
    thin = [r for r in greedy if r["method"].startswith("router estimate")]
    assert thin and all(r["avg_perf"] is not None and r["cost_usd"] > 0 for r in thin)
