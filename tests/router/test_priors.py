"""Priors: counts per context, shrinkage toward coarser levels, context offsets, edits/pins, persistence."""

from __future__ import annotations

import pytest

from router.prior_context import context_path, source_from_task_id
from router.prior_records import from_records, to_records
from router.priors import Priors, PriorsError

DIM = (("dimension", "bug_fixing"),)
SRC = (*DIM, ("source", "swebench"))


def _rows(source, model, score, cost, n):
    return [{"dimension": "bug_fixing", "source": source, "model": model, "score": score, "cost_usd": cost}] * n


def test_context_path_and_source_from_task_id():
    assert source_from_task_id("dim3_debugbench_fixture17") == "debugbench"
    assert source_from_task_id("old112::astropy__astropy-1") is None
    assert context_path("bug_fixing", {"bench": "old112", "repo": "astropy"}, ("source", "bench", "repo")) == (
        ("dimension", "bug_fixing"), ("bench", "old112"), ("repo", "astropy"))
    assert context_path(None, {}, ("source",)) == ()


def test_thin_evidence_is_shrunk_toward_the_parent():
    rows = _rows("debugbench", "a", 1.0, 0.01, 100) + _rows("debugbench", "b", 0.0, 0.01, 100)
    rows += _rows("swebench", "a", 0.0, 0.01, 2)  # two failures: not enough to overturn the dimension level
    priors = Priors.from_rows(rows, keys=("source",), strength=10.0)
    est = priors.estimate(SRC, ["a", "b"])
    dim_a = priors.estimate(DIM, ["a"])["a"].score
    assert est["a"].n == 2 and est["b"].n == 0
    assert 0.0 < est["a"].score < dim_a
    assert est["a"].score > 0.5 * dim_a * 10 / 12 - 1e-9  # weight 10 of 12 stays with the parent
    many = Priors.from_rows(rows + _rows("swebench", "a", 0.0, 0.01, 500), keys=("source",), strength=10.0)
    assert many.estimate(SRC, ["a"])["a"].score < 0.05  # plenty of evidence: the cell's own mean wins


def test_one_observed_model_moves_the_unobserved_ones_in_a_new_context():
    rows = _rows("debugbench", "a", 0.8, 0.001, 50) + _rows("debugbench", "b", 0.6, 0.002, 50)
    rows += _rows("swebench", "a", 0.2, 0.1, 40)  # much harder and 100x dearer here
    est = Priors.from_rows(rows, keys=("source",)).estimate(SRC, ["a", "b"])
    assert est["b"].n == 0
    assert est["b"].score < 0.35  # pulled down with a (offset), not left at its 0.6
    parent_b = Priors.from_rows(rows, keys=("source",)).estimate(DIM, ["b"])["b"].cost_usd
    assert est["b"].cost_usd > 1.5 * parent_b  # scaled up with a's cost (a costs 2.2x its parent here)


def test_edit_pin_and_reset():
    priors = Priors.from_rows(_rows("debugbench", "a", 1.0, 0.01, 5), keys=("source",))
    priors.edit(DIM, "a", score=0.2)
    assert priors.estimate(DIM, ["a"])["a"].score == 0.2
    priors.observe(DIM, "a", 1.0, 0.01)  # new evidence releases an unpinned edit
    assert priors.estimate(DIM, ["a"])["a"].score > 0.9
    priors.edit(DIM, "a", score=0.2, cost_usd=0.5, pin=True)
    priors.observe(DIM, "a", 1.0, 0.01)
    est = priors.estimate(DIM, ["a"])["a"]
    assert (est.score, est.cost_usd) == (0.2, 0.5)
    assert priors.reset_user_values() == 1
    assert priors.estimate(DIM, ["a"])["a"].score > 0.9
    with pytest.raises(PriorsError, match="score"):
        priors.edit(DIM, "a", score=1.5)


