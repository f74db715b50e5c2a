"""The estimators on a synthetic contextual bandit whose target-policy value is known exactly."""

from __future__ import annotations

import numpy as np
import pytest

from router.offpolicy import ESTIMATORS, METRICS, LoggedBandit, estimate, support


def synthetic(seed: int, n: int = 400, k: int = 4, eps: float = 0.3, model_bias: float = 0.15):
    """Contexts with known mean score/cost per action; an ε-greedy logger; a different greedy target.

    Returns the logged bandit and the exact value (mean score, mean cost) of the target policy on these
    contexts. The reward model handed to DR is deliberately biased, so DR must rely on its correction term.
    """
    rng = np.random.default_rng(seed)
    mean_score = rng.uniform(0.1, 0.9, size=(n, k))
    mean_cost = rng.uniform(0.001, 0.05, size=(n, k))
    noisy = mean_score + rng.normal(0, 0.2, size=(n, k))
    behaviour = np.full((n, k), eps / k)
    behaviour[np.arange(n), noisy.argmax(axis=1)] += 1 - eps
    target = np.zeros((n, k))
    target[np.arange(n), (mean_score - 5 * mean_cost).argmax(axis=1)] = 1.0
    actions = np.array([rng.choice(k, p=p) for p in behaviour])
    rows = np.arange(n)
    score = (rng.random(n) < mean_score[rows, actions]).astype(float)
    cost = mean_cost[rows, actions] * rng.uniform(0.5, 1.5, size=n)
    q_score = np.clip(mean_score + model_bias, 0, 1)
    q_cost = mean_cost * 1.3
    bandit = LoggedBandit(
        logged_prob=behaviour[rows, actions], target_prob=target[rows, actions], score=score, cost=cost,
        dm_score=(target * q_score).sum(axis=1), dm_cost=(target * q_cost).sum(axis=1),
        model_score=q_score[rows, actions], model_cost=q_cost[rows, actions])
    truth = ((target * mean_score).sum(axis=1).mean(), (target * mean_cost).sum(axis=1).mean())
    return bandit, truth


def test_estimators_are_unbiased_and_intervals_cover_over_seeds():
    seeds = range(120)
    errors = {e: {"avg_perf": [], "cost_per_task": []} for e in ESTIMATORS}
    covered = {e: 0 for e in ESTIMATORS}
    for seed in seeds:
        bandit, (true_score, true_cost) = synthetic(seed)
        sup, est = estimate(bandit, n_boot=200, seed=seed)
        assert not sup.thin
        for e in ESTIMATORS:
            errors[e]["avg_perf"].append(est[e]["avg_perf"].value - 100 * true_score)
            errors[e]["cost_per_task"].append(est[e]["cost_per_task"].value - true_cost)
            covered[e] += est[e]["avg_perf"].covers(100 * true_score)
    for e in ("ips", "dr"):  # unbiased: mean error within 3 standard errors of 0
        for metric, errs in errors[e].items():
            errs = np.asarray(errs)
            assert abs(errs.mean()) < 3 * errs.std(ddof=1) / np.sqrt(len(errs)), (e, metric, errs.mean())
    # SNIPS is biased only to O(1/n): its mean error is small next to one estimate's spread
    snips = np.asarray(errors["snips"]["avg_perf"])
    assert abs(snips.mean()) < 0.25 * snips.std(ddof=1)
    # the DR reward model was biased by +15 points: the direct method alone would be far off
    bandit, (true_score, _) = synthetic(0)
    assert bandit.dm_score.mean() - true_score > 0.1
    for e in ESTIMATORS:  # nominal 95 %; the percentile bootstrap under-covers a little on heavy weights
        assert covered[e] / len(seeds) >= 0.85, (e, covered[e])


def test_same_policy_gives_the_observed_mean_and_full_support():
    bandit, _ = synthetic(1)
    same = LoggedBandit(**{**bandit.__dict__, "target_prob": bandit.logged_prob})
    sup, est = estimate(same, n_boot=50)
    assert sup.ess == pytest.approx(len(same))
    assert est["ips"]["avg_perf"].value == pytest.approx(100 * same.score.mean())
    assert est["snips"]["total_cost"].value == pytest.approx(same.cost.sum())


def test_zero_support_reports_no_number():
    n = 200
    ones = np.ones(n)
    bandit = LoggedBandit(logged_prob=ones, target_prob=np.zeros(n), score=ones, cost=ones * 0.01,
                          dm_score=ones * 0.5, dm_cost=ones * 0.01, model_score=ones, model_cost=ones * 0.01)
    sup, est = estimate(bandit)
    assert sup.thin and sup.supported == 0 and sup.ess == 0.0
    assert "no support" in sup.reason
    for e in ESTIMATORS:
        for m in METRICS:
            assert est[e][m].value is None and est[e][m].low is None and "no support" in est[e][m].reason
    assert estimate(bandit, min_ess=0)[0].thin  # no threshold makes zero support a number


def test_thin_support_is_refused_with_its_ess():
    n = 300
    target = np.zeros(n)
    target[:10] = 1.0  # the candidate agrees with the log on 10 routes only
    ones = np.ones(n)
    bandit = LoggedBandit(logged_prob=ones * 0.5, target_prob=target, score=ones, cost=ones,
                          dm_score=ones, dm_cost=ones, model_score=ones, model_cost=ones)
    sup = support(bandit)
    assert sup.ess == pytest.approx(10.0) and sup.thin and "10.0 < 30" in sup.reason
    assert not support(bandit, min_ess=5).thin
    assert estimate(bandit, min_ess=5)[1]["ips"]["avg_perf"].value == pytest.approx(100 * 10 * 2 / n)


def test_empty_log_and_bad_inputs():
    empty = np.empty(0)
    sup, est = estimate(LoggedBandit(*(empty,) * 8))
    assert sup.routes == 0 and sup.thin and est["dr"]["avg_perf"].value is None
    with pytest.raises(ValueError, match="propensities"):
        LoggedBandit(*(np.zeros(3),) * 8)
    with pytest.raises(ValueError, match="shape"):
        LoggedBandit(np.ones(3), np.ones(2), *(np.ones(3),) * 6)
