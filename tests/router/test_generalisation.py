"""benchmarks/generalisation.py's cost-shift fold on a tiny hand-made replay whose shifted costs are known."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import polars as pl
import pytest

from router.datasets import BenchDataset
from router.routing import ProbeSet, RoutingTask

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture()
def generalisation():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("generalisation")
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_cost_shift_scales_the_level_and_widens_the_spread(generalisation) -> None:
    tasks = [RoutingTask(f"t{i}", "d", None, {"source": "s"}) for i in range(3)]
    results = pl.DataFrame({
        "task_id": ["t0", "t0", "t1", "t1", "t2", "t2"],
        "model": ["cheap", "dear"] * 3,
        "score": [1.0, 1.0, 0.0, 1.0, 1.0, 0.0],
        "cost_usd": [0.001, 0.004, 0.001, 0.004, None, 0.004],
    })
    probe = ProbeSet(tasks[:1], results.head(2), ["cheap", "dear"])
    shifted = generalisation.cost_shifted(BenchDataset("tiny", "val", Path("."), probe, tasks, results))
    assert [t.task_id for t in shifted.test_tasks] == ["t0", "t1"]  # t2 has an unknown cost: left out
    costs = {(r["task_id"], r["model"]): r["cost_usd"] for r in shifted.test_results.iter_rows(named=True)}
    # Mean costs 0.001 and 0.004, geometric mean 0.002: factors 50 x 0.5 and 50 x 2 (the 4x ratio becomes 16x).
    assert costs[("t0", "cheap")] == pytest.approx(0.025)
    assert costs[("t0", "dear")] == pytest.approx(0.4)
    assert shifted.probe is probe  # the priors keep the probing prices


def test_shuffled_reorders_only_the_test_tasks_and_is_seeded(generalisation) -> None:
    tasks = [RoutingTask(f"t{i}", "d", None, {"source": "s"}) for i in range(20)]
    results = pl.DataFrame({"task_id": [t.task_id for t in tasks], "model": ["m"] * 20, "score": [1.0] * 20,
                            "cost_usd": [0.001] * 20})
    probe = ProbeSet(tasks[:1], results.head(1), ["m"])
    dataset = BenchDataset("tiny", "test", Path("."), probe, tasks, results)
    first, again = generalisation.shuffled(dataset, 1), generalisation.shuffled(dataset, 1)
    order = [t.task_id for t in first.test_tasks]
    assert order != [t.task_id for t in tasks] and sorted(order) == sorted(t.task_id for t in tasks)
    assert order == [t.task_id for t in again.test_tasks]  # the same seed gives the same order
    assert order != [t.task_id for t in generalisation.shuffled(dataset, 2).test_tasks]
    assert first.probe is probe and first.test_results is results and dataset.test_tasks == tasks


def test_known_means_point_follows_the_reward_per_group() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        hindsight = importlib.import_module("hindsight_frontier")
    finally:
        sys.path.remove(str(BENCHMARKS))
    # Group a: "dear" scores 0.5 more at 8x the cost (kappa gap 0.1 x log2 8 = 0.3); group b: the two tie on score.
    tasks = [RoutingTask(f"{g}{i}", "d", None, {"bench": g}) for g in "ab" for i in range(2)]
    rows = [(t.task_id, m, s, c) for t, (sc, sd) in zip(tasks, [(0, 1), (0.5, 0.5), (1, 1), (1, 1)], strict=True)
            for m, s, c in (("cheap", sc, 0.01), ("dear", sd, 0.08))]
    results = pl.DataFrame(rows, schema=["task_id", "model", "score", "cost_usd"], orient="row")
    dataset = BenchDataset("tiny", "test", Path("."), ProbeSet([], results.head(0), ["cheap", "dear"]), tasks, results)
    # eps_cost -1: the 0.5 gain beats the 0.3 cost term in a; b ties on score, so the cheaper model wins.
    weak = hindsight.known_means_point(dataset, -1.0)
    assert weak["models"] == {"bench=a": "dear", "bench=b": "cheap"}
    assert weak["avg_perf"] == pytest.approx(100 * (1 + 0.5 + 1 + 1) / 4)
    assert weak["cost_usd"] == pytest.approx(0.08 * 2 + 0.01 * 2)
    # eps_cost -2: the cost term (0.6) outweighs the gain, so both groups go to the cheap model.
    assert hindsight.known_means_point(dataset, -2.0)["models"] == {"bench=a": "cheap", "bench=b": "cheap"}