def test_records_round_trip_and_errors_name_the_entry():
    priors = Priors.from_rows(_rows("debugbench", "a", 0.5, 0.01, 4) + _rows("x", "b", 1.0, None, 2),
                              keys=("source",))
    priors.edit(SRC, "a", score=0.9, pin=True)
    again = from_records(to_records(priors))
    assert to_records(again) == to_records(priors)
    assert again.estimate(DIM, ["a", "b"]) == priors.estimate(DIM, ["a", "b"])
    with pytest.raises(PriorsError, match=r"priors\[0\]\.score"):
        from_records([{"model": "a", "n": 3, "score": 2.0}])
    with pytest.raises(PriorsError, match=r"priors\[1\]\.model"):
        from_records([{"model": "a"}, {"n": 1}])


def test_from_events_joins_outcomes_to_their_routes():
    events = [
        {"event": "route", "task_id": "t1", "dimension": "bug_fixing", "language": "python", "model": "a",
         "decision": {"features": {"keys": {"source": "swebench"}}}},
        {"event": "outcome", "task_id": "t1", "model": "a", "score": 1.0, "cost_usd": 0.02, "status": "ok"},
        {"event": "outcome", "task_id": "t2", "model": "a", "score": 0.0, "cost_usd": None, "unpriced": True},
        {"event": "outcome", "task_id": "t3", "model": "a", "score": 1.0, "status": "timeout"},
        {"event": "tool", "task_id": "t1"},
    ]
    priors = Priors.from_events(events, keys=("source",))
    assert priors.cell(SRC, "a").n == 1
    assert priors.cell((*SRC, ("language", "python")), "a").n == 1  # language refines the task's context
    root = priors.cell((), "a")
    assert (root.n, root.cost_n, root.learned_score) == (2, 1, 0.5)


def _spread_rows(shift: float, n_sources: int = 6):
    """Sources whose models rank alike (a above b) with a common offset each; cost the same everywhere."""
    rows = []
    for i in range(n_sources):
        offset = 0.1 * (i % 3) - 0.1 + shift * 0
        rows += _rows(f"s{i}", "a", 0.7 + offset, 0.01 * (1.2 if i % 2 else 0.8), 40)
        rows += _rows(f"s{i}", "b", 0.4 + offset, 0.002 * (1.2 if i % 2 else 0.8), 40)
    return rows


def test_empirical_bayes_strength_comes_from_the_between_context_spread():
    alike = Priors.from_rows(_spread_rows(0.0), keys=("source",), strength=10.0)
    spread = alike.spread()
    assert spread is not None and spread.contexts >= 5
    assert spread.strength > 100  # models rank identically in every source: trust the parent a lot
    assert 0.1 <= spread.cost_sd < 0.3
    mixed = _spread_rows(0.0) + _rows("s6", "a", 0.1, 0.01, 40) + _rows("s6", "b", 0.9, 0.002, 40)
    assert Priors.from_rows(mixed, keys=("source",)).spread().strength < spread.strength  # rankings disagree
    few = Priors.from_rows(_spread_rows(0.0, n_sources=2), keys=("source",), strength=10.0)
    assert few.spread() is None  # too few contexts to estimate a variance: prior_strength is used


def test_a_context_with_far_dearer_outcomes_is_a_new_regime():
    base = _spread_rows(0.0)
    new = (*DIM, ("source", "agentic"))
    # b (the weaker model in every known source) solves these; a fails; both 100x dearer than usual.
    rows = base + _rows("agentic", "a", 0.0, 1.0, 3) + _rows("agentic", "b", 1.0, 0.2, 3)
    regime = Priors.from_rows(rows, keys=("source",)).estimate(new, ["a", "b"])
    assert regime["b"].score > regime["a"].score  # own outcomes outweigh the parent after 3 tasks each
    assert regime["a"].cost_usd > 0.5 and regime["b"].cost_usd > 0.1  # the cost scale is taken as observed
    plain = Priors.from_rows(rows, keys=("source",), strength=10.0)
    plain.configure(10.0, False, 3.0, 1.0)  # empirical_bayes off and detect_regimes off: no regime
    fixed = plain.estimate(new, ["a", "b"])
    assert fixed["b"].score < regime["b"].score and fixed["a"].cost_usd < regime["a"].cost_usd


