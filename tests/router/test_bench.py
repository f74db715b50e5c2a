"""Replay harness and metrics on the tiny dataset, whose numbers are worked out by hand below.

Test results (score, cost):        alpha (large)   beta         gamma mini    best
  t1 (gen)                          1.0, 0.10       0.0, 0.02    1.0, 0.01     1.0
  t2 (fix)                          1.0, 0.10       0.5, 0.02    0.0, 0.01     1.0
  t3 (fix)                          0.0, 0.20       1.0, 0.04    0.0, 0.01     1.0
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from analytics.metrics import avg_perf, cumulative_regret, perf_per_dollar, regret, total_cost
from router.baseline_reward import Reward
from router.baselines import AlwaysPolicy, DimensionBestPolicy, OraclePolicy
from router.bench import (
    BenchOptions,
    OutcomeTable,
    ReplayResult,
    RouterFailure,
    Step,
    expand_router_names,
    replay,
    run_routers,
)
from router.datasets import load_dataset
from router.routing import Choice, ProbeSet, RoutingTask

GENERIC = Path(__file__).parent / "data" / "bench_generic"


@pytest.fixture(scope="module")
def ds():
    return load_dataset(GENERIC)


def test_metric_functions():
    assert avg_perf([1.0, 0.5, 0.0]) == pytest.approx(50.0)
    assert avg_perf([]) == 0.0
    assert cumulative_regret([1.0, 1.0, 0.5], [1.0, 0.25, 0.5]) == pytest.approx(0.75)
    assert total_cost([0.1, 0.02, 0.04]) == pytest.approx(0.16)
    assert perf_per_dollar(50.0, 0.25) == pytest.approx(200.0)
    assert perf_per_dollar(50.0, 0.0) is None


@pytest.mark.parametrize(("model", "perf", "regret", "cost"), [
    ("alpha (large)", 200 / 3, 1.0, 0.40),
    ("beta", 50.0, 1.5, 0.08),
    ("gamma mini", 100 / 3, 2.0, 0.03),
])
def test_always_numbers_by_hand(ds, model, perf, regret, cost):
    result = replay(AlwaysPolicy(model), ds.probe, ds.test_tasks, ds.test_results)
    assert result.avg_perf == pytest.approx(perf)
    assert result.cum_regret == pytest.approx(regret)
    assert result.cost_usd == pytest.approx(cost)
    assert result.perf_per_dollar == pytest.approx(perf / cost)


def test_oracle_numbers_and_trajectory(ds):
    result = replay(OraclePolicy(ds.test_results), ds.probe, ds.test_tasks, ds.test_results)
    assert (result.avg_perf, result.cum_regret) == (pytest.approx(100.0), pytest.approx(0.0))
    assert result.cost_usd == pytest.approx(0.01 + 0.10 + 0.04)
    assert result.steps[0] == Step("t1", "gamma mini", 1.0, 0.01, 1.0, 1.0)
    assert [s.best_score - s.score for s in result.steps] == [0.0, 0.0, 0.0]


def test_dimension_best_numbers_by_hand(ds):
    # gen -> alpha, fix -> beta: scores 1, 0.5, 1; costs 0.10, 0.02, 0.04.
    result = replay(DimensionBestPolicy(Reward(eps_cost=0.0)), ds.probe, ds.test_tasks, ds.test_results)
    assert result.avg_perf == pytest.approx(250 / 3)
    assert result.cum_regret == pytest.approx(0.5)
    assert result.cost_usd == pytest.approx(0.16)
    assert result.perf_per_dollar == pytest.approx(250 / 3 / 0.16)
    assert regret([s.best_score for s in result.steps], [s.score for s in result.steps]) == pytest.approx([0, 0.5, 0])
    assert result.summary() == {"name": "dimension-best", "avg_perf": result.avg_perf, "cum_regret": 0.5,
                                "cost_usd": result.cost_usd, "perf_per_dollar": result.perf_per_dollar}


class _Recorder:
    """Checks the bandit contract: fit first, then one observe per choose, of the chosen model only."""

    name = "recorder"

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def fit(self, probe: ProbeSet) -> None:
        self.events.append(("fit", len(probe.tasks)))

    def choose(self, task: RoutingTask) -> Choice:
        self.events.append(("choose", task.task_id))
        return Choice("beta", propensity=0.25)

    def observe(self, task: RoutingTask, model: str, score: float, cost_usd: float) -> None:
        self.events.append(("observe", task.task_id, model, score, cost_usd))


def test_replay_feeds_back_only_the_chosen_outcome_in_order(ds):
    recorder, progress = _Recorder(), []
    result = replay(recorder, ds.probe, ds.test_tasks, ds.test_results,
                    on_progress=lambda done, total: progress.append((done, total)))
    assert recorder.events == [
        ("fit", 4),
        ("choose", "t1"), ("observe", "t1", "beta", 0.0, 0.02),
        ("choose", "t2"), ("observe", "t2", "beta", 0.5, 0.02),
        ("choose", "t3"), ("observe", "t3", "beta", 1.0, 0.04),
    ]
    assert progress == [(1, 3), (2, 3), (3, 3)]
    assert [s.propensity for s in result.steps] == [0.25] * 3


def test_replay_refuses_a_model_outside_the_dataset(ds):
    with pytest.raises(ValueError, match="'delta', which is not one of the dataset's models"):
        replay(_Delta("delta"), ds.probe, ds.test_tasks, ds.test_results)


class _Delta(AlwaysPolicy):
    def fit(self, probe: ProbeSet) -> None:
        """Skips AlwaysPolicy's own check, to reach the harness's."""

    def choose(self, task: RoutingTask) -> Choice:
        return Choice("delta")


def test_outcome_table_needs_every_model(ds):
    partial = ds.test_results.filter(~((pl.col("task_id") == "t2") & (pl.col("model") == "beta")))
    with pytest.raises(ValueError, match="no result for model 'beta' on test task 't2'"):
        OutcomeTable(ds.test_tasks, partial, ds.probe.models)


def test_expand_router_names():
    models = ["a (x)", "b"]
    assert expand_router_names(["oracle", "always", "always:b"], models) == ["oracle", "always:a (x)", "always:b"]
    with pytest.raises(ValueError, match="unknown router 'bogus'"):
        expand_router_names(["bogus"], models)
    with pytest.raises(ValueError, match="unknown model in 'always:c'"):
        expand_router_names(["always:c"], models)


def test_run_routers_reports_failures_without_stopping(ds, monkeypatch):
    import router.bench as bench

    real = bench.build_router

    def build(name, dataset, options):
        if name == "linucb":
            raise bench.RouterUnavailable("not here")
        if name == "random":
            policy = real(name, dataset, options)
            policy.choose = lambda task: (_ for _ in ()).throw(RuntimeError("boom"))
            return policy
        return real(name, dataset, options)

    monkeypatch.setattr(bench, "build_router", build)
    results = run_routers(ds, ["oracle", "linucb", "random", "always:beta"], BenchOptions())
    assert [r.name for r in results] == ["oracle", "linucb", "random", "always:beta"]
    assert isinstance(results[0], ReplayResult) and isinstance(results[3], ReplayResult)
    assert results[1] == RouterFailure("linucb", "not here", failed=False)
    assert results[2].failed and "RuntimeError: boom" in results[2].reason
    assert results[1].summary()["unavailable"] == "not here"
