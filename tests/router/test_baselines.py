"""Baselines: hand-checked choices on the tiny dataset, LinUCB convergence, seeded Random."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from router.baseline_reward import Reward
from router.baselines import AlwaysPolicy, DimensionBestPolicy, OraclePolicy, RandomPolicy
from router.bench import replay
from router.datasets import load_dataset
from router.feature_baselines import LinUCBPolicy, StaticClassifierPolicy, TaskEncoder
from router.routing import ProbeSet, RoutingTask
from router.settings import COST_LOG_SCALE

GENERIC = Path(__file__).parent / "data" / "bench_generic"


@pytest.fixture(scope="module")
def ds():
    return load_dataset(GENERIC)


def _chosen(policy, ds) -> list[str]:
    return [s.model for s in replay(policy, ds.probe, ds.test_tasks, ds.test_results).steps]


def test_oracle_takes_the_best_and_the_cheaper_on_ties(ds):
    # t1: alpha and gamma both score 1, gamma is cheaper; t2: alpha alone; t3: beta alone.
    assert _chosen(OraclePolicy(ds.test_results), ds) == ["gamma mini", "alpha (large)", "beta"]


def test_always_refuses_an_unknown_model(ds):
    assert _chosen(AlwaysPolicy("beta"), ds) == ["beta"] * 3
    with pytest.raises(ValueError, match="'delta' is not in the dataset"):
        AlwaysPolicy("delta").fit(ds.probe)


def test_dimension_best_by_score(ds):
    # Probe means: gen alpha 1.0, beta 0.5, gamma 0.5; fix alpha 0.75, beta 1.0, gamma 0.
    policy = DimensionBestPolicy(Reward(eps_cost=0.0))
    assert _chosen(policy, ds) == ["alpha (large)", "beta", "beta"]


def test_dimension_best_uses_the_cost_unit(ds):
    # gen: geometric mean cost (0.1 x 0.02 x 0.01)^(1/3) = 0.0271; with eps_cost x COST_LOG_SCALE = -1,
    # gamma's reward 0.5 + log2(0.0271 / 0.01) = 1.94 beats alpha's 1 - log2(0.1 / 0.0271) = -0.88.
    assert _chosen(DimensionBestPolicy(Reward(eps_cost=-1.0 / COST_LOG_SCALE)), ds)[0] == "gamma mini"
    assert _chosen(DimensionBestPolicy(Reward(eps_cost=-0.1)), ds) == ["alpha (large)", "beta", "beta"]


def test_dimension_best_falls_back_to_all_tasks_for_an_unseen_dimension(ds):
    policy = DimensionBestPolicy(Reward(eps_cost=0.0))
    policy.fit(ds.probe)
    # Over all probe tasks: alpha 3.5/4, beta 3/4, gamma 1/4.
    assert policy.choose(RoutingTask("x", dimension="docs")).model == "alpha (large)"
    assert policy.choose(RoutingTask("y")).model == "alpha (large)"


def test_dimension_best_online_learns_and_frozen_does_not(ds):
    task = RoutingTask("t", dimension="gen")
    frozen, online = DimensionBestPolicy(Reward(eps_cost=0.0)), DimensionBestPolicy(Reward(eps_cost=0.0), online=True)
    for policy in (frozen, online):
        policy.fit(ds.probe)
        for _ in range(5):
            policy.observe(task, "alpha (large)", 0.0, 0.1)
    assert frozen.choose(task).model == "alpha (large)"
    assert online.choose(task).model != "alpha (large)"  # alpha's gen mean fell to 2/7
    assert online.name == "dimension-best-online"


def test_reward_kappa_is_zero_for_unknown_costs():
    assert Reward.kappa(0.0, 0.5) == 0.0
    assert Reward.kappa(1.0, 0.5) == pytest.approx(COST_LOG_SCALE)
    assert Reward(1.0, -0.1)(0.5, 2.0, 0.5) == pytest.approx(0.5 - 0.1 * 2 * COST_LOG_SCALE)


def test_random_is_seeded_and_reports_uniform_propensity(ds):
    def run(seed: int) -> list[str]:
        tasks = [RoutingTask(f"r{i}") for i in range(200)]
        policy = RandomPolicy(seed)
        policy.fit(ds.probe)
        choices = [policy.choose(t) for t in tasks]
        assert all(math.isclose(c.propensity, 1 / 3) for c in choices)
        return [c.model for c in choices]

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    assert set(first) == {"alpha (large)", "beta", "gamma mini"}


def test_encoder_one_hots_known_levels_only():
    tasks = [RoutingTask("a", "gen", metadata={"source": "mbpp", "score": 0.3}),
             RoutingTask("b", "fix", metadata={"source": "lcb"})]
    enc = TaskEncoder().fit(tasks)
    assert enc.feature_names == ["bias", "dimension=gen", "dimension=fix", "meta.source=mbpp", "meta.source=lcb"]
    x = enc.encode(RoutingTask("c", "fix", metadata={"source": "unseen"}))
    assert x.tolist() == [1.0, 0.0, 1.0, 0.0, 0.0]


def _bandit_problem(seed: int, n: int):
    """Two contexts with opposite best arms; the probe says the opposite of the truth (one task each)."""
    models = ["m0", "m1"]
    probe_tasks = [RoutingTask("px", "x"), RoutingTask("py", "y")]
    probe_results = pl.DataFrame({"task_id": ["px", "px", "py", "py"], "model": models * 2,
                                  "score": [0.0, 1.0, 1.0, 0.0], "cost_usd": [0.01] * 4,
                                  "cost_estimated": [False] * 4})
    rng = np.random.default_rng(seed)
    truth = {"x": {"m0": 0.8, "m1": 0.3}, "y": {"m0": 0.2, "m1": 0.7}}
    tasks = [RoutingTask(f"t{i}", "x" if i % 2 else "y") for i in range(n)]
    rows = [(t.task_id, m, float(rng.random() < truth[t.dimension][m]), 0.01) for t in tasks for m in models]
    results = pl.DataFrame(rows, schema=["task_id", "model", "score", "cost_usd"], orient="row")
    return ProbeSet(probe_tasks, probe_results, models), tasks, results


def test_linucb_converges_to_the_best_arm_per_context():
    probe, tasks, results = _bandit_problem(seed=3, n=400)
    steps = replay(LinUCBPolicy(alpha=0.5, ridge=1.0), probe, tasks, results).steps
    late = list(zip(tasks[-100:], steps[-100:], strict=True))
    best = {"x": "m0", "y": "m1"}
    right = sum(step.model == best[task.dimension] for task, step in late)
    assert right >= 90
    # It starts from the misleading probe, so it did route otherwise at first.
    assert any(step.model != best[task.dimension] for task, step in zip(tasks[:20], steps[:20], strict=True))


def test_linucb_rejects_bad_parameters():
    with pytest.raises(ValueError):
        LinUCBPolicy(alpha=-1)
    with pytest.raises(ValueError):
        LinUCBPolicy(ridge=0)


def test_linucb_exploration_bonus_shrinks_with_data(ds):
    policy = LinUCBPolicy(alpha=1.0)
    policy.fit(ds.probe)
    task = ds.test_tasks[0]
    before = policy.ucb(policy.encoder.encode(task))[1]
    for _ in range(10):
        policy.observe(task, "alpha (large)", 1.0, 0.1)
    after = policy.ucb(policy.encoder.encode(task))[1]
    assert after[0] < before[0]
    assert after[1:] == pytest.approx(before[1:])  # disjoint: the other arms learnt nothing


def test_static_classifier_learns_the_probe_winner_and_stays_frozen(ds):
    policy = StaticClassifierPolicy()
    policy.fit(ds.probe)
    # fix tasks: beta wins p3 alone and ties alpha on p4 -> beta; gen: alpha wins (p1 tied with gamma, p2 with beta).
    fix, gen = RoutingTask("f", "fix", metadata={"team": "web"}), RoutingTask("g", "gen", metadata={"team": "core"})
    assert policy.choose(fix).model == "beta"
    assert policy.choose(gen).model == "alpha (large)"
    before = policy.probabilities(fix)
    for _ in range(20):
        policy.observe(fix, "beta", 0.0, 1.0)
    assert np.array_equal(before, policy.probabilities(fix))
    assert before.sum() == pytest.approx(1.0)