def test_a_new_regime_is_detected_with_empirical_bayes_off():
    """The detector needs only the spread of cost offsets, not the estimated pseudo-count."""
    new = (*DIM, ("source", "agentic"))
    rows = _spread_rows(0.0) + _rows("agentic", "a", 0.0, 1.0, 3) + _rows("agentic", "b", 1.0, 0.2, 3)
    fixed = Priors.from_rows(rows, keys=("source",), strength=10.0)
    fixed.configure(10.0, False, 3.0, 1.0, detect_regimes=True)
    regime = fixed.estimate(new, ["a", "b"])
    assert regime["b"].score > regime["a"].score + 0.4  # a's three failures outweigh its parent's record
    assert regime["a"].cost_usd == pytest.approx(1.0, rel=0.05)  # the cost scale is taken as observed
    fixed.configure(10.0, False, 3.0, 1.0)
    anchored = fixed.estimate(new, ["a", "b"])  # shrunk toward the known sources (prior_strength 10)
    assert anchored["b"].score < anchored["a"].score + 0.1 and anchored["a"].cost_usd < 0.5


def _regime_rows():
    """Known sources where a beats b, then an agentic source (100x dearer) where a fails and b solves."""
    return _spread_rows(0.0, n_sources=30) + _rows("agentic", "a", 0.0, 1.0, 6) + _rows("agentic", "b", 1.0, 0.2, 6)


def test_a_second_new_regime_starts_from_the_first_when_its_outcomes_agree():
    new = (*DIM, ("source", "agentic2"))
    rows = _regime_rows() + _rows("agentic2", "a", 0.0, 1.0, 1)  # one dear failure of a: a new regime again
    pooled = Priors.from_rows(rows, keys=("source",)).estimate(new, ["a", "b"])
    assert pooled["b"].score > pooled["a"].score  # b's record in the first agentic source carries over
    assert pooled["b"].cost_usd == pytest.approx(0.2, rel=0.05)  # and so does b's cost there, never run here
    alone = Priors.from_rows(rows, keys=("source",))
    alone.configure(10.0, True, 3.0, 1.0, regime_pool=False)
    unpooled = alone.estimate(new, ["a", "b"])
    assert unpooled["b"].score < pooled["b"].score - 0.2  # without the pool b is only the known sources' b


def test_a_new_regime_whose_outcomes_fit_the_old_parent_keeps_it():
    new = (*DIM, ("source", "agentic2"))
    # Here a succeeds as the known sources predict (and the first agentic source does not): the pool loses.
    rows = _regime_rows() + _rows("agentic2", "a", 1.0, 1.0, 4)
    pooled = Priors.from_rows(rows, keys=("source",)).estimate(new, ["a", "b"])
    alone = Priors.from_rows(rows, keys=("source",))
    alone.configure(10.0, True, 3.0, 1.0, regime_pool=False)
    assert pooled["b"].score == pytest.approx(alone.estimate(new, ["a", "b"])["b"].score, abs=0.02)
    assert pooled["a"].score > pooled["b"].score


def test_an_outcome_learns_in_the_context_of_the_route_before_it():
    """One pairing (``logged_routes.pair_routes``): an outcome takes the latest route before it, never a later one."""
    events = [
        {"event": "route", "task_id": "t1", "dimension": "bug_fixing", "model": "a"},
        {"event": "outcome", "task_id": "t1", "model": "a", "score": 1.0, "cost_usd": 0.01},
        {"event": "outcome", "task_id": "t1", "model": "a", "score": 0.0, "cost_usd": 0.01},  # a second turn
        {"event": "route", "task_id": "t1", "dimension": "code_generation", "model": "b"},  # routed again later
    ]
    priors = Priors.from_events(events, keys=())
    assert priors.cell(DIM, "a").n == 2
    assert (("dimension", "code_generation"),) not in priors.cells
